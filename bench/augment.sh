#!/bin/sh
# What data augmentation costs a training epoch: the same run (synthetic
# images, SGD) without and with data.augment (crop with padding, flip,
# colour jitter), alternating ROUNDS times so a busy machine slows both
# alike. Printed: the median seconds per epoch (epoch-seconds.csv) of each
# and the median of the per-round ratios. With THREADS=1 a core is free
# for the thread that augments the next batch; with THREADS=2 (every core
# training) it competes with the model.
#
# MODEL=small (the default): 4,096 3x32x32 images, a two-conv CNN at
# batch 64, a step so short (about 20 ms) that augmenting the next 64
# images is a sizeable fraction of it: the worst case.
# MODEL=baseline: A.1's baseline (3-conv, 84x84x3, batch 4) on 256
# images, as regularisation.yaml's augmentation variant trains it.
#
#   bench/augment.sh [BUILDDIR]
#
# Environment: MODEL (small), THREADS (1), ROUNDS (3), EPOCHS (3).
set -eu

builddir=$(cd "${1:-.}" && pwd)
threads=${THREADS:-1}
rounds=${ROUNDS:-3}
epochs=${EPOCHS:-3}
cnnlab=$builddir/cnnlab
[ -x "$cnnlab" ] || { echo "bench/augment.sh: no $cnnlab: build first" >&2; exit 2; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/cnnlab-augment.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# The model, its data and its augmentation's strength, by MODEL.
if [ "${MODEL:-small}" = baseline ]; then
    size=84 train=256 held=16 batch=4 lr=0.001 padding=8 jitter=0.2
    layers='    - conv2d: {out: 64, kernel: 5, activation: relu}
    - maxpool2d: {kernel: 2, stride: 2}
    - conv2d: {out: 128, kernel: 5, activation: relu}
    - maxpool2d: {kernel: 2, stride: 2}
    - conv2d: {out: 256, kernel: 5, activation: relu}
    - maxpool2d: {kernel: 2, stride: 2}
    - globalpool
    - linear: {out: 256, activation: relu}
    - linear: {out: 128, activation: relu}
    - linear: {out: 10}'
else
    size=32 train=4096 held=256 batch=64 lr=0.05 padding=4 jitter=0.4
    layers='    - conv2d: {out: 16, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 32, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - globalpool
    - linear: {out: 10}'
fi
cat > "$scratch/b.yaml" <<YAML
name: b
seed: 1
threads: $threads
data: {loader: synthetic, classes: 10, channels: 3, size: $size, train: $train,
       val: $held, test: $held, mean: [0.5], std: [0.5]}
model:
  input: [3, $size, $size]
  layers:
$layers
train: {epochs: $epochs, batch: $batch, optimizer: {sgd: {lr: $lr, momentum: 0.9}}}
YAML
augment="data.augment=[{crop: {padding: $padding}}, flip, {jitter: {brightness: $jitter, contrast: $jitter, saturation: $jitter}}]"

# The median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Seconds per epoch of one run: the median of epoch-seconds.csv's rows.
epoch_seconds() { # OUT [OVERRIDES...]
    out=$1
    shift
    "$cnnlab" run --quiet --force --out "$scratch/$out" "$scratch/b.yaml" "$@" > /dev/null
    sed 1d "$scratch/$out/b/main/epoch-seconds.csv" | cut -d, -f2 | median
}

: > "$scratch/plain.s"; : > "$scratch/augmented.s"; : > "$scratch/ratios"
for round in $(seq "$rounds"); do
    plain=$(epoch_seconds plain)
    augmented=$(epoch_seconds augmented "$augment")
    echo "$plain" >> "$scratch/plain.s"
    echo "$augmented" >> "$scratch/augmented.s"
    awk -v a="$augmented" -v p="$plain" 'BEGIN { printf "%.3f\n", a / p }' >> "$scratch/ratios"
    echo "round $round: $plain s without, $augmented s with augmentation" >&2
done
printf '| model | threads | s/epoch without | s/epoch with | with / without |\n'
printf '|---|---:|---:|---:|---:|\n'
printf '| %s | %s | %.3f | %.3f | %.3f |\n' "${MODEL:-small}" "$threads" "$(median < "$scratch/plain.s")" \
    "$(median < "$scratch/augmented.s")" "$(median < "$scratch/ratios")"
