#!/bin/sh
# Faults during a run (docs/reliability.md, "Faults"):
#  - a NaN or infinite loss stops the run with exit status 1, naming the
#    epoch and batch; model.safetensors keeps the weights of the last
#    selected epoch (byte-identical to a clean run that stops there), never
#    NaN weights; metrics.csv holds only the finished epochs;
#  - weights turned NaN by an epoch's last update (its loss still finite)
#    are caught at the end of that epoch, before they can be saved;
#  - a second run into a directory a run is writing to is refused (the
#    lock), changes nothing there, and a killed run leaves no stale lock.
# The t/faulty-loss module is a cross-entropy that turns NaN at a chosen
# training step (counted over the run from 1; 6 steps per epoch here).
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

[ -n "$CNNLAB_TEST_PLUGIN_DIR" ] ||
    skip_all "CNNLAB_TEST_PLUGIN_DIR not set (run through make check)"
faulty="$CNNLAB_TEST_PLUGIN_DIR/faulty-loss.so"
[ -f "$faulty" ] || skip_all "$faulty is not built"

cat > "$scratch/faulty.yaml" <<YAML
name: faulty
seed: 3
threads: 1
plugins: [$faulty]
data: {loader: synthetic, classes: 3, channels: 3, size: 8, train: 96,
       val: 48, test: 48, mean: [0.5], std: [0.5]}
model:
  input: [3, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 3}
train: {epochs: 4, batch: 16, loss: {faulty: {nan_loss_at: 0}},
        optimizer: {sgd: {lr: 0.5, momentum: 0.9}}}
YAML

run() { # run OUT [KEY=VALUE ...]: status in $status, stderr in $stderr
    out="$scratch/$1"
    shift
    "$CNNLAB" run --quiet --out "$out" "$scratch/faulty.yaml" "$@" \
        > "$scratch/stdout" 2> "$scratch/stderr"
    status=$?
    stderr=$(cat "$scratch/stderr")
}
has_no_nan() { # has_no_nan FILE: no NaN or infinity among its float32s
    ! od -An -v -t f4 "$1" | grep -qi 'nan\|inf'
}

# ---- a NaN loss at step 15: epoch 3, batch 3 ---------------------------
run nan train.loss.faulty.nan_loss_at=15
dir="$scratch/nan/faulty/main"
is "$status" 1 "NaN loss: exit status 1"
like "$stderr" "the loss became NaN or infinite at epoch 3, batch 3" \
    "NaN loss: the message names the epoch and batch"
like "$stderr" "lower the learning rate" "NaN loss: the message says what to try"
is "$(wc -l < "$dir/metrics.csv")" 3 \
    "NaN loss: metrics.csv keeps the two finished epochs and nothing more"
like "$(cat "$dir/run.json")" '"status": "failed"' "NaN loss: run.json says failed"
like "$(cat "$dir/run.json")" "batch 3" "NaN loss: run.json records the error"
nan_stderr=$stderr
# The same run stopped cleanly after 2 epochs: its selected weights are
# the last good checkpoint the NaN run must have kept, bit for bit.
run clean2 train.epochs=2
is "$status" 0 "the same run for 2 epochs succeeds"
cmp -s "$dir/model.safetensors" "$scratch/clean2/faulty/main/model.safetensors"
ok $? "NaN loss: model.safetensors is the clean 2-epoch run's, byte for byte"
selected=$(sed -n 's/.*"selected_epoch": \([0-9]*\).*/\1/p' \
    "$scratch/clean2/faulty/main/run.json")
like "$nan_stderr" "the weights of epoch $selected (the last one train.select chose) are kept" \
    "NaN loss: the message says which epoch's weights are kept"
like "$(cat "$dir/run.json")" "\"selected_epoch\": $selected" \
    "NaN loss: run.json's selected epoch is the kept one"
case $(cat "$dir/run.json") in
*test_accuracy*) ok 1 "NaN loss: run.json claims no accuracy for weights it did not evaluate" ;;
*) ok 0 "NaN loss: run.json claims no accuracy for weights it did not evaluate" ;;
esac

# ---- NaN weights from the last update of epoch 2 (step 12) -------------
run nanweights train.loss.faulty.nan_gradient_at=12 train.select=last
dir="$scratch/nanweights/faulty/main"
is "$status" 1 "NaN weights: exit status 1"
like "$stderr" "the weights became NaN or infinite during epoch 2" \
    "NaN weights: caught at the end of the epoch that made them"
like "$stderr" "the weights of epoch 1" "NaN weights: epoch 1's weights are kept"
test -f "$dir/model.safetensors" && has_no_nan "$dir/model.safetensors"
ok $? "NaN weights: model.safetensors holds no NaN"
run clean1 train.epochs=1 train.select=last
cmp -s "$dir/model.safetensors" "$scratch/clean1/faulty/main/model.safetensors"
ok $? "NaN weights: model.safetensors is epoch 1's, byte for byte"
is "$(wc -l < "$dir/metrics.csv")" 2 "NaN weights: metrics.csv has epoch 1 only"
grep -qi nan "$dir/metrics.csv"
ok $((! $?)) "NaN weights: metrics.csv has no NaN"

# ---- NaN in the first epoch: nothing to keep ---------------------------
run first train.loss.faulty.nan_loss_at=2
is "$status" 1 "NaN in epoch 1: exit status 1"
like "$stderr" "at epoch 1, batch 2" "NaN in epoch 1: epoch and batch named"
like "$stderr" "no weights are kept" "NaN in epoch 1: says no weights are kept"
test ! -e "$scratch/first/faulty/main/model.safetensors"
ok $? "NaN in epoch 1: no model.safetensors is written"

# ---- a real divergence: cross-entropy and a learning rate that grows ---
# 1000-fold per epoch (the plugin is not involved). A linear model has no
# ReLU to die, so its weights grow with the rate until float32 overflows
# (around epoch 15 of 20).
run diverge train.loss=cross-entropy 'model.layers=[{linear: {out: 3}}]' \
    'train.schedule={step: {every: 1, gamma: 1000}}' train.epochs=20
dir="$scratch/diverge/faulty/main"
is "$status" 1 "divergence: exit status 1"
like "$stderr" "NaN or infinite" "divergence: says the values are not finite"
like "$stderr" "epoch " "divergence: names the epoch"
test -f "$dir/model.safetensors" && has_no_nan "$dir/model.safetensors"
ok $? "divergence: the kept model.safetensors has no NaN or infinity"

# ---- a write that fails: a file size limit (EFBIG) ----------------------
# The full-disk test (t/reliability-enospc.sh) needs a tmpfs; this one
# runs anywhere: with writes capped at 100 blocks (50 or 100 KB, as the
# shell counts them) and SIGXFSZ ignored, the 0.77 MB checkpoint of a
# 192×1000 linear layer cannot be written, the small files can.
run small train.epochs=1
cp -R "$scratch/small" "$scratch/small.before"
(
    ulimit -f 100 && trap '' XFSZ &&
    exec "$CNNLAB" run --quiet --force --out "$scratch/small" \
        "$scratch/faulty.yaml" train.epochs=1 \
        'model.layers=[{linear: {out: 1000}}, {linear: {out: 3}}]'
) > "$scratch/stdout" 2> "$scratch/stderr"
status=$?
stderr=$(cat "$scratch/stderr")
dir="$scratch/small/faulty/main"
is "$status" 1 "file size limit: the run fails with status 1"
like "$stderr" "cannot write '$dir/" "file size limit: the message names the file"
like "$stderr" "File too large" "file size limit: and the reason"
like "$(cat "$dir/run.json")" '"status": "failed"' \
    "file size limit: run.json says failed"
cmp -s "$dir/model.safetensors" "$scratch/small.before/faulty/main/model.safetensors"
ok $? "file size limit: the earlier model.safetensors is intact"
[ -z "$(find "$scratch/small" -name '.*.tmp-*')" ]
ok $? "file size limit: no temporary file is left"

# ---- two runs into one directory ---------------------------------------
# A run that trains until stopped; the second run starts once it has
# written an epoch (at most 60 s).
long="$scratch/lock"
"$CNNLAB" run --quiet --out "$long" "$scratch/faulty.yaml" train.epochs=100000 \
    > "$scratch/long.stdout" 2> "$scratch/long.stderr" &
pid=$!
dir="$long/faulty/main"
tries=0
while [ "$(cat "$dir/metrics.csv" 2>/dev/null | wc -l)" -lt 2 ] &&
      [ $tries -lt 600 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
kill -0 "$pid" 2>/dev/null
ok $? "lock: the first run is training"
cp "$dir/manifest.yaml" "$scratch/manifest.before"
"$CNNLAB" run --quiet --force --out "$long" "$scratch/faulty.yaml" \
    train.epochs=3 > "$scratch/second.stdout" 2> "$scratch/second.stderr"
is "$?" 1 "lock: a second run into the same directory fails"
like "$(cat "$scratch/second.stderr")" \
    "another cnnlab run is writing to '$dir': wait for it to finish or use another --out" \
    "lock: the message names the directory and what to do"
cmp -s "$dir/manifest.yaml" "$scratch/manifest.before"
ok $? "lock: the refused run did not touch the manifest of the running one"
like "$(cat "$dir/run.json")" '"status": "running"' \
    "lock: run.json still belongs to the running run"
kill -0 "$pid" 2>/dev/null
ok $? "lock: the first run is still training"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
# flock dies with its process: no stale lock blocks the next run.
"$CNNLAB" run --quiet --out "$long" "$scratch/faulty.yaml" train.epochs=1 \
    > "$scratch/third.stdout" 2> "$scratch/third.stderr"
is "$?" 0 "lock: after the first run is killed, a new run may use the directory"
like "$(cat "$dir/run.json")" '"status": "complete"' "lock: and completes"

done_testing
