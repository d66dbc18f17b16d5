#!/bin/sh
# Part B's core side, end to end on tiny synthetic runs (seconds):
# `cnnlab rf` (its table for a small model and for the best model, by
# hand), `model: {from: ...}` (lookup, --profile passed on, the source run
# first when its checkpoint is missing and not again, a checkpoint of
# another model, every error), runs without training (train.epochs: 0:
# results, table, `cnnlab analyse`), fine-tuning from a checkpoint, and
# `cnnlab check` of the three Part B manifests under each profile.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

srcdir="${CNNLAB_SRCDIR:-.}"
exp="$scratch/exp"
mkdir -p "$exp/base" "$exp/b/deeper"

# The source: conv 3x5 with padding (1, 2), pool 2, conv 3 dilated 2.
cat > "$exp/base/source.yaml" <<'YAML'
name: source
seed: 5
threads: 1
data: {loader: synthetic, classes: 4, channels: 3, size: 12, train: 32,
       val: 16, test: 16, mean: [0.5], std: [0.5]}
model:
  input: [3, 12, 12]
  layers:
    - conv2d: {out: 4, kernel: [3, 5], padding: [1, 2], activation: relu}
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 8, kernel: 3, dilation: 2, activation: relu}
    - globalpool
    - linear: {out: 4}
train: {epochs: 2, batch: 8, optimizer: {sgd: {lr: 0.05, momentum: 0.9}}}
profiles:
  three:
    data: {classes: 3}
    model: {layers: {-1: {linear: {out: 3}}}}
YAML

# The same data and seed: evaluating the source's weights must give the
# source's own accuracies.
cat > "$exp/b/look.yaml" <<'YAML'
seed: 5
threads: 1
data: {loader: synthetic, classes: 4, channels: 3, size: 12, train: 32,
       val: 16, test: 16, mean: [0.5], std: [0.5]}
model: {from: base/source}
analyses: [summary]
profiles:
  three:
    data: {classes: 3}
YAML

# By hand, rows (columns): from the input (size 1, jump 1, start 0),
# size += (k - 1) * dilation * jump, start -= pad * jump, jump *= stride:
#   conv1 k3x5 p1x2: size 3x5, jump 1, start -1,-2        map 12x12
#   pool1 k2 s2:     size 4x6, jump 2, start -1,-2        map 6x6
#   conv2 k3 d2:     size 4+2*2*2 = 12, 6+2*2*2 = 14, jump 2  map 2x2
#   globalpool, linear: the whole 12x12 input.
expected_source_rf='input [3, 12, 12]
index  name         type         output                rf size   jump   start
    0  conv1        conv2d       [4, 12, 12]               3x5      1   -1,-2
    1  pool1        maxpool2d    [4, 6, 6]                 4x6      2   -1,-2
    2  conv2        conv2d       [8, 2, 2]               12x14      2   -1,-2
    3  gp1          globalpool   [8, 1, 1]              all 12      -       -
    4  fc1          linear       [4, 1, 1]              all 12      -       -'

out=$("$CNNLAB" rf "$exp/base/source.yaml" 2> "$scratch/err")
ok $? "rf runs"
is "$out" "$expected_source_rf" "rf: the small model's fields, by hand"

# The best model (A.7), as t/test-receptive-field.c derives it: k3 convs
# add 2 * jump, pools (3, 2) add 2 * jump and double the jump.
expected_best_rf='input [3, 84, 84]
index  name         type         output                rf size   jump   start
    0  conv1        conv2d       [64, 82, 82]                3      1       0
    1  conv2        conv2d       [64, 80, 80]                5      1       0
    2  pool1        maxpool2d    [64, 39, 39]                7      2       0
    3  conv3        conv2d       [128, 37, 37]              11      2       0
    4  conv4        conv2d       [128, 35, 35]              15      2       0
    5  pool2        maxpool2d    [128, 17, 17]              19      4       0
    6  conv5        conv2d       [256, 15, 15]              27      4       0
    7  conv6        conv2d       [256, 13, 13]              35      4       0
    8  pool3        maxpool2d    [256, 6, 6]                43      8       0
    9  gp1          globalpool   [256, 1, 1]            all 84      -       -
   10  fc1          linear       [256, 1, 1]            all 84      -       -
   11  fc2          linear       [256, 1, 1]            all 84      -       -
   12  fc3          linear       [33, 1, 1]             all 84      -       -'
is "$("$CNNLAB" rf "$srcdir/experiments/part-a/best.yaml")" \
    "$expected_best_rf" "rf: the best model's fields, by hand"
is "$("$CNNLAB" rf "$srcdir/experiments/part-b/filters.yaml")" \
    "$expected_best_rf" "rf of a Part B manifest shows the best model's"
out=$("$CNNLAB" rf "$srcdir/experiments/part-a/conv-layers.yaml" 2>&1)
like "$out" "==> conv-layers/3-conv <==" "rf: a heading per variant"

"$CNNLAB" rf > /dev/null 2>&1
is $? 2 "rf without a manifest: usage error"
out=$("$CNNLAB" rf "$exp/base/source.yaml" --force 2>&1)
is $? 2 "rf --force: usage error"
like "$out" "rf takes only --profile, --variant and KEY=VALUE" \
    "rf: the error says which options it takes"

# ---- model.from: lookup and --profile
is "$("$CNNLAB" rf "$exp/b/look.yaml")" "$expected_source_rf" \
    "from: base/source is found one directory up"
printf 'data: {loader: synthetic}\nmodel: {from: base/source}\n' \
    > "$exp/b/deeper/far.yaml"
is "$("$CNNLAB" rf "$exp/b/deeper/far.yaml")" "$expected_source_rf" \
    "... and two directories up"
printf 'data: {loader: synthetic}\nmodel: {from: base/source}\n' \
    > "$exp/top.yaml"
is "$("$CNNLAB" rf "$exp/top.yaml")" "$expected_source_rf" \
    "... and in the manifest's own directory"
printf 'data: {loader: synthetic}\nmodel: {from: ../base/source.yaml}\n' \
    > "$exp/b/path.yaml"
is "$("$CNNLAB" rf "$exp/b/path.yaml")" "$expected_source_rf" \
    "a path ending in .yaml is relative to the manifest"
out=$("$CNNLAB" rf "$exp/b/look.yaml" --profile three)
like "$out" "fc1          linear       [3, 1, 1]" \
    "the source is resolved with the same --profile"

# ---- errors, each exit status 2 with its place
error_case() { # error_case NAME YAML EXPECTED DESCRIPTION [ARGS...]
    name=$1 yaml=$2 expected=$3 description=$4
    shift 4
    printf '%s\n' "$yaml" > "$exp/b/$name.yaml"
    out=$("$CNNLAB" rf "$exp/b/$name.yaml" "$@" 2>&1)
    status=$?
    is $status 2 "$description: exit status 2"
    like "$out" "$expected" "$description: the message"
}
error_case typo 'data: {loader: synthetic}
model: {from: base/sourse}' \
    "b/typo.yaml:2:15: model.from: no manifest 'base/sourse' (looked for base/sourse.yaml in $exp/b and each directory above it" \
    "an unknown name"
like "$out" "Did you mean 'base/source'?" "an unknown name: did you mean"
printf 'data: {loader: synthetic}\nmodel: {from: b/cycle-b}\n' \
    > "$exp/b/cycle-a.yaml"
error_case cycle-b 'data: {loader: synthetic}
model: {from: b/cycle-a}' "model.from makes a cycle: " "a cycle of two"
like "$out" "cycle-b.yaml -> " "a cycle: the chain is named"
error_case self 'data: {loader: synthetic}
model: {from: b/self}' "model.from makes a cycle" "a manifest naming itself"
error_case extra 'data: {loader: synthetic}
model: {from: base/source, layers: [relu]}' \
    "b/extra.yaml:2:28: model.from takes the model (input, layers) and its weights from base/source: remove model.layers" \
    "from with layers"
error_case several "data: {loader: synthetic}
model: {from: $srcdir/experiments/part-a/conv-layers.yaml}" \
    "has 5 variants (1-conv, 2-conv, 3-conv, 4-conv, 5-conv): say which one" \
    "a source with several variants"
error_case unknown-variant "data: {loader: synthetic}
model: {from: $srcdir/experiments/part-a/conv-layers.yaml, variant: 9-conv}" \
    "model.variant: " "an unknown variant"
like "$out" "has no variant '9-conv' (it has: 1-conv," \
    "an unknown variant: the variants are listed"
error_case lone-variant 'data: {loader: synthetic}
model: {input: [1, 2, 2], layers: [relu], variant: x}' \
    "model.variant picks the variant of model.from's manifest" \
    "variant without from"
error_case no-profile 'data: {loader: synthetic}
model: {from: base/source}
profiles: {other: {seed: 2}}' \
    "model.from base/source" "a profile the source lacks" --profile other
like "$out" "source.yaml has no profile 'other' (it has: three)" \
    "a profile the source lacks: named with the source's"
out=$("$CNNLAB" rf "$srcdir/experiments/part-b/occlusion.yaml" \
    --variant main 2>&1)
is $? 0 "a Part B manifest resolves part-a/best"

# ---- a run from a missing checkpoint: the source runs first
run() { # run OUT MANIFEST [ARGS...]
    out_dir=$1 manifest=$2
    shift 2
    "$CNNLAB" run --quiet --out "$scratch/$out_dir" "$manifest" "$@" \
        > "$scratch/run.out" 2> "$scratch/run.err"
}
value() { # value FILE KEY: a number or string of run.json
    sed -n "s/.*\"$2\": \"*\([^,\"]*\)\"*,*$/\1/p" "$1" | head -1
}

run R "$exp/b/look.yaml"
status=$?
is $status 0 "run: the source, then the analysis run"
[ $status -eq 0 ] || sed 's/^/#   /' "$scratch/run.err"
like "$(cat "$scratch/run.err")" \
    "look/main: model.from: $scratch/R/source/main/model.safetensors is missing: running $exp/base/source.yaml (variant main) first" \
    "run: a note says the source runs first"
test -s "$scratch/R/source/main/model.safetensors"
ok $? "run: the source left its checkpoint"
look="$scratch/R/look/main"
is "$(value "$look/run.json" status)" complete "run: complete"
is "$(value "$look/run.json" epochs_run)" 0 "run: no epochs (train.epochs defaults to 0)"
is "$(value "$look/run.json" weights)" \
    "$scratch/R/source/main/model.safetensors" "run.json: model_from.weights"
for key in train_accuracy val_accuracy test_accuracy; do
    is "$(value "$look/run.json" $key)" \
        "$(value "$scratch/R/source/main/run.json" $key)" \
        "run: $key of the source's weights, as the source recorded it"
done
is "$(cat "$look/metrics.csv")" \
    "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr" \
    "run: metrics.csv has its header alone"
test -s "$look/model.safetensors" && test -s "$look/summary.txt"
ok $? "run: model.safetensors and the analysis's summary.txt"
like "$(cat "$look/manifest.yaml")" "  from: base/source
  variant: main
  input:" "manifest.yaml records where the model came from"
like "$(cat "$scratch/R/look/table.md")" "| main    |" \
    "the table has the run's row"
like "$(cat "$scratch/R/look/table.csv")" ",0,0,complete" \
    "table.csv: selected epoch 0 of 0, complete"

cp "$scratch/R/source/main/run.json" "$scratch/source-run.json"
run R "$exp/b/look.yaml"
is $? 0 "run again: succeeds"
like "$(cat "$scratch/run.out")" "(complete; --force reruns)" \
    "run again: nothing is redone"
cmp -s "$scratch/R/source/main/run.json" "$scratch/source-run.json"
ok $? "run again: the source is not run again"
run R "$exp/b/look.yaml" --force
is $? 0 "run --force: succeeds"
cmp -s "$scratch/R/source/main/run.json" "$scratch/source-run.json"
ok $? "run --force reruns the manifest given, not its source"

"$CNNLAB" analyse --out "$scratch/R" "$exp/b/look.yaml" \
    > "$scratch/analyse.out" 2>&1
is $? 0 "analyse reruns the analyses of a run without training"

# --profile reaches the source's run.
run R3 "$exp/b/look.yaml" --profile three
is $? 0 "run --profile three: succeeds"
like "$(cat "$scratch/R3/source/main/manifest.yaml")" "classes: 3" \
    "the source ran with the same profile"

# A checkpoint of another model (3 outputs, not 4).
mkdir -p "$scratch/R4/source/main"
cp "$scratch/R3/source/main/model.safetensors" "$scratch/R4/source/main/"
run R4 "$exp/b/look.yaml"
is $? 1 "a checkpoint of another model: the run fails"
like "$(cat "$scratch/run.err")" \
    "b/look.yaml:5:15: model.from: $exp/base/source.yaml (variant main): '$scratch/R4/source/main/model.safetensors' does not fit this model" \
    "... placed at model.from, naming the file"
like "$(cat "$scratch/run.err")" "'4.weight' (layer fc1 (linear)) is [3, 8] in the file, [4, 8] in the model" \
    "... with the difference"
like "$(cat "$scratch/run.err")" "R4/source/main was not trained by" \
    "... after a note that the source's run is another"
test ! -e "$scratch/R4/look"
ok $? "... before anything is written"

# Fine-tuning: an explicit train.epochs trains from the checkpoint.
run R "$exp/b/look.yaml" train.epochs=1 train.batch=8
is $? 0 "from with train.epochs=1: succeeds"
is "$(value "$look/run.json" epochs_run)" 1 "... and trains one epoch"

# train.epochs: 0 without model.from evaluates the seeded weights.
run R5 "$exp/base/source.yaml" train.epochs=0
is $? 0 "train.epochs=0 without from: succeeds"
is "$(value "$scratch/R5/source/main/run.json" selected_epoch)" 0 \
    "... selected epoch 0"
test -s "$scratch/R5/source/main/model.safetensors"
ok $? "... and keeps the weights it evaluated"

# ---- the Part B manifests validate under each profile
for name in occlusion filters ablation attribution; do
    for profile in "" fashion smoke; do
        "$CNNLAB" check "$srcdir/experiments/part-b/$name.yaml" \
            ${profile:+--profile "$profile"} > "$scratch/check.out" \
            2> "$scratch/check.err"
        status=$?
        ok $status "part-b/$name: check ${profile:---default protocol} passes"
        [ $status -eq 0 ] || sed 's/^/#   /' "$scratch/check.err"
    done
    like "$(cat "$scratch/check.out")" \
        "model from $srcdir/experiments/part-a/best.yaml" \
        "part-b/$name: the model comes from part-a/best"
done

done_testing
