#!/bin/sh
# Adam with a cosine schedule trains a small model on synthetic data: the
# loss falls, metrics.csv's lr column follows the schedule, and the run is
# byte-identical with the same seed. `cnnlab plugins` lists adam.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

plugins=$("$CNNLAB" plugins 2>&1)
like "$plugins" "optimizer  adam" "cnnlab plugins lists adam"
for parameter in "lr             float              default 0.001" \
    "betas          float list         default [0.9, 0.999]" \
    "eps            float              default 1e-8" \
    "weight_decay" "decoupled" "amsgrad"; do
    like "$plugins" "$parameter" "cnnlab plugins shows adam's $parameter"
done

cat > "$scratch/adam.yaml" <<'YAML'
name: adam
seed: 5
threads: 1
data: {loader: synthetic, classes: 4, channels: 3, size: 16, train: 384, val: 96, test: 96, mean: [0.5], std: [0.5]}
model:
  input: [3, 16, 16]
  layers:
    - conv2d: {out: 8, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 16, kernel: 3, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 4}
train: {epochs: 4, batch: 16}
YAML

run() { # run OUT [OVERRIDES...]
    out=$1
    shift
    "$CNNLAB" run --quiet --out "$scratch/$out" "$scratch/adam.yaml" \
        'train.optimizer={adam: {lr: 0.01}}' \
        'train.schedule={cosine: {min: 0.1}}' "$@" \
        > "$scratch/$out.stdout" 2> "$scratch/$out.stderr"
}

run first
status=$?
is "$status" 0 "adam + cosine run succeeds"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/first.stderr"
metrics="$scratch/first/adam/main/metrics.csv"
is "$(head -1 "$metrics")" "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr" \
    "metrics.csv has an lr column"
# Loss of epoch 4 well below epoch 1's (chance is ln 4 = 1.39).
awk -F, 'NR == 2 { first = $2 } NR == 5 { last = $2 }
    END { exit !(last < 0.5 * first) }' "$metrics"
ok $? "the training loss falls by half or more: $(cut -d, -f2 "$metrics" | tr '\n' ' ')"
# lr = 0.01 (0.1 + 0.9 (1 + cos(pi (e - 1) / 4)) / 2), to the 9 digits
# written.
awk -F, 'NR > 1 {
        want = 0.01 * (0.1 + 0.9 * (1 + cos(3.14159265358979 * ($1 - 1) / 4)) / 2)
        if ($6 - want > 1e-11 || want - $6 > 1e-11) bad = 1
        rows++ }
    END { exit bad || rows != 4 }' "$metrics"
ok $? "lr per epoch follows the cosine schedule: $(cut -d, -f6 "$metrics" | tr '\n' ' ')"

run second
cmp -s "$metrics" "$scratch/second/adam/main/metrics.csv"
ok $? "same seed: metrics.csv byte-identical"

# Only the lr column matters below: a few images are enough.
small='data.train=32'
run steps 'train.schedule={step: {every: 2, gamma: 0.5}}' "$small"
is "$(cut -d, -f6 "$scratch/steps/adam/main/metrics.csv" | tr '\n' ' ')" \
    "lr 0.01 0.01 0.005 0.005 " "a step schedule halves lr after epoch 2"

run plain 'train.schedule=none' 'train.optimizer={sgd: {lr: 0.05}}' "$small"
is "$(cut -d, -f6 "$scratch/plain/adam/main/metrics.csv" | tr '\n' ' ')" \
    "lr 0.05 0.05 0.05 0.05 " "without a schedule lr stays sgd's 0.05"

done_testing
