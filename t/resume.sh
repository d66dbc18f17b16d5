#!/bin/sh
# Interruption and resume: a run stopped by SIGINT/SIGTERM mid-epoch (or
# killed -9) saves its training state; `cnnlab run --resume` continues it
# and ends with metrics.csv, model.safetensors and run.json's result
# byte-identical to an uninterrupted run (SGD with momentum, Adam, a
# schedule, dropout; interrupted once, twice, at an epoch's end). A damaged
# state or another manifest is refused, naming the file.
#
# The deterministic interruptions use the test-only
# CNNLAB_TEST_INTERRUPT_AFTER_BATCHES=N: cnnlab sends itself SIGINT after
# its N-th batch.

# Every epoch writes and fsyncs several files: on a tmpfs, where there is
# one, the test takes seconds instead of a minute.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    TMPDIR=/dev/shm
    export TMPDIR
fi
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

# 96 training images in batches of 8: 12 batches an epoch. The model
# learns (val accuracy 44, 47, 50, 62.5, 59 %), so every epoch's numbers
# differ and the selected epoch (4) is not the last.
cat > "$scratch/r.yaml" <<'YAML'
name: r
seed: 3
threads: 1
data: {loader: synthetic, classes: 4, channels: 1, size: 12, train: 96, val: 32, test: 32, mean: [0.5], std: [0.5]}
model:
  input: [1, 12, 12]
  layers:
    - conv2d: {out: 8, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - dropout: {p: 0.3}
    - flatten
    - linear: {out: 4}
train: {epochs: 5, batch: 8, optimizer: {sgd: {lr: 0.01, momentum: 0.9}}}
YAML
adam='train.optimizer={adam: {lr: 0.01}}'
cosine='train.schedule={cosine: {min: 0.1, warmup: 1}}'

run() { # run OUT [ARGS...]: status in $status, output in OUT.stderr
    out=$1
    shift
    "$CNNLAB" run --quiet --out "$scratch/$out" "$scratch/r.yaml" "$@" \
        > "$scratch/$out.stdout" 2> "$scratch/$out.stderr"
    status=$?
}

interrupted() { # interrupted N OUT [ARGS...]: SIGINT after batch N
    n=$1
    shift
    CNNLAB_TEST_INTERRUPT_AFTER_BATCHES=$n run "$@"
}

result_of() { # run.json's "result" object, as written (less the comma
    # that follows it when more keys do)
    sed -n '/"result": {/,/}/p' "$scratch/$1/r/main/run.json" |
        sed 's/},$/}/'
}

same_results() { # same_results REFERENCE OUT WHAT
    for file in metrics.csv model.safetensors; do
        cmp "$scratch/$1/r/main/$file" "$scratch/$2/r/main/$file" \
            > /dev/null 2>&1
        ok $? "$3: $file byte-identical to the uninterrupted run's"
    done
    reference=$(result_of "$1")
    [ -n "$reference" ] && [ "$reference" = "$(result_of "$2")" ]
    ok $? "$3: run.json's result identical to the uninterrupted run's"
    [ ! -e "$scratch/$2/r/main/train-state.safetensors" ]
    ok $? "$3: the complete run's state file is removed"
}

show_on_failure() {
    [ "$status" -eq "$1" ] || sed 's/^/# /' "$scratch/$2.stderr"
}

state=r/main/train-state.safetensors

# --- references: uninterrupted runs
run ref-sgd
is "$status" 0 "reference run (sgd, momentum, dropout) completes"
run ref-adam "$adam" "$cosine"
is "$status" 0 "reference run (adam, cosine schedule, dropout) completes"

# --- sgd with momentum and dropout, interrupted in epoch 2 (batch 5)
interrupted 17 sgd
is "$status" 130 "SIGINT after batch 17: exit status 130"
show_on_failure 130 sgd
like "$(cat "$scratch/sgd.stderr")" \
    "interrupted at epoch 2, batch 5; its state is saved" \
    "the message says where it stopped and that the state is saved"
test -s "$scratch/sgd/$state"
ok $? "train-state.safetensors is written"
like "$(cat "$scratch/sgd/r/main/run.json")" '"status": "interrupted"' \
    "run.json says interrupted"
run sgd --resume
is "$status" 0 "--resume completes the run"
show_on_failure 0 sgd
like "$(cat "$scratch/sgd.stderr")" "resuming at epoch 2 after batch 5" \
    "--resume says where it continues"
same_results ref-sgd sgd "sgd"
info=$(cat "$scratch/sgd/r/main/run.json")
like "$info" '"status": "complete"' "run.json says complete"
like "$info" '"epoch": 2' "run.json records where the run was resumed"
rows=$(wc -l < "$scratch/sgd/r/main/epoch-seconds.csv")
is "$rows" 6 "epoch-seconds.csv has every epoch once"

# --- adam with a cosine schedule, interrupted twice (epoch 2 batch 6,
# then epoch 3 batch 7 counting the resumed run's 13 batches)
interrupted 18 adam "$adam" "$cosine"
is "$status" 130 "adam: first interruption exits 130"
interrupted 13 adam "$adam" "$cosine" --resume
is "$status" 130 "adam: the resumed run, interrupted again, exits 130"
like "$(cat "$scratch/adam.stderr")" "interrupted at epoch 3, batch 7" \
    "adam: the second interruption is where expected"
run adam "$adam" "$cosine" --resume
is "$status" 0 "adam: the second resume completes"
show_on_failure 0 adam
same_results ref-adam adam "adam + cosine, interrupted twice"
like "$(cat "$scratch/adam/r/main/run.json")" '"batch": 7' \
    "run.json lists both resumes"

# --- interrupted after the last batch of an epoch, before its validation
interrupted 48 edge
is "$status" 130 "interrupted after an epoch's last batch: exit 130"
run edge --resume
is "$status" 0 "resume at an epoch's last batch completes"
show_on_failure 0 edge
same_results ref-sgd edge "interrupted at epoch 4's last batch"

# --- a real SIGTERM at whatever batch the run is in
"$CNNLAB" run --quiet --out "$scratch/term" "$scratch/r.yaml" \
    train.epochs=60 > /dev/null 2> "$scratch/term.stderr" &
pid=$!
tries=0
while [ "$(cat "$scratch/term/r/main/metrics.csv" 2>/dev/null | wc -l)" -lt 3 ] &&
      [ $tries -lt 600 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
kill -s TERM "$pid"
wait "$pid"
is "$?" 130 "SIGTERM: exit status 130"
run ref-long train.epochs=60
is "$status" 0 "reference run of 60 epochs completes"
run term train.epochs=60 --resume
is "$status" 0 "SIGTERM: --resume completes"
show_on_failure 0 term
same_results ref-long term "SIGTERM at a random batch"

# --- kill -9: the state saved at the last epoch's end
"$CNNLAB" run --quiet --out "$scratch/kill" "$scratch/r.yaml" \
    train.epochs=60 > /dev/null 2>&1 &
pid=$!
tries=0
while [ "$(cat "$scratch/kill/r/main/metrics.csv" 2>/dev/null | wc -l)" -lt 4 ] &&
      [ $tries -lt 600 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
kill -s KILL "$pid"
wait "$pid" 2> /dev/null
test -s "$scratch/kill/$state"
ok $? "kill -9: the state of the last finished epoch is there"
run kill train.epochs=60 --resume
is "$status" 0 "kill -9: --resume completes"
show_on_failure 0 kill
like "$(cat "$scratch/kill.stderr")" "resuming at the start of epoch" \
    "kill -9: resumes at an epoch's start"
same_results ref-long kill "killed -9"

# --- batch norm: its running statistics and num_batches_tracked are in
# the training state, so a resumed run normalises, validates and saves
# exactly as the uninterrupted one
bn='model.layers=[{conv2d: {out: 8, kernel: 3, padding: 1, bias: false}}, {batchnorm2d: {activation: relu}}, {maxpool2d: {kernel: 2}}, flatten, {linear: {out: 16}}, {batchnorm1d: {activation: relu, momentum: 0.3}}, {linear: {out: 4}}]'
run ref-bn "$bn"
is "$status" 0 "reference run with batch norm completes"
show_on_failure 0 ref-bn
interrupted 17 bn "$bn"
is "$status" 130 "batch norm: SIGINT after batch 17 exits 130"
run bn "$bn" --resume
is "$status" 0 "batch norm: --resume completes"
show_on_failure 0 bn
same_results ref-bn bn "batch norm, interrupted in epoch 2"
grep -a -q '"1.num_batches_tracked":{"dtype":"I64"' \
    "$scratch/bn/r/main/model.safetensors"
ok $? "batch norm: model.safetensors holds the buffers (num_batches_tracked as I64)"

# --- refusals: each leaves the interrupted run as it was
interrupted 5 bad
is "$status" 130 "a run to damage is interrupted"
cp "$scratch/bad/$state" "$scratch/good-state"
size=$(wc -c < "$scratch/good-state")
# One byte of the weights changed (the data follow the JSON header).
cp "$scratch/good-state" "$scratch/bad/$state"
printf 'X' | dd of="$scratch/bad/$state" bs=1 seek=$((size - 100)) \
    conv=notrunc 2> /dev/null
run bad --resume
is "$status" 1 "a damaged state is refused (exit 1)"
like "$(cat "$scratch/bad.stderr")" "$scratch/bad/$state" \
    "damaged: the message names the file"
like "$(cat "$scratch/bad.stderr")" "checksum does not match" \
    "damaged: the message says what is wrong"
like "$(cat "$scratch/bad.stderr")" "run without --resume" \
    "damaged: the message says what would fix it"
like "$(cat "$scratch/bad/r/main/run.json")" '"status": "interrupted"' \
    "damaged: run.json is untouched"
head -c $((size / 2)) "$scratch/good-state" > "$scratch/bad/$state"
run bad --resume
is "$status" 1 "a truncated state is refused (exit 1)"
like "$(cat "$scratch/bad.stderr")" "$scratch/bad/$state" \
    "truncated: the message names the file"
printf 'not a checkpoint' > "$scratch/bad/$state"
run bad --resume
is "$status" 1 "a file that is no safetensors is refused"
cp "$scratch/good-state" "$scratch/bad/$state"
run bad train.epochs=6 --resume
is "$status" 1 "a state of another manifest is refused (exit 1)"
like "$(cat "$scratch/bad.stderr")" "train.epochs is '5' there, '6' now" \
    "another manifest: the message names the key that differs"
like "$(cat "$scratch/bad.stderr")" "$scratch/bad/$state" \
    "another manifest: the message names the file"
cmp "$scratch/good-state" "$scratch/bad/$state" > /dev/null 2>&1
ok $? "a refused state is kept as it was"
run bad 'analyses=[summary]' --resume
is "$status" 0 "a state resumes when only analyses: changed"
show_on_failure 0 bad
same_results ref-sgd bad "resumed with other analyses"

# --- without --resume an interrupted run starts over, and says so
interrupted 5 over
run over
is "$status" 0 "without --resume the interrupted run trains from scratch"
like "$(cat "$scratch/over.stderr")" "training from scratch" \
    "without --resume: the note says it starts over"
same_results ref-sgd over "started over"
run fresh --resume
is "$status" 0 "--resume with nothing to resume trains from scratch"
like "$(cat "$scratch/fresh.stderr")" "nothing to resume" \
    "--resume with nothing to resume says so"
run fresh --resume --force
is "$status" 2 "--resume with --force is a usage error"

done_testing
