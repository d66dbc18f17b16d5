#!/bin/sh
# `cnnlab run --jobs N`: the variants in worker processes. Every variant's
# results, the threads each worker got, the profile and overrides passed
# through, a failing variant that does not stop the others, the summary,
# the table and the exit status; a rerun runs only what is missing;
# SIGTERM reaches the workers; bad options are usage errors.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

# The cores to share out are CNNLAB_THREADS, so the split is the same on
# every machine: 4 threads, 2 workers, 2 threads each.
CNNLAB_THREADS=4
export CNNLAB_THREADS

cat > "$scratch/sweep.yaml" <<'YAML'
name: sweep
seed: 3
data: {loader: synthetic, classes: 3, channels: 1, size: 8, train: 96, val: 32, test: 32}
model:
  input: [1, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - flatten
    - linear: {out: 3}
train: {epochs: 3, batch: 16, optimizer: {sgd: {lr: 0.05, momentum: 0.9}}}
variants:
  - {name: narrow}
  - {name: wide, model: {layers: {0: {conv2d: {out: 8}}}}}
  - {name: fixed, threads: 1}
  - {name: broken}
profiles:
  quick: {train: {epochs: 2}}
YAML
out="$scratch/out"
# `broken` fails after it has started: its weights file is a directory, so
# saving the first epoch's weights fails and run.json records "failed".
mkdir -p "$out/sweep/broken/model.safetensors"

sweep() { # sweep NAME [ARGS...]: stdout, stderr and status under NAME
    name=$1
    shift
    "$CNNLAB" run "$scratch/sweep.yaml" --out "$out" "$@" \
        > "$scratch/$name.stdout" 2> "$scratch/$name.stderr"
    echo $? > "$scratch/$name.status"
}

sweep first --jobs 2 --profile quick seed=5
is "$(cat "$scratch/first.status")" 1 "a failed variant: exit status 1"
for v in narrow wide fixed; do
    like "$(cat "$out/sweep/$v/run.json" 2>/dev/null)" '"status": "complete"' \
        "$v: complete although another variant failed"
    is "$(grep -c . "$out/sweep/$v/metrics.csv" 2>/dev/null)" 3 \
        "$v: the profile's 2 epochs (metrics.csv: a header and 2 rows)"
    like "$(cat "$out/sweep/$v/manifest.yaml" 2>/dev/null)" "seed: 5" \
        "$v: the override reached the worker"
done
like "$(cat "$out/sweep/broken/run.json" 2>/dev/null)" '"status": "failed"' \
    "broken: run.json records the failure"
like "$(cat "$out/sweep/narrow/run.json")" '"threads": 2' \
    "narrow: threads 0 in the manifest gets the worker's share (4 / 2)"
like "$(cat "$out/sweep/wide/run.json")" '"threads": 2' "wide: likewise"
like "$(cat "$out/sweep/fixed/run.json")" '"threads": 1' \
    "fixed: a manifest's own threads: 1 wins"

summary=$(cat "$scratch/first.stdout")
echo "$summary" | grep -q '^broken  *failed '
ok $? "the summary says broken failed"
for v in narrow wide fixed; do
    echo "$summary" | grep "^$v " | grep -q '%'
    ok $? "the summary has $v's accuracies"
done
table=$(cat "$out/sweep/table.md" 2>/dev/null)
like "$table" "| broken " "table.md has broken's row"
echo "$table" | grep "^| broken " | grep -q "failed"
ok $? "table.md says broken failed"
is "$(echo "$table" | grep -c '| complete')" 3 "table.md: three complete rows"

errors=$(cat "$scratch/first.stderr")
like "$errors" "[broken] cnnlab: cannot write" \
    "the failure's message comes prefixed with its variant"
like "$errors" "[broken] the worker ended with exit status 1" \
    "a line says which worker failed"
like "$errors" "[wide] sweep/wide epoch 2/2:" "progress lines carry the variant"
# Every line is whole and attributed: a worker's ("[variant] ...") or the
# command's own ("cnnlab: ...").
bad=$(grep -v -e '^\[narrow\] ' -e '^\[wide\] ' -e '^\[fixed\] ' \
    -e '^\[broken\] ' -e '^cnnlab: ' "$scratch/first.stderr")
is "$bad" "" "every line of output names its variant or is cnnlab's own"

# The same variant in one process, with the same threads, gives the same
# metrics byte for byte: the worker ran exactly what a plain run does.
CNNLAB_THREADS=2 "$CNNLAB" run "$scratch/sweep.yaml" --out "$scratch/alone" \
    --profile quick seed=5 --variant narrow --quiet > /dev/null 2>&1
cmp -s "$out/sweep/narrow/metrics.csv" "$scratch/alone/sweep/narrow/metrics.csv"
ok $? "narrow: the worker's metrics.csv equals a run in one process"

# Again: the complete variants are left alone, broken runs (and fails)
# again.
cp "$out/sweep/narrow/run.json" "$scratch/narrow-run.json"
sweep second --jobs 2 --profile quick seed=5
is "$(cat "$scratch/second.status")" 1 "rerun: broken still fails, exit 1"
like "$(cat "$scratch/second.stderr")" "1 variant to run" \
    "rerun: only the variant without complete results runs"
cmp -s "$out/sweep/narrow/run.json" "$scratch/narrow-run.json"
ok $? "rerun: narrow's results are untouched"
like "$(cat "$scratch/second.stdout")" "(complete; --force reruns)" \
    "rerun: the summary says which were complete"

# With broken repaired, a rerun completes the section: exit 0.
rmdir "$out/sweep/broken/model.safetensors"
sweep third --jobs 3 --profile quick seed=5 --quiet
is "$(cat "$scratch/third.status")" 0 "rerun after the repair: exit 0"
# (With every variant complete the table has no status column.)
is "$(grep -c -E '^\| (narrow|wide|fixed|broken) +\| +[0-9]' "$out/sweep/table.md")" 4 \
    "rerun after the repair: table.md has numbers in all four rows"
is "$(cat "$scratch/third.stderr")" "" "--quiet: nothing on stderr"

# SIGTERM to the command alone reaches the workers, which save their state.
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
variants: [{name: a}, {name: b}]
YAML
"$CNNLAB" run "$scratch/long.yaml" --out "$scratch/long" --jobs 2 --quiet \
    > "$scratch/long.stdout" 2> "$scratch/long.stderr" &
pid=$!
epochs() { # epochs VARIANT: lines in its metrics.csv so far
    cat "$scratch/long/long/$1/metrics.csv" 2> /dev/null | grep -c .
}
tries=0 # at most 60 s until both have finished an epoch
while { [ "$(epochs a)" -lt 2 ] || [ "$(epochs b)" -lt 2 ]; } &&
      [ $tries -lt 600 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
kill -s TERM "$pid"
wait "$pid"
is "$?" 130 "SIGTERM: exit status 130"
for v in a b; do
    like "$(cat "$scratch/long/long/$v/run.json")" '"status": "interrupted"' \
        "SIGTERM: worker $v saved its state as interrupted"
done

# Options that cannot work are usage errors (exit 2), named.
usage() { # usage DESCRIPTION NEEDLE ARGS...
    description=$1 needle=$2
    shift 2
    "$CNNLAB" "$@" > /dev/null 2> "$scratch/usage.stderr"
    is "$?" 2 "$description: exit status 2"
    like "$(cat "$scratch/usage.stderr")" "$needle" "$description: says why"
}
usage "--jobs 0" "from 1 to 1024" run "$scratch/sweep.yaml" --jobs 0
usage "--jobs x" "got 'x'" run "$scratch/sweep.yaml" --jobs=x
usage "--jobs without a value" "needs a value" run "$scratch/sweep.yaml" --jobs
usage "--jobs on check" "option of \`cnnlab run\` only" \
    check "$scratch/sweep.yaml" --jobs 2
usage "--executor nope" "not 'nope'" run "$scratch/sweep.yaml" --executor nope
usage "--dry-run without slurm" "add --executor slurm" \
    run "$scratch/sweep.yaml" --dry-run
usage "--slurm-opt without slurm" "add --executor slurm" \
    run "$scratch/sweep.yaml" --slurm-opt=--time=5
usage "--slurm-opt=--array" "one task per variant" \
    run "$scratch/sweep.yaml" --executor slurm --slurm-opt=--array=0-1

done_testing
