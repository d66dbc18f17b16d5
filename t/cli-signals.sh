#!/bin/sh
# Ctrl-C and SIGTERM at any moment of a run end it cleanly: exit 130,
# run.json "interrupted", the files written so far kept. Before the
# signals were taken by a thread of their own (core/cli/cli_signals.h),
# about a third of the runs of a model with a large linear layer, stopped
# at a random moment, died of heap corruption (SIGABRT, exit 134) and left
# run.json "running" (issue 19, class 1). Fifteen runs are stopped here at
# random moments, alternating the two signals: a 30 % failure would pass
# all fifteen with probability 0.7^15 < 0.5 %.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cat > "$scratch/big.yaml" <<'YAML'
name: big
threads: 1
data: {loader: synthetic, classes: 4, channels: 1, size: 64, train: 256, val: 32, test: 32}
model:
  input: [1, 64, 64]
  layers: [flatten, {linear: {out: 4096}}, relu, {linear: {out: 4}}]
train: {epochs: 1000, batch: 8}
YAML

tries=15
bad=0
for try in $(seq $tries); do
    if [ $((try % 2)) -eq 0 ]; then signal=TERM; else signal=INT; fi
    out="$scratch/out-$try"
    "$CNNLAB" run --quiet --out "$out" "$scratch/big.yaml" \
        > "$scratch/stdout" 2> "$scratch/stderr-$try" &
    pid=$!
    # Once the run has started (run.json written: setup done, training
    # under way or about to be), wait 0 to 1.5 s more, at random.
    waited=0
    while [ ! -s "$out/big/main/run.json" ] && [ $waited -lt 600 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    sleep "$(awk -v seed="$try$$" 'BEGIN { srand(seed); printf "%.2f", rand() * 1.5 }')"
    kill -s "$signal" "$pid"
    wait "$pid"
    status=$?
    if [ "$status" -ne 130 ] ||
        ! grep -q '"status": "interrupted"' "$out/big/main/run.json"; then
        bad=$((bad + 1))
        echo "# try $try (SIG$signal): exit $status"
        tail -3 "$scratch/stderr-$try" | sed 's/^/#   /'
        grep '"status"' "$out/big/main/run.json" | sed 's/^/#   /'
    fi
done
is "$bad" 0 "$tries runs stopped at random moments all exit 130 with run.json interrupted"

done_testing
