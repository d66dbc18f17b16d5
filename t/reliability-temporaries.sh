#!/bin/sh
# Temporaries a killed run left (docs/reliability.md, "Faults"): every
# file is written to ".NAME.tmp-PID" and renamed, so `kill -9` or a power
# cut mid-write leaves that temporary behind. When a run takes a run
# directory's lock, no other cnnlab writes there, so every temporary it
# is not writing itself is stale and removed, whatever PID it names: a
# rerun as PID 1 in a container (the killed run was PID 1 too) works, and
# temporaries do not pile up. Only such temporaries go (links removed,
# not followed; folders and other hidden files kept), and never while
# another run holds the lock.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

command -v timeout > /dev/null || skip_all "timeout (coreutils) is not installed"
CNNLAB=$(cd "$(dirname "$CNNLAB")" && pwd)/cnnlab
cd "$scratch" || exit 1

cat > t.yaml <<'YAML'
name: t
seed: 1
threads: 1
data: {loader: synthetic, classes: 3, channels: 3, size: 8, train: 48,
       val: 24, test: 24, mean: [0.5], std: [0.5]}
model:
  input: [3, 8, 8]
  layers: [flatten, {linear: {out: 3}}]
train: {epochs: 2, batch: 16}
analyses: [summary]
YAML
timeout 120 "$CNNLAB" run --quiet --out r t.yaml > first.out 2>&1
is $? 0 "a first run completes"
dir=r/t/main
cp "$dir/model.safetensors" reference.safetensors

plant() { # the leftovers of killed runs, and what must stay
    for name in .train-state.safetensors.tmp-1 .model.safetensors.tmp-4242 \
        .metrics.csv.tmp-99999 .run.json.tmp-1 .loss.png.analysis-77; do
        printf 'half-written' > "$dir/$name"
    done
    mkdir -p "$dir/.folder.tmp-5"
    printf 'keep' > outside.txt
    ln -sf "$PWD/outside.txt" "$dir/.link.tmp-6"
    printf 'keep' > "$dir/.notes"
    printf 'keep' > "$dir/.tmp-7"
    printf 'keep' > "$dir/.draft.tmp-x1"
}

stale_left() { # the planted temporaries still there
    for name in .train-state.safetensors.tmp-1 .model.safetensors.tmp-4242 \
        .metrics.csv.tmp-99999 .run.json.tmp-1 .loss.png.analysis-77 \
        .link.tmp-6; do
        [ -e "$dir/$name" ] || [ -L "$dir/$name" ] && echo "$name"
    done
}

# A rerun removes what killed runs left.
plant
timeout 120 "$CNNLAB" run --quiet --force --out r t.yaml > rerun.out 2> rerun.err
is $? 0 "a rerun over stale temporaries completes"
is "$(stale_left | tr '\n' ' ')" "" "the rerun removed every stale temporary"
[ -d "$dir/.folder.tmp-5" ] && [ -f "$dir/.notes" ] && [ -f "$dir/.tmp-7" ] &&
    [ -f "$dir/.draft.tmp-x1" ]
ok $? "folders and files not named like a temporary are kept"
is "$(cat outside.txt)" keep "a link named like a temporary is removed, its target kept"
cmp -s "$dir/model.safetensors" reference.safetensors
ok $? "the rerun's model is byte-identical to the first run's"

# Not while another run holds the lock: it is refused, and touches nothing.
plant
if command -v flock > /dev/null; then
    flock "$dir/.lock" sh -c "
        timeout 60 '$CNNLAB' run --quiet --force --out r t.yaml > locked.out 2> locked.err
        echo \$? > locked.status"
    is "$(cat locked.status)" 1 "a run into a locked directory is refused (status 1)"
    like "$(cat locked.err)" "another cnnlab run is writing" "  and says why"
    is "$(stale_left | wc -l | tr -d ' ')" 6 "  the other run's temporaries are left alone"
fi

# `cnnlab analyse` takes the lock too and cleans the same way.
timeout 120 "$CNNLAB" analyse --out r t.yaml > analyse.out 2> analyse.err
is $? 0 "cnnlab analyse over stale temporaries completes"
is "$(stale_left | tr '\n' ' ')" "" "cnnlab analyse removed every stale temporary"

# As PID 1 (a container), where the killed run was PID 1 too: the
# temporary has the very name this run would use.
if unshare --pid --fork --mount-proc sh -c 'test $$ -eq 1' 2> /dev/null; then
    plant
    unshare --pid --fork --mount-proc timeout 120 "$CNNLAB" run --quiet \
        --force --out r t.yaml > pid1.out 2> pid1.err
    is $? 0 "as PID 1, a rerun over '.train-state.safetensors.tmp-1' completes"
    is "$(stale_left | tr '\n' ' ')" "" "as PID 1: no stale temporary is left"
    unshare --pid --fork --mount-proc timeout 120 "$CNNLAB" run --quiet \
        --force --out r t.yaml train.epochs=3 > pid1b.out 2> pid1b.err
    is $? 0 "as PID 1: a second rerun completes too"
else
    echo "# skipped the PID 1 cases: unshare --pid cannot be used here"
fi

# A real kill -9 mid-run, then a rerun.
cat > long.yaml <<'YAML'
name: long
seed: 1
threads: 1
data: {loader: synthetic, classes: 3, channels: 3, size: 16, train: 960,
       val: 96, test: 96, mean: [0.5], std: [0.5]}
model:
  input: [3, 16, 16]
  layers: [flatten, {linear: {out: 64}}, relu, {linear: {out: 3}}]
train: {epochs: 400, batch: 8}
YAML
"$CNNLAB" run --quiet --out r long.yaml > long.out 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && [ ! -f r/long/main/metrics.csv ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
printf 'half-written' > "r/long/main/.train-state.safetensors.tmp-$pid"
timeout 300 "$CNNLAB" run --quiet --out r long.yaml train.epochs=1 > long2.out 2> long2.err
is $? 0 "after kill -9, a rerun completes"
is "$(find r/long -name '.*.tmp-*' | wc -l | tr -d ' ')" 0 "after kill -9 and a rerun: no temporary is left"

done_testing
