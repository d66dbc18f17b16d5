#!/bin/sh
# cnnlab run on an imagefolder folder decodes in the background: training
# starts before the last image is decoded, and the results equal those of
# decoding up front (data.background: false); a damaged file stops the run
# naming it and keeps the epochs recorded before; on_error: skip counts
# what it leaves out; Ctrl-C mid-decode stops at once; under valgrind a
# run (skipping a file, writing the cache) and a failing run are clean.
#
# $CNNLAB_TEST_DECODE_DELAY_US slows each decode (5 ms here, one thread),
# so that decoding the folder takes over a second on any machine while
# training the tiny model takes milliseconds.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

script="${CNNLAB_SRCDIR:-.}/scripts/make-imagefolder"
export CNNLAB_BUILDDIR="${CNNLAB_BUILDDIR:-.}"
[ -x "$CNNLAB_BUILDDIR/tools/make-imagefolder" ] \
    || skip_all "tools/make-imagefolder is not built"

# 6 classes: 120 train, 24 val, 120 test images of 32 x 32.
folder="$scratch/folder"
"$script" --source synthetic --classes 6 --train 20 --val 4 --test 20 \
    --size 32 --output "$folder" > "$scratch/make.log" 2>&1
ok $? "a synthetic folder is made"

manifest() { # manifest ROOT EXTRA-DATA-KEYS
    cat <<YAML
name: stream
seed: 5
threads: 1
data: {loader: imagefolder, root: $1, size: 32, threads: 1,
       mean: [0.5], std: [0.25]$2}
model:
  input: [3, 32, 32]
  layers:
    - conv2d: {out: 4, kernel: 3, stride: 2, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 6}
train: {epochs: 2, batch: 8, optimizer: {sgd: {lr: 0.05, momentum: 0.9}}}
YAML
}

field() { # field RUN_JSON KEY: a number of run.json's "decoding"
    sed -n "/\"decoding\"/,/}/s/.*\"$2\": *\([-0-9.e]*\).*/\1/p" "$1"
}

earlier() { # earlier A B: 0 when number A < number B
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a < b) }'
}

manifest "$folder" "" > "$scratch/stream.yaml"
CNNLAB_TEST_DECODE_DELAY_US=5000 "$CNNLAB" run --quiet \
    --out "$scratch/background" "$scratch/stream.yaml" \
    > "$scratch/background.log" 2>&1
ok $? "a run decoding in the background completes"
run="$scratch/background/stream/main"
first=$(field "$run/run.json" first_batch_ready)
all=$(field "$run/run.json" all_decoded)
earlier "$first" "$all"
ok $? "the first batch trained (at ${first} s) before the last image was \
decoded (${all} s)"

CNNLAB_TEST_DECODE_DELAY_US=5000 "$CNNLAB" run --quiet \
    --out "$scratch/upfront" "$scratch/stream.yaml" data.background=false \
    > "$scratch/upfront.log" 2>&1
ok $? "a run decoding up front completes"
upfront="$scratch/upfront/stream/main"
first=$(field "$upfront/run.json" first_batch_ready)
all=$(field "$upfront/run.json" all_decoded)
earlier "$all" "$first"
ok $? "up front, the first batch (${first} s) waits for every image (${all} s)"
cmp -s "$run/metrics.csv" "$upfront/metrics.csv"
ok $? "metrics.csv is byte-identical either way"
cmp -s "$run/model.safetensors" "$upfront/model.safetensors"
ok $? "so are the selected weights"

# A damaged file, the last test image: found while training runs.
damaged="$scratch/damaged"
cp -R "$folder" "$damaged"
bad=$(find "$damaged/test" -name '*.jpg' | sort | tail -n 1)
printf 'not a JPEG at all' > "$bad"
manifest "$damaged" "" > "$scratch/damaged.yaml"
CNNLAB_TEST_DECODE_DELAY_US=5000 "$CNNLAB" run --quiet \
    --out "$scratch/failed" "$scratch/damaged.yaml" \
    > "$scratch/failed.log" 2>&1
status=$?
ok $((status == 0)) "a damaged file fails the run (status $status)"
like "$(cat "$scratch/failed.log")" "$bad" "...naming the file"
failed="$scratch/failed/stream/main"
like "$(cat "$failed/run.json")" '"status": "failed"' "run.json says failed"
like "$(cat "$failed/run.json")" "$bad" "...with the error naming the file"
# Test images decode after train and val (120 x 5 ms behind them): epoch 1
# is recorded before the error reaches training.
rows=$(wc -l < "$failed/metrics.csv" 2>/dev/null || echo 0)
[ "$rows" -ge 2 ] && [ -s "$failed/model.safetensors" ]
ok $? "the epochs trained before the error are kept ($rows lines)"

# A training image damaged too: left out, it changes the batches.
printf 'not a JPEG either' > \
    "$(find "$damaged/train" -name '*.jpg' | sort | head -n 1)"
manifest "$damaged" ", on_error: skip" > "$scratch/skip.yaml"
"$CNNLAB" run --out "$scratch/skipped" "$scratch/skip.yaml" \
    > "$scratch/skip.log" 2>&1
ok $? "on_error: skip completes"
like "$(cat "$scratch/skipped/stream/main/run.json")" '"skipped_files": 2' \
    "run.json counts the files left out"
like "$(cat "$scratch/skip.log")" "left out 2 files" "...and a note says so"
# The left-out images are passed over the same way whether decoding runs
# in the background, up front, or before a rerun over an earlier run (were
# they removed before training instead, the shuffle would differ).
skipped="$scratch/skipped/stream/main"
cp "$skipped/metrics.csv" "$scratch/skip-metrics.csv"
"$CNNLAB" run --quiet --out "$scratch/skipped-upfront" "$scratch/skip.yaml" \
    data.background=false > "$scratch/skip-upfront.log" 2>&1
cmp -s "$scratch/skip-metrics.csv" \
    "$scratch/skipped-upfront/stream/main/metrics.csv"
ok $? "on_error: skip, up front: metrics.csv is byte-identical"
"$CNNLAB" run --quiet --force --out "$scratch/skipped" "$scratch/skip.yaml" \
    > "$scratch/skip-rerun.log" 2>&1
cmp -s "$scratch/skip-metrics.csv" "$skipped/metrics.csv"
ok $? "on_error: skip, a rerun (decoded first): metrics.csv is byte-identical"

# Ctrl-C while decoding (50 ms an image: 13 s for the folder).
CNNLAB_TEST_DECODE_DELAY_US=50000 "$CNNLAB" run --quiet \
    --out "$scratch/interrupted" "$scratch/stream.yaml" \
    > "$scratch/interrupt.log" 2>&1 &
pid=$!
tries=0
while ! grep -q running "$scratch/interrupted/stream/main/run.json" \
        2>/dev/null && [ $tries -lt 300 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
started=$(date +%s)
kill -s INT "$pid"
wait "$pid"
status=$?
elapsed=$(($(date +%s) - started))
is "$status" 130 "SIGINT mid-decode: exit status 130"
[ "$elapsed" -le 5 ]
ok $? "...within seconds, not after decoding the rest ($elapsed s)"
like "$(cat "$scratch/interrupted/stream/main/run.json")" \
    '"status": "interrupted"' "...recorded as interrupted"

# valgrind cannot run a program built with ASan (--enable-sanitizers).
if command -v valgrind >/dev/null 2>&1 && [ -z "${CNNLAB_SANITIZERS:-}" ]; then
    small="$scratch/small"
    "$script" --source synthetic --classes 6 --train 2 --val 1 --test 1 \
        --size 32 --output "$small" > "$scratch/make-small.log" 2>&1
    last=$(find "$small/train" -name '*.jpg' | sort | tail -n 1)
    printf 'damaged' > "$last"
    # Complete: the damaged file left out, the cache written at the end.
    manifest "$small" ", on_error: skip, cache: $scratch/small.cache" \
        > "$scratch/complete.yaml"
    manifest "$small" "" > "$scratch/failing.yaml"
    for case in complete failing; do
        CNNLAB_TEST_DECODE_DELAY_US=2000 \
        "$CNNLAB_BUILDDIR/libtool" --mode=execute valgrind \
            --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite \
            "$CNNLAB" run --quiet --out "$scratch/valgrind-$case" \
            "$scratch/$case.yaml" > "$scratch/valgrind-$case.log" 2>&1
        status=$?
        [ $case = complete ] && expected=0 || expected=1
        is "$status" "$expected" \
            "valgrind, a $case run: no memory error, no definite leak"
        [ "$status" = "$expected" ] ||
            grep -E '==[0-9]+== ' "$scratch/valgrind-$case.log" | head -30 |
            sed 's/^/# /'
    done
else
    echo "ok $((tap_count + 1)) - valgrind runs # SKIP valgrind is not" \
        "installed, or the build has sanitizers"
    tap_count=$((tap_count + 1))
fi
done_testing
