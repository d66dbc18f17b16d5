#!/bin/sh
# Frozen layers and fine-tuning through `cnnlab`: check marks the frozen
# layers; the manifest errors of train.freeze and `trainable:` (at their
# file:line:column); a run from pretrained weights with conv1 frozen by
# train.freeze and conv2 by `trainable: false` leaves both bit for bit as
# the file had them and records them in run.json; --resume of such a run
# ends byte-identical to the uninterrupted one, its state holding
# optimizer state for the trainable parameters alone; a checkpoint of
# another class count starts a new head (model.weights and model.from)
# in a run that trains, while any other mismatch, a run that only
# evaluates and cnnlab eval stay strict; `cnnlab summary` counts
# trainable parameters as torchsummary does.

# Every epoch writes and fsyncs several files: on a tmpfs, where there is
# one, the test takes seconds instead of a minute.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    TMPDIR=/dev/shm
    export TMPDIR
fi
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

# conv1 (40 parameters), pool1, conv2 (148), flatten1, fc1 (260): 448.
# 64 training images in batches of 8: 8 batches an epoch.
write_manifest() { # write_manifest FILE NAME CLASSES [MODEL-EXTRA] [TRAIN-EXTRA]
    cat > "$scratch/$1" <<YAML
name: $2
seed: 4
threads: 1
data: {loader: synthetic, classes: $3, channels: 1, size: 8, train: 64, val: 16, test: 16, mean: [0.5], std: [0.5]}
model:
  input: [1, 8, 8]$4
  layers:
    - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu$6}
    - flatten
    - linear: {out: $3}
train: {epochs: 3, batch: 8, optimizer: {sgd: {lr: 0.05, momentum: 0.9, weight_decay: 0.1}}$5}
YAML
}

# Manifests name their files relative to themselves; commands run in the
# scratch directory, so that messages show short names.
CNNLAB_ABS=$(cd "$(dirname "$CNNLAB")" && pwd)/$(basename "$CNNLAB")
cnnlab() { (cd "$scratch" && "$CNNLAB_ABS" "$@"); }

run() { # run OUT MANIFEST [ARGS...]: status in $status, stderr in OUT.stderr
    out=$1
    shift
    cnnlab run --quiet --out "$scratch/$out" "$@" \
        > "$scratch/$out.stdout" 2> "$scratch/$out.stderr"
    status=$?
}

show_on_failure() { # show_on_failure EXPECTED OUT
    [ "$status" -eq "$1" ] || sed 's/^/# /' "$scratch/$2.stderr"
}

# Safetensors tensors compared by name without PyTorch: the standard
# library reads the format.
python=/usr/bin/python3
cat > "$scratch/tensors.py" <<'PY'
import json, struct, sys

def load(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    data = raw[8 + n:]
    return {name: (entry['shape'],
                   data[entry['data_offsets'][0]:entry['data_offsets'][1]])
            for name, entry in header.items()}

command, first = sys.argv[1], load(sys.argv[2])
if command == 'compare':  # compare A B NAME...: "NAME same|differs"
    second = load(sys.argv[3])
    for name in sys.argv[4:]:
        print(name, 'same' if first[name] == second[name] else 'differs')
else:  # shape A NAME: its shape as [a, b]
    print(first[sys.argv[3]][0])
PY
have_python=0
"$python" -c 'import json, struct' > /dev/null 2>&1 && have_python=1
tensors() { # tensors A B NAME...
    a=$1
    b=$2
    shift 2
    "$python" "$scratch/tensors.py" compare "$scratch/$a" "$scratch/$b" "$@" \
        2>&1 | tr '\n' ' ' | sed 's/ $//'
}
shape() { "$python" "$scratch/tensors.py" shape "$scratch/$1" "$2" 2>&1; }

write_manifest base.yaml base 4
write_manifest frozen.yaml frozen 4 "
  weights: start.safetensors" ", freeze: [conv1]" ", trainable: false"

# --- cnnlab check
plan=$(cnnlab check base.yaml 2>&1)
case "$plan" in *frozen*) ok 1 "check: nothing frozen, no layer marked" ;;
*) ok 0 "check: nothing frozen, no layer marked" ;; esac
like "$plan" "total parameters: 448
" "check: the total alone when nothing is frozen"
# The weights need not exist for check: it reads no file.
plan=$(cnnlab check frozen.yaml 2>&1)
like "$plan" "1    conv1      conv2d       [4, 8, 8]                    40  frozen" \
    "check marks conv1 (train.freeze) frozen"
like "$plan" "3    conv2      conv2d       [4, 4, 4]                   148  frozen" \
    "check marks conv2 (trainable: false) frozen"
like "$plan" "5    fc1        linear       [4, 1, 1]                   260
" "check leaves fc1 unmarked"
like "$plan" "total parameters: 448 (260 trainable, 188 frozen)" \
    "check totals the trainable and frozen parameters"

# --- manifest errors, each at its place
refused() { # refused FILE NEEDLE WHAT
    output=$(cnnlab check "$1" 2>&1)
    code=$?
    is "$code" 2 "$3: cnnlab check exits 2"
    like "$output" "$2" "$3: the message"
}
write_manifest unknown.yaml unknown 4 "" ", freeze: [conv1, cnov2]"
refused unknown.yaml "unknown.yaml:13:110: train.freeze: the model has no layer 'cnov2'; did you mean 'conv2'? (layers with parameters: conv1, conv2, fc1)" \
    "an unknown name in train.freeze, at its element"
write_manifest pool.yaml pool 4 "" ", freeze: [pool1]"
refused pool.yaml "pool.yaml:13:103: train.freeze: layer pool1 (maxpool2d) has no parameters to freeze" \
    "a layer without parameters in train.freeze"
write_manifest notbool.yaml notbool 4 "" "" ", trainable: maybe"
refused notbool.yaml "notbool.yaml:10:76: conv2d: 'trainable' must be true or false, got 'maybe'" \
    "a trainable that is not a bool"
write_manifest typo.yaml typo 4 "" "" ", trainabel: false"
refused typo.yaml "typo.yaml:10:65: unknown parameter 'trainabel' for conv2d; did you mean 'trainable'?" \
    "a misspelt trainable"
write_manifest all.yaml all 4 "" ", freeze: [conv1, fc1]" ", trainable: false"
refused all.yaml "all.yaml:13:103: every layer with parameters is frozen" \
    "a run with every layer frozen"
sed 's/- maxpool2d: {kernel: 2}/- maxpool2d: {kernel: 2, trainable: false}/' \
    "$scratch/base.yaml" > "$scratch/poolflag.yaml"
refused poolflag.yaml "poolflag.yaml:9:30: layer pool1 (maxpool2d) has no parameters: \`trainable: false\` freezes nothing" \
    "trainable: false on a layer without parameters"

# --- pretraining, then a run with conv1 and conv2 frozen
run pre base.yaml
is "$status" 0 "pretraining (4 classes) completes"
show_on_failure 0 pre
cp "$scratch/pre/base/main/model.safetensors" "$scratch/start.safetensors"
run ref frozen.yaml
is "$status" 0 "the frozen run completes"
show_on_failure 0 ref
info=$(cat "$scratch/ref/frozen/main/run.json")
like "$info" '"frozen": [
    "conv1",
    "conv2"
  ],' "run.json records the frozen layers"
like "$info" '"trainable_parameters": 260' \
    "run.json records the trainable parameter count"
case "$(cat "$scratch/pre/base/main/run.json")" in
*'"frozen"'*|*trainable_parameters*) ok 1 "a run without frozen layers records none" ;;
*) ok 0 "a run without frozen layers records none" ;;
esac
if [ "$have_python" = 1 ]; then
    is "$(tensors start.safetensors ref/frozen/main/model.safetensors \
        0.weight 0.bias 2.weight 2.bias 4.weight 4.bias)" \
        "0.weight same 0.bias same 2.weight same 2.bias same 4.weight differs 4.bias differs" \
        "frozen conv1 and conv2 are bit for bit the starting weights (momentum, weight decay), fc1 trained"
else
    skip "frozen tensors unchanged" "no $python"
fi

# --- --resume of a run with frozen layers
CNNLAB_TEST_INTERRUPT_AFTER_BATCHES=11 run resumed frozen.yaml
is "$status" 130 "the frozen run, interrupted in epoch 2, exits 130"
state="$scratch/resumed/frozen/main/train-state.safetensors"
if [ "$have_python" = 1 ]; then
    is "$(shape resumed/frozen/main/train-state.safetensors optimizer_state)" \
        "[260]" "its state holds momentum for the 260 trainable parameters"
    is "$(shape resumed/frozen/main/train-state.safetensors parameters)" \
        "[448]" "and every parameter's current value"
else
    skip "the state's optimizer_state size" "no $python"
    skip "the state's parameters size" "no $python"
fi
test -s "$state"
ok $? "the state file is there"
run resumed frozen.yaml --resume
is "$status" 0 "--resume completes it"
show_on_failure 0 resumed
for file in metrics.csv model.safetensors; do
    cmp -s "$scratch/ref/frozen/main/$file" \
        "$scratch/resumed/frozen/main/$file"
    ok $? "resumed: $file byte-identical to the uninterrupted run's"
done

# --- fine-tuning on 3 classes from the 4-class weights: a new head
write_manifest tune.yaml tune 3 "
  weights: start.safetensors" ", freeze: [conv1, conv2]"
run tune tune.yaml
is "$status" 0 "fine-tuning from a checkpoint of another class count runs"
show_on_failure 0 tune
like "$(cat "$scratch/tune.stderr")" "tune/main: the starting weights' head does not fit this model's class count ('4.weight' is [4, 64] in the file, [3, 64] in the model): layer fc1 (linear) starts from the seed's initialisation" \
    "a note says the head is new, and why"
like "$(cat "$scratch/tune/tune/main/run.json")" '"new_head": {
    "layer": "fc1",
    "index": 4,
    "detail": "'"'4.weight' is [4, 64] in the file, [3, 64] in the model"'"
  }' "run.json records the new head"
if [ "$have_python" = 1 ]; then
    is "$(tensors start.safetensors tune/tune/main/model.safetensors \
        0.weight 0.bias 2.weight 2.bias)" \
        "0.weight same 0.bias same 2.weight same 2.bias same" \
        "the frozen convs are the checkpoint's"
    is "$(shape tune/tune/main/model.safetensors 4.weight)" "[3, 64]" \
        "the head has the new class count"
else
    skip "the frozen convs are the checkpoint's" "no $python"
    skip "the head's shape" "no $python"
fi
case "$(cat "$scratch/ref/frozen/main/run.json")" in
*new_head*) ok 1 "a run whose weights fit records no new head" ;;
*) ok 0 "a run whose weights fit records no new head" ;; esac

# Anything but the head's output count stays an error.
write_manifest wide.yaml wide 3 "
  weights: start.safetensors" "" ", trainable: false"
sed 's/out: 4, kernel: 3, padding: 1, activation: relu, trainable: false/out: 5, kernel: 3, padding: 1, activation: relu, trainable: false/' \
    "$scratch/wide.yaml" > "$scratch/wide.tmp" && mv "$scratch/wide.tmp" "$scratch/wide.yaml"
run wide wide.yaml
is "$status" 1 "a checkpoint whose conv2 differs too is refused"
like "$(cat "$scratch/wide.stderr")" "wide.yaml:7:12: model.weights: 'start.safetensors' does not fit this model" \
    "the refusal is the usual one, at model.weights"
eval_output=$(cnnlab eval tune.yaml --weights start.safetensors 2>&1)
is "$?" 2 "cnnlab eval takes no new head: weights of another class count are refused"
like "$eval_output" "does not fit this model" "eval's message says so"

# --- model.from: a source trained under another profile's class count
cat > "$scratch/src.yaml" <<'YAML'
name: src
seed: 4
threads: 1
data: {loader: synthetic, classes: 3, channels: 1, size: 8, train: 64, val: 16, test: 16, mean: [0.5], std: [0.5]}
model:
  input: [1, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - flatten
    - linear: {out: 3}
train: {epochs: 1, batch: 8}
profiles:
  four: {data: {classes: 4}, model: {layers: {-1: {linear: {out: 4}}}}}
YAML
cat > "$scratch/dst.yaml" <<'YAML'
name: dst
seed: 4
threads: 1
data: {loader: synthetic, classes: 3, channels: 1, size: 8, train: 64, val: 16, test: 16, mean: [0.5], std: [0.5]}
model: {from: src}
train: {epochs: 1, batch: 8, freeze: [conv1]}
YAML
run from src.yaml --profile four
is "$status" 0 "the model.from source trains on 4 classes"
run from dst.yaml train.epochs=0
is "$status" 1 "model.from that only evaluates takes no new head"
like "$(cat "$scratch/from.stderr")" "does not fit this model (4 tensors in the file, 4 in the model): '3.weight' (layer fc1 (linear)) is [4, 64] in the file, [3, 64] in the model" \
    "... the usual refusal"
like "$(cat "$scratch/from.stderr")" "(only the head's outputs differ: a run that trains, train.epochs > 0, would start it afresh to fine-tune on this class count)" \
    "... saying what would fine-tune a new head"
run from dst.yaml
is "$status" 0 "model.from with 3 classes fine-tunes a new head"
show_on_failure 0 from
like "$(cat "$scratch/from/dst/main/run.json")" '"layer": "fc1"' \
    "model.from: run.json records the new head"
like "$(cat "$scratch/from/dst/main/run.json")" '"frozen": [
    "conv1"
  ]' "model.from: train.freeze applies to the source's layers"

# --- cnnlab summary: torchsummary's trainable counts
summary=$(cnnlab summary frozen.yaml 2>&1)
like "$summary" "Total params: 448
Trainable params: 260
Non-trainable params: 188
" "summary: frozen conv1 and conv2 are non-trainable, as requires_grad=False"
like "$(cnnlab summary base.yaml 2>&1)" "Trainable params: 448
Non-trainable params: 0
" "summary: nothing frozen, every parameter trainable"

done_testing
