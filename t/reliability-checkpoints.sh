#!/bin/sh
# Damaged and foreign checkpoints through the command line
# (docs/reliability.md, "Checkpoints"; the reader's own checks are
# t/test-safetensors.c, t/test-checkpoint.c and t/interop-cli.sh): each
# file below, given to `cnnlab eval --weights` or as model.weights, is
# refused — exit status 2 for eval, 1 for a run, which then writes
# nothing — with the file's name and what differs.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

CNNLAB=$(cd "$(dirname "$CNNLAB")" && pwd)/cnnlab
cd "$scratch" || exit 1

# A linear model, so the file has two tensors: 1.weight [3, 192] at
# [0, 2304) and 1.bias [3] at [2304, 2316).
cat > ck.yaml <<'YAML'
name: ck
seed: 1
threads: 1
data: {loader: synthetic, classes: 3, channels: 3, size: 8, train: 48,
       val: 24, test: 24, mean: [0.5], std: [0.5]}
model:
  input: [3, 8, 8]
  layers: [flatten, {linear: {out: 3}}]
train: {epochs: 1, batch: 16}
YAML
"$CNNLAB" run --quiet --out good ck.yaml > good.out 2>&1
is "$?" 0 "a run writes the reference checkpoint"
good=good/ck/main/model.safetensors
"$CNNLAB" eval ck.yaml --weights "$good" --out e > /dev/null 2>&1
is "$?" 0 "eval accepts the good checkpoint"

header_length() { # the little-endian u64 at the start of $1
    od -An -t u8 -N8 "$1" | tr -d ' '
}
le64() { # le64 N: N as 8 little-endian bytes
    n=$1
    for _ in 1 2 3 4 5 6 7 8; do
        # shellcheck disable=SC2059 # the format is the octal escape
        printf "\\$(printf %o $((n % 256)))"
        n=$((n / 256))
    done
}
# rewrite SED-EXPRESSION OUT: the good file with its JSON header edited
rewrite() {
    n=$(header_length "$good")
    dd if="$good" bs=1 skip=8 count="$n" 2> /dev/null | sed "$1" > header.json
    { le64 "$(wc -c < header.json)"; cat header.json
      tail -c +"$((9 + n))" "$good"; } > "$2"
}

grep -q '"1.weight":{"dtype":"F32","shape":\[3,192\],"data_offsets":\[0,2304\]}' \
    "$good"
ok $? "the reference header is as this test expects"

refused() { # refused FILE WHAT NEEDLE...
    file=$1 what=$2
    shift 2
    "$CNNLAB" eval ck.yaml --weights "$file" --out e > eval.out 2> eval.err
    is "$?" 2 "$what: eval refuses it (status 2)"
    like "$(cat eval.err)" "$file" "$what: the message names the file"
    for needle in "$@"; do
        like "$(cat eval.err)" "$needle" "$what: says '$needle'"
    done
}

head -c 2000 "$good" > truncated.safetensors
refused truncated.safetensors "a truncated file" \
    "data_offsets [0, 2304] outside the data area of"
head -c 100 "$good" > cut-header.safetensors
refused cut-header.safetensors "a file cut inside its header" "beyond the end"
{ le64 1000000; tail -c +9 "$good"; } > long-header.safetensors
refused long-header.safetensors "a header length beyond the file" \
    "header length 1000000 is beyond"
rewrite 's/\[2304,2316\]/[2304,9316]/' out-of-range.safetensors
refused out-of-range.safetensors "offsets beyond the data" \
    "outside the data area"
rewrite 's/\[2304,2316\]/[2292,2304]/' overlap.safetensors
refused overlap.safetensors "overlapping offsets" "overlap"
rewrite 's/"F32"/"F16"/' dtype.safetensors
refused dtype.safetensors "dtype F16" \
    "tensor '1.weight' has dtype F16; cnnlab reads F32 (and I64 for integer buffers such as num_batches_tracked) only"
rewrite 's/\[3,192\]/[4,144]/' shape.safetensors
refused shape.safetensors "a tensor of another shape" \
    "'1.weight' (layer fc1 (linear)) is [4, 144] in the file, [3, 192] in the model"
rewrite 's/"1.bias"/"1.bais"/' name.safetensors
refused name.safetensors "a tensor of another name" "the file has no '1.bias'" \
    "'1.bais'"
rewrite 's/^{/[/' json.safetensors
refused json.safetensors "a header that is not JSON" "not valid JSON"
printf 'PK\003\004 a zip, say' > zip.safetensors
refused zip.safetensors "a file that is no checkpoint" "not a safetensors file"

# A checkpoint of another model: a conv net's weights for the linear one.
sed 's/layers: \[flatten, {linear: {out: 3}}\]/layers: [{conv2d: {out: 3, kernel: 8}}]/' \
    ck.yaml > conv.yaml
"$CNNLAB" run --quiet --out conv conv.yaml > conv.out 2>&1
refused conv/ck/main/model.safetensors "another model's checkpoint" \
    "does not fit this model" "'0.weight'"

# As model.weights, a damaged file fails the run (status 1) with the
# manifest's place, before anything is written.
sed "s|^model:|model:\n  weights: overlap.safetensors|" ck.yaml > start.yaml
"$CNNLAB" run --quiet --out start start.yaml > start.out 2> start.err
is "$?" 1 "model.weights with overlapping offsets: the run fails (status 1)"
like "$(cat start.err)" "start.yaml:7:12: model.weights: " \
    "model.weights: the manifest's place"
like "$(cat start.err)" "overlap" "model.weights: and what is wrong"
test ! -e start/ck/main/run.json
ok $? "model.weights: nothing was written"

done_testing
