#!/bin/sh
# SIGINT and SIGTERM: the run finishes its batch, records itself as
# interrupted, keeps the results written so far and exits 130.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cat > "$scratch/long.yaml" <<'YAML'
name: long
threads: 1
data: {loader: synthetic, classes: 4, channels: 1, size: 16, train: 256, val: 64, test: 64}
model:
  input: [1, 16, 16]
  layers:
    - conv2d: {out: 8, kernel: 3, activation: relu}
    - flatten
    - linear: {out: 4}
train: {epochs: 100000, batch: 8}
YAML

for signal in INT TERM; do
    out="$scratch/out-$signal"
    "$CNNLAB" run --quiet --out "$out" "$scratch/long.yaml" \
        > "$scratch/stdout" 2> "$scratch/stderr" &
    pid=$!
    # Wait (at most 60 s) until two epochs are recorded.
    tries=0
    while [ "$(cat "$out/long/main/metrics.csv" 2>/dev/null | wc -l)" -lt 3 ] &&
          [ $tries -lt 600 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    kill -s "$signal" "$pid"
    wait "$pid"
    is "$?" 130 "SIG$signal: exit status 130"
    like "$(cat "$out/long/main/run.json")" '"status": "interrupted"' \
        "SIG$signal: run.json says interrupted"
    test -s "$out/long/main/model.safetensors"
    ok $? "SIG$signal: the checkpoint written so far is kept"
    rows=$(wc -l < "$out/long/main/metrics.csv")
    [ "$rows" -ge 3 ]
    ok $? "SIG$signal: metrics of finished epochs are kept ($rows lines)"
    like "$(cat "$scratch/stderr")" "interrupted at epoch" \
        "SIG$signal: the message says where it stopped"
done

done_testing
