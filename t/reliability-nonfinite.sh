#!/bin/sh
# Weights holding NaN or infinity are refused where they are loaded, with
# the file and the tensor named (issue 19, class 6): `cnnlab eval
# --weights`, `model.weights` and `cnnlab analyse` used to compute from
# them ("cannot format eval.json", run.json stuck at "running", analyses
# "ok" over NaN maps). Nothing is written from them. And eval takes the
# variant's lock, as run and analyse do.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"
. "${CNNLAB_SRCDIR:-.}/t/tiny-manifest.sh"
command -v python3 > /dev/null || skip_all "python3 is not installed"

{
    tiny_manifest
    cat <<'YAML'
analyses: [classwise]
YAML
} > "$scratch/tiny.yaml"
"$CNNLAB" run --quiet --out "$scratch/r" "$scratch/tiny.yaml" > /dev/null 2>&1
ok $? "a run to take weights from"
run="$scratch/r/tiny/main"

# poison SOURCE DEST TENSOR VALUE: a copy with one value of TENSOR replaced
poison() {
    python3 - "$@" <<'PY'
import json, struct, sys
source, dest, name, value = sys.argv[1:5]
data = bytearray(open(source, 'rb').read())
length = struct.unpack('<Q', data[:8])[0]
start = 8 + length + json.loads(data[8:8 + length])[name]['data_offsets'][0]
data[start + 8:start + 12] = struct.pack('<f', float(value))
open(dest, 'wb').write(data)
PY
}
poison "$run/model.safetensors" "$scratch/nan.safetensors" 0.weight nan
poison "$run/model.safetensors" "$scratch/inf.safetensors" 3.bias -inf

output=$("$CNNLAB" eval "$scratch/tiny.yaml" --weights "$scratch/nan.safetensors" \
    --out "$scratch/eval" 2>&1)
is "$?" 2 "eval --weights with a NaN: exit 2"
like "$output" "nan.safetensors': tensor '0.weight' (layer conv1) holds NaN or infinity (1 of its 36 values, the first at index 2)" \
    "the error names the file, the tensor, the layer and the first bad value"
test ! -e "$scratch/eval/tiny/main/eval-test/eval.json"
ok $? "and writes no eval.json"

output=$("$CNNLAB" run --quiet --out "$scratch/w" "$scratch/tiny.yaml" \
    "model.weights=$scratch/inf.safetensors" 2>&1)
[ $? -ne 0 ]
ok $? "model.weights with an infinity fails the run"
like "$output" "tensor '3.bias' (layer fc1) holds NaN or infinity" \
    "naming the tensor"

# eval writes into the variant's directory under its lock, as run and
# analyse do (issue 19, class 10): refused while another process holds it.
if command -v flock > /dev/null; then
    flock "$run/.lock" sleep 3 &
    holder=$!
    sleep 1
    output=$("$CNNLAB" eval "$scratch/tiny.yaml" --weights "$run/model.safetensors" \
        --out "$scratch/r" 2>&1)
    status=$?
    wait "$holder" # the lock is free again once its sleep ends
    [ "$status" -ne 0 ]
    ok $? "eval into a variant whose lock another process holds fails"
    like "$output" "another cnnlab run is writing to '$run'" "and says why"
    test ! -e "$run/eval-test/eval.json"
    ok $? "and writes nothing there"
else
    skip "eval takes the variant's lock" "flock(1) is not installed"
fi

cp "$scratch/nan.safetensors" "$run/model.safetensors"
output=$("$CNNLAB" analyse --out "$scratch/r" "$scratch/tiny.yaml" 2>&1)
[ $? -ne 0 ]
ok $? "analyse of a run whose model.safetensors holds a NaN fails"
like "$output" "model.safetensors': tensor '0.weight'" "naming the file and the tensor"
like "$(cat "$run/run.json")" '"status": "complete"' \
    "run.json keeps the run's status (not left running)"
done_testing
