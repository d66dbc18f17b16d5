#!/bin/sh
# Repeated runs (issue 20, part 1): `seeds: [...]` and `repeats: N` train
# every variant once per seed into <out>/<experiment>/<variant>/seed-<s>/.
# The seed drives initialisation, shuffling and dropout; data.split_seed
# (default 1 with seeds) fixes the data, so every seed sees the same
# images. Per seed: determinism, skipping, --resume, --jobs, the Slurm
# array, the table and pages, compare, model.from; and the manifest's
# errors with their lines.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cd "$scratch" || exit 1
cat > s.yaml <<'YAML'
name: s
threads: 1
seeds: [1, 2]
data: {loader: synthetic, classes: 3, channels: 1, size: 8, train: 64, val: 16, test: 16}
model:
  input: [1, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - dropout: {p: 0.2}
    - flatten
    - linear: {out: 3}
train: {epochs: 2, batch: 16, optimizer: {sgd: {lr: 0.1, momentum: 0.9}}}
variants: [{name: a}, {name: b, model: {layers: {0: {conv2d: {out: 6}}}}}]
YAML

run() { # run OUT [ARGS...]: status in $status, output in OUT.stdout/.stderr
    out=$1
    shift
    "$CNNLAB" run --quiet --out "$out" s.yaml "$@" > "$out.stdout" \
        2> "$out.stderr"
    status=$?
}
# The value of a run.json's top-level integer KEY ("seed": 2).
json_int() { sed -n "s/^  \"$2\": \([0-9]*\),*$/\1/p" "$1/run.json"; }
# run.json's split fingerprint.
fingerprint() { sed -n 's/.*"fingerprint": "\([0-9a-f]*\)".*/\1/p' "$1/run.json"; }
same() { cmp -s "$1" "$2"; }

# --- check: the plan and the number of runs ---
"$CNNLAB" check s.yaml > check.out 2>&1
is "$?" 0 "check: a manifest with seeds passes"
like "$(cat check.out)" "experiment s, 2 variants x 2 seeds = 4 runs" \
    "check: the number of runs, variants x seeds"
like "$(cat check.out)" "variant b -> results/s/b/seed-<s>/, one run per seed
  seeds 1, 2 (the data's split seed 1)" \
    "check: each variant's runs, seeds and split seed"
"$CNNLAB" check s.yaml --variant b --seed 2 > check1.out 2>&1
like "$(cat check1.out)" "1 variant x 1 seed = 1 run" \
    "check --variant --seed: the one run left"

# --- a run per variant and seed ---
run out
is "$status" 0 "run: exit status 0"
for v in a b; do
    for seed in 1 2; do
        dir=out/s/$v/seed-$seed
        like "$(cat "$dir/run.json" 2>/dev/null)" '"status": "complete"' \
            "$v/seed-$seed: a complete run"
        is "$(json_int "$dir" seed)" "$seed" "$v/seed-$seed: run.json records seed $seed"
    done
done
test ! -e out/s/a/run.json && test ! -e out/s/a/model.safetensors
ok $? "nothing is written to the variant's own directory"
manifest=$(cat out/s/a/seed-2/manifest.yaml)
like "$manifest" "
seed: 2
" "seed-2's manifest.yaml has seed: 2 where seeds: was"
like "$manifest" "  split_seed: 1
" "and the data's split seed, 1 by default"
case "$manifest" in *seeds:*) ok 1 "and no seeds: list" ;; *) ok 0 "and no seeds: list" ;; esac

# Each seed's run keeps its test predictions, for the table's McNemar
# test: a line per test image, in the split's order.
is "$(sed -n 1p out/s/b/seed-2/test-predictions.csv)" "index,label,predicted" \
    "test-predictions.csv: its header"
is "$(tail -n +2 out/s/b/seed-2/test-predictions.csv | cut -d, -f1 | tr '\n' ' ')" \
    "$(seq 0 15 | tr '\n' ' ')" "test-predictions.csv: the 16 test images in order"
is "$(cut -d, -f2 out/s/a/seed-1/test-predictions.csv)" \
    "$(cut -d, -f2 out/s/b/seed-2/test-predictions.csv)" \
    "test-predictions.csv: the same labels for every run (one split)"
correct=$(awk -F, 'NR > 1 && $2 == $3 { n++ } END { print n + 0 }' out/s/b/seed-2/test-predictions.csv)
test_b2=$(sed -n 's/.*"test_accuracy": \([0-9.]*\).*/\1/p' out/s/b/seed-2/run.json)
is "$(awk -v c="$correct" 'BEGIN { printf "%.4f", 100 * c / 16 }')" \
    "$(awk -v t="$test_b2" 'BEGIN { printf "%.4f", t }')" \
    "test-predictions.csv: its correct images are run.json's test accuracy"

# The seed drives initialisation, shuffling and dropout ...
same out/s/a/seed-1/metrics.csv out/s/a/seed-2/metrics.csv
ok $((! $?)) "two seeds: metrics.csv differs"
same out/s/a/seed-1/model.safetensors out/s/a/seed-2/model.safetensors
ok $((! $?)) "two seeds: model.safetensors differs"
# ... but not the data: every run saw the same images.
fp=$(fingerprint out/s/a/seed-1)
[ -n "$fp" ]
ok $? "run.json records the split's fingerprint ($fp)"
for dir in out/s/a/seed-2 out/s/b/seed-1 out/s/b/seed-2; do
    is "$(fingerprint $dir)" "$fp" "$dir saw the same split"
done
like "$(cat out/s/b/seed-2/run.json)" '"split": {
    "seed": 1,
    "train": 64,
    "val": 16,
    "test": 16,' "run.json: the split's seed and image counts"

# Determinism: seed 1 again, alone, into a fresh directory.
run fresh --variant a --seed 1
is "$status" 0 "run --variant a --seed 1 runs that one run"
same out/s/a/seed-1/metrics.csv fresh/s/a/seed-1/metrics.csv
ok $? "a rerun of seed 1: metrics.csv byte-identical"
same out/s/a/seed-1/model.safetensors fresh/s/a/seed-1/model.safetensors
ok $? "a rerun of seed 1: model.safetensors byte-identical"
test ! -e fresh/s/a/seed-2 && test ! -e fresh/s/b
ok $? "--seed 1 ran no other seed"
# Its charts too: b/seed-2 run last of four in one process or alone
# gives the same curves (cairo numbers an SVG's surfaces per process;
# plot.c renumbers them from 1).
run charts 'analyses=[curves]'
run charts-alone --variant b --seed 2 'analyses=[curves]'
for file in curves-loss.svg curves-accuracy.svg curves-loss.png \
    curves-accuracy.png metrics.csv; do
    same charts/s/b/seed-2/$file charts-alone/s/b/seed-2/$file
    ok $? "b/seed-2 run last or alone: $file byte-identical"
done
# A seed's manifest.yaml reproduces its run on its own.
"$CNNLAB" run --quiet --out alone out/s/a/seed-2/manifest.yaml > /dev/null 2>&1
same out/s/a/seed-2/metrics.csv alone/s/main/metrics.csv
ok $? "seed-2/manifest.yaml alone: the same metrics.csv"

# Seed 1 of the repeated run is the single run with seed: 1 (its split
# seed is the run's seed, 1): a later layer's seed= replaces seeds:.
run single seed=1
is "$status" 0 "seed=1 overrides seeds: a single run"
test -f single/s/a/metrics.csv && test ! -e single/s/a/seed-1
ok $? "a single run keeps the layout without seed-<s>"
test ! -e single/s/a/test-predictions.csv
ok $? "a single run writes no test-predictions.csv (its files as before)"
same out/s/a/seed-1/metrics.csv single/s/a/metrics.csv
ok $? "seed 1 of the repeated run equals the single run with seed: 1"
# Without seeds the split still follows the run's seed, as it always did.
run single2 seed=2 --variant a
[ "$(fingerprint single2/s/a)" != "$fp" ]
ok $? "a single run with seed: 2 draws another split (split seed = seed)"
# data.split_seed moves the split, for every seed alike.
run split data.split_seed=5 --variant a
other=$(fingerprint split/s/a/seed-1)
[ -n "$other" ] && [ "$other" != "$fp" ]
ok $? "data.split_seed: 5 draws another split"
is "$(fingerprint split/s/a/seed-2)" "$other" "the same for both seeds"

# --- the table and the pages: a row per variant (t/table-seeds.sh checks
# the numbers), the CSV a row per seed too ---
is "$(head -1 out/s/table.csv | cut -d, -f1-4)" "row,variant,seed,n" \
    "table.csv: the row's kind, the variant, the seed and n first"
is "$(cut -d, -f1-3 out/s/table.csv | tail -n +2 | tr '\n' ' ')" \
    "seed,a,1 seed,a,2 mean,a, std,a, seed,b,1 seed,b,2 mean,b, std,b, " \
    "table.csv: a row per seed, then the variant's mean and std rows"
test_b2=$(sed -n 's/.*"test_accuracy": \([0-9.]*\).*/\1/p' out/s/b/seed-2/run.json)
is "$(awk -F, '$1 == "seed" && $2 == "b" && $3 == 2 { print $7 }' out/s/table.csv)" \
    "$test_b2" "table.csv: b seed 2's test accuracy is its run.json's"
like "$(cat out/s/table.md)" "| variant |   n |" \
    "table.md: a row per variant with n"
like "$(cat out/s/table.tex)" "b & 2 & " "table.tex: b's row, n = 2"
mkdir scan && cp -r out/s scan/s && rm scan/s/experiment.yaml
"$CNNLAB" table scan/s > table.out 2>&1
is "$?" 0 "cnnlab table without experiment.yaml"
same out/s/table.csv scan/s/table.csv
ok $? "finds the seed-<s> folders: the same table.csv"
like "$(cat table.out)" "(4 of 4 runs complete)" "and counts runs"
like "$(cat out/s/index.html)" '<h2>b (seed 2)</h2>' \
    "the page has a section per run, named with its seed"
like "$(cat out/s/index.html)" 'href="b/seed-2/run.json"' \
    "the page links each run's files"
if [ -x "${CNNLAB_BUILDDIR:-.}/t/pages-check" ]; then
    "${CNNLAB_BUILDDIR:-.}/t/pages-check" out/s/index.html out/index.html \
        > pages.out 2>&1
    ok $? "t/pages-check: every link of the pages resolves"
else
    skip "t/pages-check: every link of the pages resolves" "t/pages-check is not built"
fi
like "$(cat out/index.html)" '<td class="r">2</td><td class="r">4 of 4 runs</td>' \
    "results/index.html: 2 variants, 4 of 4 runs complete"

# --- compare reads a seed's run; a variant's folder says what to give ---
"$CNNLAB" compare out/s/a/seed-1 out/s/a/seed-2 > compare.out 2>&1
is "$?" 0 "compare: two seeds' runs"
like "$(cat compare.out)" "| seed | 1 | 2 |" "compare: the seed differs"
"$CNNLAB" compare out/s/a out/s/b > compare2.out 2>&1
is "$?" 2 "compare: a variant's folder of seeds is no run"
like "$(cat compare2.out)" "give one of them, e.g. out/s/a/seed-1" \
    "compare: it names a seed's run to give"

# --- skipping complete seeds; a new seed runs alone ---
touch -d '2001-01-01' out/s/a/seed-1/metrics.csv
run out
is "$status" 0 "rerun: exit status 0"
is "$(grep -c 'complete; --force reruns' out.stdout)" 4 \
    "rerun: every seed's run is complete and skipped"
[ "$(find out/s/a/seed-1/metrics.csv -newermt '2002-01-01')" = "" ]
ok $? "rerun: a skipped run's files are untouched"
run out seeds=[1,2,3]
is "$status" 0 "a third seed: exit status 0"
is "$(grep -c 'complete; --force reruns' out.stdout)" 4 \
    "a third seed: the first two are still complete"
like "$(cat out/s/b/seed-3/run.json)" '"status": "complete"' \
    "a third seed: it trains"

# The table's settings change no run: adding them trains nothing again.
run out table.epoch_seconds=true 'table.epochs=[1]'
is "$(grep -c 'complete; --force reruns' out.stdout)" 4 \
    "a new table: setting: every run is still complete, none trains"
like "$(cat out/s/table.md)" "epoch time (s)" "and the table has its new column"
case "$(cat out/s/table.md)" in *stale*) ok 1 "no run is stale" ;; *) ok 0 "no run is stale" ;; esac

# --- --resume of one interrupted seed ---
CNNLAB_TEST_INTERRUPT_AFTER_BATCHES=3 run resumed --variant b --seed 2
is "$status" 130 "b/seed-2 interrupted: exit status 130"
like "$(cat resumed/s/b/seed-2/run.json)" '"status": "interrupted"' \
    "run.json says interrupted"
test -f resumed/s/b/seed-2/train-state.safetensors
ok $? "the seed's training state is saved"
run resumed --resume
is "$status" 0 "--resume: exit status 0"
like "$(cat resumed/s/b/seed-2/run.json)" '"resumed"' \
    "b/seed-2 was resumed, not restarted"
for run_dir in a/seed-1 a/seed-2 b/seed-1 b/seed-2; do
    same out/s/$run_dir/metrics.csv resumed/s/$run_dir/metrics.csv
    ok $? "--resume: $run_dir's metrics.csv equals the uninterrupted run's"
done
same out/s/b/seed-2/model.safetensors resumed/s/b/seed-2/model.safetensors
ok $? "--resume: b/seed-2's model.safetensors equals the uninterrupted run's"

# --- --jobs 2: a worker per variant and seed ---
run jobs --jobs 2
is "$status" 0 "--jobs 2: exit status 0"
for run_dir in a/seed-1 a/seed-2 b/seed-1 b/seed-2; do
    same out/s/$run_dir/metrics.csv jobs/s/$run_dir/metrics.csv
    ok $? "--jobs 2: $run_dir equals the run in one process"
done
run jobs --jobs 2
like "$(cat jobs.stdout)" "b/seed-2 " "--jobs: the summary names each seed's run"
is "$(grep -c 'complete; --force reruns' jobs.stdout)" 4 \
    "--jobs: complete seeds are skipped"

# --- the Slurm array: a task per variant and seed ---
"$CNNLAB" run s.yaml --executor slurm --dry-run --out sl > dry.out 2>&1
is "$?" 0 "--executor slurm --dry-run: exit status 0"
script=$(cat dry.out)
like "$script" "#SBATCH --array=0-3
" "four tasks: 2 variants x 2 seeds"
like "$script" "0) variant=a seed=1 ;;
1) variant=a seed=2 ;;
2) variant=b seed=1 ;;
3) variant=b seed=2 ;;" "a task per variant and seed, in order"
like "$script" "'--variant' \"\$variant\" '--seed' \"\$seed\"" \
    "each task runs its variant and seed"
sed -n '/^#!/,/^# sbatch --parsable --dependency/p' dry.out | sed '$d' > array.sh
SLURM_ARRAY_TASK_ID=2 SLURM_CPUS_PER_TASK=1 sh array.sh > task.out 2>&1
is "$?" 0 "the array script runs task 2"
is "$(json_int sl/s/b/seed-1 seed)" 1 "task 2 trained b with seed 1"
same out/s/b/seed-1/metrics.csv sl/s/b/seed-1/metrics.csv
ok $? "task 2's metrics.csv equals the run in one process"
test ! -e sl/s/a
ok $? "task 2 ran no other seed"
"$CNNLAB" run s.yaml --executor slurm --dry-run --out sl > dry2.out 2>&1
like "$(cat dry2.out)" "#SBATCH --array=0-2
" "the complete run is left out of the array"
like "$(cat dry2.out)" "1) variant=a seed=2 ;;
2) variant=b seed=2 ;;" "and the others keep their order"

# --- --json events name the seed ---
"$CNNLAB" run --json --out json s.yaml --variant a > json.out 2> json.err
is "$?" 0 "run --json succeeds"
is "$(grep '"event":"run_start"' json.out | sed -n 's/.*"variant":"a","seed":\([0-9]*\),.*/\1/p' | tr '\n' ' ')" \
    "1 2 " "--json: run_start carries the variant and the seed"

# --- repeats: N, and what is refused ---
sed 's/^seeds: \[1, 2\]$/repeats: 3/' s.yaml > r.yaml
"$CNNLAB" check r.yaml > r.out 2>&1
is "$?" 0 "repeats: 3 passes check"
like "$(cat r.out)" "2 variants x 3 seeds = 6 runs" "repeats: 3 is three seeds"
like "$(cat r.out)" "seeds 1, 2, 3 (" "repeats: 3 is seeds 1, 2, 3"

refused() { # refused FILE NEEDLE DESCRIPTION: check exits 2 saying NEEDLE
    "$CNNLAB" check "$1" > refused.out 2>&1
    is "$?" 2 "$3: exit status 2"
    like "$(cat refused.out)" "$2" "$3: the message"
}
sed 's/^seeds: \[1, 2\]$/seeds: [1, 2]\nrepeats: 2/' s.yaml > both.yaml
refused both.yaml "both.yaml:4:1: 'seeds' and 'repeats' are both given" \
    "seeds and repeats"
sed 's/^seeds: \[1, 2\]$/seed: 4\nseeds: [1, 2]/' s.yaml > seed.yaml
refused seed.yaml "seed.yaml:4:1: 'seed' and 'seeds' are both given" \
    "seed and seeds"
sed 's/^seeds: \[1, 2\]$/seeds: []/' s.yaml > empty.yaml
refused empty.yaml "empty.yaml:3:8: seeds: needs a list of one or more seeds" \
    "empty seeds"
sed 's/^seeds: \[1, 2\]$/seeds:\n  - 3\n  - 1\n  - 3/' s.yaml > dup.yaml
refused dup.yaml "dup.yaml:6:5: seeds: 3 is listed twice (first on line 4)" \
    "a repeated seed"
sed 's/^seeds: \[1, 2\]$/seeds: [1, x]/' s.yaml > word.yaml
refused word.yaml "word.yaml:3:12: seeds: 'x' is not a seed" "a seed that is no number"
sed 's/^seeds: \[1, 2\]$/repeats: 0/' s.yaml > zero.yaml
refused zero.yaml "zero.yaml:3:10: repeats: 0:" "repeats: 0"
sed 's/{name: a}/{name: a, repeats: 3}/' s.yaml > variant.yaml
refused variant.yaml "'repeats' sets the experiment's seeds, not a variant's" \
    "repeats in a variant"
sed 's/{name: a}/{name: a, seed: 3}/' s.yaml > vseed.yaml
refused vseed.yaml "a variant's 'seed' does not go with the experiment's 'seeds'" \
    "a variant's seed with the experiment's seeds"
"$CNNLAB" check s.yaml repeats=2 seed=3 > over.out 2>&1
is "$?" 2 "overrides seed= and repeats= together: exit status 2"
"$CNNLAB" check s.yaml --seed 7 > seed7.out 2>&1
is "$?" 2 "--seed 7: exit status 2"
like "$(cat seed7.out)" "s.yaml has no such seed (its seeds: 1, 2)" \
    "--seed 7: says which seeds there are"

# --- model.from a repeated experiment: one seed's weights ---
cat > use.yaml <<'YAML'
name: use
threads: 1
data: {loader: synthetic, classes: 3, channels: 1, size: 8, train: 64, val: 16, test: 16}
model: {from: s.yaml, variant: b}
YAML
refused use.yaml "say whose weights with model: {from: s.yaml, seed: 1}" \
    "model.from a repeated experiment without model.seed"
"$CNNLAB" run --quiet --out out use.yaml model.seed=2 > use.out 2>&1
is "$?" 0 "model.from with model.seed: 2 runs"
like "$(cat out/use/main/run.json)" '"weights": "out/s/b/seed-2/model.safetensors",
    "seed": 2' "it starts from b's seed 2 weights"

done_testing
