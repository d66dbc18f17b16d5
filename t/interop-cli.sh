#!/bin/sh
# Starting from saved weights and evaluating them (TAP):
#  - `model: {weights: FILE}` (relative to the manifest's directory, or to
#    the current directory on the command line) replaces the seeded
#    initialisation, and `weights: null` undoes it;
#  - `cnnlab eval MANIFEST --weights FILE` reproduces the run's own test
#    and validation accuracy and writes predictions.csv and eval.json;
#  - a missing file, a file of another model, a bad value or bad arguments
#    fail with the place, the file and what differs.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

CNNLAB=$(cd "$(dirname "$CNNLAB")" && pwd)/cnnlab
cd "$scratch" || exit 1
mkdir sub

cat > learn.yaml <<'YAML'
name: learn
seed: 7
threads: 2
data:
  loader: synthetic
  classes: 4
  channels: 3
  size: 16
  train: 256
  val: 64
  test: 128
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
  epochs: 4
  batch: 16
  optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
YAML

# A field of run.json's "result" or eval.json, as written.
field() { # field FILE KEY
    sed -n "s/.*\"$2\": \([-0-9.e]*\).*/\1/p" "$1" | head -1
}

"$CNNLAB" run --quiet --out a learn.yaml > a.out 2>&1
is "$?" 0 "a training run writes model.safetensors"
weights=a/learn/main/model.safetensors
test_accuracy=$(field a/learn/main/run.json test_accuracy)
val_accuracy=$(field a/learn/main/run.json val_accuracy)

# ---- cnnlab eval ------------------------------------------------------
"$CNNLAB" eval learn.yaml --weights "$weights" --out e > eval.out 2> eval.err
is "$?" 0 "eval succeeds"
dir=e/learn/main/eval-test
like "$(cat eval.out)" "learn/main: test accuracy" "eval prints the accuracy"
like "$(cat eval.out)" "loss " "eval prints the loss"
is "$(ls -A "$dir" | tr '\n' ' ')" "eval.json predictions.csv " \
    "eval writes predictions.csv and eval.json, no temporary left"
is "$(head -1 "$dir/predictions.csv")" "index,label,predicted" \
    "predictions.csv header"
is "$(wc -l < "$dir/predictions.csv")" 129 \
    "predictions.csv: one row per test image"
is "$(sed -n '2p;$p' "$dir/predictions.csv" | cut -d, -f1 | tr '\n' ' ')" \
    "0 127 " "rows are indexed 0..count-1 in split order"
correct=$(awk -F, 'NR > 1 && $2 == $3 { n++ } END { print n + 0 }' \
    "$dir/predictions.csv")
is "$(field "$dir/eval.json" correct)" "$correct" \
    "eval.json's correct count agrees with predictions.csv"
awk -v a="$(field "$dir/eval.json" accuracy)" -v b="$test_accuracy" \
    -v c="$correct" 'BEGIN { exit !(a == b && a == 100 * c / 128) }'
ok $? "eval's accuracy is the run's test accuracy ($test_accuracy%)"
like "$(cat "$dir/eval.json")" "\"weights\": \"$weights\"" \
    "eval.json records the weights file"

"$CNNLAB" eval learn.yaml --weights="$weights" --split val --out e > /dev/null
is "$?" 0 "eval --split val succeeds"
awk -v a="$(field e/learn/main/eval-val/eval.json accuracy)" \
    -v b="$val_accuracy" 'BEGIN { exit !(a == b) }'
ok $? "eval --split val gives the run's validation accuracy"

# ---- model.weights ------------------------------------------------------
# In a subdirectory, so the relative name must be resolved against the
# manifest's directory; lr at its minimum, so training leaves the weights
# as loaded and the run's test predictions are those of `a`.
sed -e 's|^model:|model:\n  weights: ../a/learn/main/model.safetensors|' \
    -e 's/lr: 0.05/lr: 1.0e-12/' -e 's/epochs: 4/epochs: 1/' \
    learn.yaml > sub/from.yaml
"$CNNLAB" run --quiet --out b sub/from.yaml > b.out 2>&1
is "$?" 0 "a run with model.weights (relative to the manifest) succeeds"
is "$(field b/learn/main/run.json test_accuracy)" "$test_accuracy" \
    "it starts from the file's weights: the test accuracy of the file"
"$CNNLAB" eval learn.yaml --weights b/learn/main/model.safetensors \
    --out eb > /dev/null
cmp -s "$dir/predictions.csv" eb/learn/main/eval-test/predictions.csv
ok $? "its weights predict exactly as the file's"

"$CNNLAB" run --quiet --out c sub/from.yaml model.weights=null > /dev/null 2>&1
"$CNNLAB" eval learn.yaml --weights c/learn/main/model.safetensors \
    --out ec > /dev/null
cmp -s "$dir/predictions.csv" ec/learn/main/eval-test/predictions.csv
ok $((! $?)) "model.weights=null: the seeded initialisation again"

"$CNNLAB" run --quiet --out d sub/from.yaml model.weights="$weights" \
    > /dev/null 2>&1
is "$?" 0 "model.weights=FILE on the command line is relative to the \
current directory"

# ---- errors -----------------------------------------------------------
sed 's|model.safetensors|gone.safetensors|' sub/from.yaml > sub/gone.yaml
"$CNNLAB" run --quiet --out g sub/gone.yaml > gone.out 2> gone.err
is "$?" 1 "a missing weights file fails the run"
like "$(cat gone.err)" "sub/gone.yaml:15:12: model.weights: cannot read the \
weights file 'sub/../a/learn/main/gone.safetensors': No such file" \
    "the error names the manifest's place and the resolved file"
like "$(cat gone.err)" "resolved against the directory of the manifest" \
    "and says how relative names resolve"
test ! -e g/learn/main/run.json
ok $? "nothing ran: no run.json"

sed 's/out: 32/out: 30/' sub/from.yaml > sub/other.yaml
"$CNNLAB" run --quiet --out o sub/other.yaml > other.out 2> other.err
is "$?" 1 "weights of another model fail the run"
like "$(cat other.err)" "does not fit this model (8 tensors in the file, 8 \
in the model): '4.weight' (layer fc1 (linear)) is [32, 16] in the file, \
[30, 16] in the model" "the error says which tensor differs and how"

"$CNNLAB" eval learn.yaml --weights "$weights" \
    'model.layers=[{conv2d: {out: 8, kernel: 3}}, globalpool, {linear: {out: 4}}]' \
    > /dev/null 2> fewer.err
is "$?" 2 "eval of weights that do not fit exits 2"
like "$(cat fewer.err)" "(8 tensors in the file, 4 in the model)" \
    "the counts are given"
like "$(cat fewer.err)" "; and 2 more." "long lists are cut short"
"$CNNLAB" eval learn.yaml --weights "$weights" \
    'model.layers=[{conv2d: {out: 8, kernel: 3, padding: 1, activation: relu}}, {maxpool2d: {kernel: 2}}, {conv2d: {out: 16, kernel: 3, activation: relu}}, globalpool, {linear: {out: 4}}]' \
    > /dev/null 2> extra.err
like "$(cat extra.err)" "the file's '5.weight' [4, 32] is not a tensor of \
the model" "a tensor the model lacks is named"
"$CNNLAB" eval learn.yaml --weights "$weights" \
    'model.layers=[{conv2d: {out: 8, kernel: 3, padding: 1, activation: relu}}, {maxpool2d: {kernel: 2}}, {conv2d: {out: 16, kernel: 3, activation: relu}}, globalpool, {linear: {out: 32, activation: relu}}, {linear: {out: 4}}, {linear: {out: 4}}]' \
    > /dev/null 2> more.err
like "$(cat more.err)" "the file has no '6.weight' (the weight of layer fc3 \
(linear), [4, 4])" "... and one the file lacks"

echo "not a checkpoint" > junk.safetensors
"$CNNLAB" eval learn.yaml --weights junk.safetensors > /dev/null 2> junk.err
is "$?" 2 "a file that is not safetensors is refused"
like "$(cat junk.err)" "junk.safetensors" "the error names it"

"$CNNLAB" check learn.yaml 'model.weights=[a, b]' > /dev/null 2> list.err
is "$?" 2 "check refuses a model.weights that is not a file name"
like "$(cat list.err)" "model.weights must name a safetensors file" \
    "and says what it must be"
"$CNNLAB" check learn.yaml model.weight=x > /dev/null 2> typo.err
like "$(cat typo.err)" "did you mean 'weights'?" "a typo of weights is caught"

"$CNNLAB" eval learn.yaml > /dev/null 2> usage.err
is "$?" 2 "eval without --weights is a usage error"
like "$(cat usage.err)" "missing --weights FILE" "and says so"
"$CNNLAB" eval learn.yaml --weights "$weights" --split dev > /dev/null 2> split.err
is "$?" 2 "an unknown --split is a usage error"
like "$(cat split.err)" "--split must be test, val or train, not 'dev'" \
    "and lists the splits"
"$CNNLAB" eval learn.yaml --weights "$weights" data.val=0 --split val \
    --out e > /dev/null 2> empty.err
is "$?" 2 "an empty split is refused"
like "$(cat empty.err)" "the val split of learn.yaml is empty" "and named"
cat learn.yaml > multi.yaml
printf 'variants:\n  - {name: one}\n  - {name: two}\n' >> multi.yaml
"$CNNLAB" eval multi.yaml --weights "$weights" > /dev/null 2> multi.err
is "$?" 2 "eval of a manifest with several variants needs --variant"
like "$(cat multi.err)" "has 2 variants (one, two)" "and lists them"
"$CNNLAB" eval multi.yaml --variant two --weights "$weights" --out m \
    > /dev/null 2>&1
test -s m/learn/two/eval-test/predictions.csv
ok $? "eval --variant two writes under the variant's name"

done_testing
