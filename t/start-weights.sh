#!/bin/sh
# A run that started from saved weights (model.weights: a file, or
# {variant: V}) records their sha256 in run.json's start_weights; when
# that file has other bytes later, the run is no longer complete and a
# plain `cnnlab run` trains it again, saying why. Weights that come out
# the same bytes (a deterministic retraining) change nothing, and a file
# that is gone leaves the results standing.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

command -v sha256sum > /dev/null 2>&1 || skip_all "sha256sum checks the recorded digests"

cat > "$scratch/sw.yaml" <<'YAML'
name: sw
repeats: 2
threads: 1                # the same bytes sequentially and under --jobs
data: {loader: synthetic, classes: 4, channels: 1, size: 8, train: 8, val: 4, test: 4}
model: {input: [1, 8, 8], layers: [{conv2d: {out: 2, kernel: 3}}, flatten, {linear: {out: 4}}]}
train: {epochs: 1, batch: 4, optimizer: {sgd: {lr: 0.1}}}
variants:
  - name: pretrain
  - {name: tune, model: {weights: {variant: pretrain}, new_head: true}}
  - {name: from-file, model: {weights: start.safetensors}}
YAML
out="$scratch/results"
run() { # run [OPTIONS...]: sets $output (stdout and stderr)
    output=$("$CNNLAB" run --out "$out" "$@" "$scratch/sw.yaml" 2>&1)
    status=$?
}
digest() { sha256sum "$1" | cut -d' ' -f1; }
recorded() { # the sha256 in a run directory's start_weights (its only one)
    sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p' "$1/run.json"
}
trains() { # trains VARIANT/SEED: 0 when this run trained it
    echo "$output" | grep -q "^sw/$1 epoch 1/1"
}

# A weights file beside the manifest, from a first run of pretrain.
"$CNNLAB" run --quiet --out "$scratch/first" --variant pretrain --seed 1 \
    "$scratch/sw.yaml" > /dev/null 2>&1
cp "$scratch/first/sw/pretrain/seed-1/model.safetensors" "$scratch/start.safetensors"
run
is "$status" 0 "the first run succeeds"
pre1="$out/sw/pretrain/seed-1/model.safetensors"
pre2="$out/sw/pretrain/seed-2/model.safetensors"
is "$(recorded "$out/sw/tune/seed-1")" "$(digest "$pre1")" \
    "tune/seed-1: start_weights holds pretrain/seed-1's sha256"
is "$(recorded "$out/sw/tune/seed-2")" "$(digest "$pre2")" \
    "tune/seed-2: start_weights holds pretrain/seed-2's sha256"
like "$(cat "$out/sw/tune/seed-1/run.json")" "\"file\": \"$pre1\"" \
    "tune/seed-1: start_weights names the file"
is "$(recorded "$out/sw/from-file/seed-1")" "$(digest "$scratch/start.safetensors")" \
    "from-file: start_weights holds the weights file's sha256"
grep -q start_weights "$out/sw/pretrain/seed-1/run.json"
is "$?" 1 "pretrain (from the seed) has no start_weights"

run
trains tune/seed-1 || trains pretrain/seed-1 || trains from-file/seed-1
is "$?" 1 "a second run trains nothing"
like "$output" "complete; --force reruns" "it lists the runs as complete"

# pretrain/seed-1's checkpoint replaced by other weights (seed 2's).
cp "$pre2" "$pre1"
run
is "$status" 0 "the run after pretrain/seed-1 changed succeeds"
trains tune/seed-1
ok $? "tune/seed-1 trains again"
like "$output" "sw/tune/seed-1: its starting weights changed since it trained ($pre1 has sha256" \
    "a note says why, naming the file"
trains tune/seed-2 || trains pretrain/seed-1 || trains from-file/seed-1
is "$?" 1 "nothing else trains (tune/seed-2, pretrain, from-file)"
is "$(recorded "$out/sw/tune/seed-1")" "$(digest "$pre2")" \
    "tune/seed-1 now records the weights it started from"

# The weights file replaced: from-file trains again; removed: it stands.
cp "$pre2" "$scratch/start.safetensors"
run
trains from-file/seed-1 && trains from-file/seed-2
ok $? "a replaced model.weights file trains both seeds of from-file again"
like "$output" "sw/from-file/seed-1: its starting weights changed since it trained" \
    "with the note"
rm "$scratch/start.safetensors"
run
is "$status" 0 "with the weights file gone, the run succeeds"
trains from-file/seed-1
is "$?" 1 "and from-file's results stand (nothing to compare)"

# --jobs: pretrain/seed-1 removed, so it trains again (to its seed's own
# weights, not seed 2's that tune/seed-1 last started from): tune/seed-1
# waits for it and trains again. pretrain/seed-2 removed too, retrains
# to the same bytes: tune/seed-2's worker finds nothing changed.
rm -r "$out/sw/pretrain"
tune2_before=$(digest "$out/sw/tune/seed-2/run.json")
run --jobs 2
is "$status" 0 "run --jobs 2 succeeds"
is "$(recorded "$out/sw/tune/seed-1")" "$(digest "$pre1")" \
    "--jobs: tune/seed-1 trained again from the retrained pretrain/seed-1"
is "$(digest "$pre1")" "$(digest "$scratch/first/sw/pretrain/seed-1/model.safetensors")" \
    "pretrain/seed-1 trained to the same bytes as the first time"
is "$(digest "$out/sw/tune/seed-2/run.json")" "$tune2_before" \
    "--jobs: tune/seed-2 did not train again (its run.json is as it was)"
is "$(recorded "$out/sw/tune/seed-2")" "$(digest "$pre2")" \
    "--jobs: and its start_weights match pretrain/seed-2 retrained"
done_testing
