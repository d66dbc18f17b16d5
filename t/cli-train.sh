#!/bin/sh
# End to end on synthetic data: a manifest trains, learns (well above
# chance), writes its run directory, is reproducible byte for byte with the
# same seed and differs with another, and is not redone when complete.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cat > "$scratch/learn.yaml" <<'YAML'
name: learn
seed: 7
threads: 2
data:
  loader: synthetic
  classes: 4
  channels: 3
  size: 16
  train: 512
  val: 128
  test: 256
  mean: [0.5]
  std: [0.5]
model:
  input: [3, 16, 16]
  layers:
    - conv2d: {out: 8, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 16, kernel: 3, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 32, activation: relu}
    - linear: {out: 4}
train:
  epochs: 6
  batch: 16
  optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
YAML

run() { # run OUT [ARGS...]
    out=$1
    shift
    "$CNNLAB" run --quiet --out "$scratch/$out" "$scratch/learn.yaml" "$@" \
        > "$scratch/$out.stdout" 2> "$scratch/$out.stderr"
}

run first
is "$?" 0 "training run succeeds"
dir="$scratch/first/learn/main"
for file in manifest.yaml run.json metrics.csv epoch-seconds.csv model.safetensors; do
    test -s "$dir/$file"
    ok $? "run directory has $file"
done
is "$(wc -l < "$dir/metrics.csv")" 7 "metrics.csv: a header and one row per epoch"
like "$(cat "$dir/run.json")" '"status": "complete"' "run.json records completion"
like "$(cat "$dir/run.json")" '"seed": 7' "run.json records the seed"

# The test accuracy of the selected weights, from run.json.
accuracy=$(sed -n 's/.*"test_accuracy": \([0-9.]*\).*/\1/p' "$dir/run.json")
awk -v a="$accuracy" 'BEGIN { exit !(a >= 60) }'
ok $? "learns: test accuracy $accuracy% is well above chance (25%)"

run second
cmp -s "$dir/metrics.csv" "$scratch/second/learn/main/metrics.csv"
ok $? "same seed: metrics.csv byte-identical"
cmp -s "$dir/model.safetensors" "$scratch/second/learn/main/model.safetensors"
ok $? "same seed: model.safetensors byte-identical"

run third seed=8
cmp -s "$dir/metrics.csv" "$scratch/third/learn/main/metrics.csv"
ok $((! $?)) "another seed: metrics.csv differs"
cmp -s "$dir/model.safetensors" "$scratch/third/learn/main/model.safetensors"
ok $((! $?)) "another seed: model.safetensors differs"
like "$(cat "$scratch/third/learn/main/manifest.yaml")" "seed: 8" \
    "the resolved manifest records the override"

# A complete run of the same manifest is not redone; --force redoes it.
run first
is "$?" 0 "rerun of a complete run succeeds"
like "$(cat "$scratch/first.stdout")" "complete; --force reruns" "complete run is skipped"
run first --force
like "$(cat "$scratch/first.stdout")" "%" "--force trains again"

# A rerun that fails before training (its data does not fit the model)
# leaves the earlier complete results untouched.
cp "$dir/metrics.csv" "$scratch/metrics.before"
cp "$dir/run.json" "$scratch/run.before"
run first data.classes=5
is "$?" 1 "a rerun whose data does not fit fails"
like "$(cat "$scratch/first.stderr")" "5 classes" "the failure says why"
cmp -s "$dir/run.json" "$scratch/run.before"
ok $? "the earlier run.json is untouched"
cmp -s "$dir/metrics.csv" "$scratch/metrics.before"
ok $? "the earlier metrics.csv is untouched"

# The profile mechanism and `check` on the same manifest.
output=$("$CNNLAB" check "$scratch/learn.yaml" 2>&1)
like "$output" "total parameters: " "check prints the parameter count"

done_testing
