#!/bin/sh
# Data augmentation through `cnnlab run` (docs/manifest.md, data.augment):
# the same seed trains to the same bytes, another seed or no augmentation
# to others; a run interrupted mid-epoch or at an epoch's end and resumed
# ends byte-identical to the uninterrupted one (each image's augmentation
# depends on seed, epoch and index only); a bad list is refused by
# `cnnlab check` at its place. The transforms themselves are checked on
# hand-computed images by t/test-augment.c.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    TMPDIR=/dev/shm
    export TMPDIR
fi
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

# 96 colour training images in batches of 8: 12 batches an epoch.
cat > "$scratch/a.yaml" <<'YAML'
name: a
seed: 3
threads: 1
data:
  loader: synthetic
  classes: 4
  channels: 3
  size: 12
  train: 96
  val: 32
  test: 32
  mean: [0.5]
  std: [0.5]
  augment:
    - crop: {padding: 2}
    - flip
    - resized-crop: {scale: [0.5, 1]}
    - jitter: {brightness: 0.3, contrast: 0.3, saturation: 0.3}
model:
  input: [3, 12, 12]
  layers:
    - conv2d: {out: 8, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - flatten
    - linear: {out: 4}
train: {epochs: 3, batch: 8, optimizer: {sgd: {lr: 0.01, momentum: 0.9}}}
YAML

run() { # run OUT [ARGS...]: status in $status, output in OUT.stderr
    out=$1
    shift
    "$CNNLAB" run --quiet --out "$scratch/$out" "$scratch/a.yaml" "$@" \
        > "$scratch/$out.stdout" 2> "$scratch/$out.stderr"
    status=$?
    [ "$status" -eq 0 ] || [ "$status" -eq 130 ] ||
        sed 's/^/# /' "$scratch/$out.stderr"
}

same() { # same A B: the two runs' metrics.csv and weights are identical
    cmp "$scratch/$1/a/main/metrics.csv" "$scratch/$2/a/main/metrics.csv" \
        > /dev/null 2>&1 &&
        cmp "$scratch/$1/a/main/model.safetensors" \
            "$scratch/$2/a/main/model.safetensors" > /dev/null 2>&1
}

run first
is "$status" 0 "a run with crop, flip, resized-crop and jitter completes"
run again
is "$status" 0 "and again with the same seed"
same first again
ok $? "the same seed: metrics.csv and model.safetensors byte-identical"
run seed seed=4
same first seed
[ $? -ne 0 ]
ok $? "another seed: other weights"
run plain 'data.augment=[]'
same first plain
[ $? -ne 0 ]
ok $? "without augmentation: other weights"
like "$(cat "$scratch/first/a/main/manifest.yaml")" "resized-crop" \
    "the run's manifest records the augmentation"

# Interrupted in epoch 2 (after batch 17 of 36), then resumed; and at the
# end of epoch 1 (batch 12).
for n in 17 12; do
    CNNLAB_TEST_INTERRUPT_AFTER_BATCHES=$n run "cut$n"
    is "$status" 130 "interrupted after batch $n"
    run "cut$n" --resume
    is "$status" 0 "resumed after batch $n"
    same first "cut$n"
    ok $? "resumed after batch $n: byte-identical to the uninterrupted run"
done

# Refusals at their place in the manifest.
"$CNNLAB" check "$scratch/a.yaml" 'data.augment=[flop]' \
    > "$scratch/check.out" 2>&1
is "$?" 2 "an unknown augmentation is refused"
like "$(cat "$scratch/check.out")" "did you mean 'flip'?" "with a suggestion"
"$CNNLAB" check "$scratch/a.yaml" 'data.augment=[{crop: {padding: -1}}]' \
    > "$scratch/check.out" 2>&1
is "$?" 2 "a negative padding is refused"
like "$(cat "$scratch/check.out")" "padding" "naming the setting"

done_testing
