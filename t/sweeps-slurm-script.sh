#!/bin/sh
# `cnnlab run --executor slurm` without a cluster: the batch scripts
# --dry-run prints (and that the array script trains a variant when run
# as a task would run it), and the submission through a stand-in sbatch
# that records its arguments. t/slurm.sh does it on a real Slurm.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cat > "$scratch/sweep.yaml" <<'YAML'
name: sweep
seed: 3
data: {loader: synthetic, classes: 3, channels: 1, size: 8, train: 64, val: 16, test: 16}
model:
  input: [1, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - flatten
    - linear: {out: 3}
train: {epochs: 2, batch: 16}
variants: [{name: narrow}, {name: wide, model: {layers: {0: {conv2d: {out: 8}}}}}, {name: third}]
profiles:
  quick: {train: {epochs: 1}}
YAML
cd "$scratch" || exit 1
here=$(pwd -P)

"$CNNLAB" run sweep.yaml --executor slurm --dry-run --out out --jobs 2 \
    --profile quick "description=it's" --slurm-opt=--time=10 \
    --slurm-opt --partition=cpu > dry.stdout 2> dry.stderr
is "$?" 0 "--dry-run: exit status 0"
script=$(cat dry.stdout)
like "$script" "#SBATCH --array=0-2%2" "three tasks, at most --jobs 2 at once"
like "$script" "#SBATCH --output=$here/out/sweep/slurm/%A_%a.out" \
    "each task logs to an absolute path in the results"
like "$script" "#SBATCH --time=10
#SBATCH --partition=cpu" "the --slurm-opt options, in order"
like "$script" "cd '$here' || exit 1" "tasks run where cnnlab was run"
like "$script" "0) variant=narrow ;;
1) variant=wide ;;
2) variant=third ;;" "one task per variant, in manifest order"
like "$script" "'run' 'sweep.yaml' '--variant' \"\$variant\" '--no-table' '--out' 'out' '--profile' 'quick' 'description=it'\\''s'" \
    "each task runs the variant with the profile and the overrides, quoted"
like "$script" "--dependency=afterany:" "the table job waits for the whole array"
like "$script" "table 'out/sweep'" "the table job runs cnnlab table"
is "$(grep -c '^#SBATCH --time=10' dry.stdout)" 2 \
    "the --slurm-opt options go to both jobs"
test ! -e out
ok $? "--dry-run writes nothing"

# The array script as Slurm would run task 1 (its lines up to the table
# job's).
sed -n '/^#!/,/^# sbatch --parsable --dependency/p' dry.stdout | sed '$d' \
    > array.sh
SLURM_ARRAY_TASK_ID=1 SLURM_CPUS_PER_TASK=1 sh array.sh > task.out 2>&1
is "$?" 0 "the array script runs task 1"
like "$(cat out/sweep/wide/run.json 2>/dev/null)" '"status": "complete"' \
    "task 1 trained the variant wide"
like "$(cat out/sweep/wide/run.json 2>/dev/null)" '"threads": 1' \
    "task 1 used the CPUs Slurm gave it (SLURM_CPUS_PER_TASK)"
like "$(cat out/sweep/wide/manifest.yaml 2>/dev/null)" "description: \"it's\"" \
    "task 1 got the override"
test ! -e out/sweep/table.md
ok $? "a task leaves the table to the table job"
SLURM_ARRAY_TASK_ID=7 sh array.sh > task7.out 2>&1
is "$?" 2 "a task index without a variant fails"

# wide is complete now: it gets no task.
"$CNNLAB" run sweep.yaml --executor slurm --dry-run --out out --profile quick \
    "description=it's" > dry2.stdout 2>&1
like "$(cat dry2.stdout)" "#SBATCH --array=0-1
" "a complete variant is left out of the array"
like "$(cat dry2.stdout)" "1) variant=third ;;" "the others keep their order"

# Submission through a stand-in sbatch: it logs its arguments, keeps the
# script and answers job ids 41 and 42 as `sbatch --parsable` does.
mkdir bin
cat > bin/sbatch <<'SH'
#!/bin/sh
n=$(($(cat "$SBATCH_LOG.count" 2>/dev/null || echo 0) + 1))
echo $n > "$SBATCH_LOG.count"
echo "$*" >> "$SBATCH_LOG"
[ -n "$SBATCH_FAIL" ] && { echo "sbatch: error: invalid partition" >&2; exit 1; }
echo "$((40 + n));cluster"
SH
chmod +x bin/sbatch
SBATCH_LOG="$here/sbatch.log"
export SBATCH_LOG
PATH="$here/bin:$PATH" "$CNNLAB" run sweep.yaml --executor slurm --out out \
    --profile quick "description=it's" > submit.stdout 2> submit.stderr
is "$?" 0 "submission: exit status 0"
is "$(sed -n 1p sbatch.log)" "--parsable $here/out/sweep/slurm/array.sh" \
    "the array is submitted first, from its kept script"
is "$(sed -n 2p sbatch.log)" \
    "--parsable --dependency=afterany:41 $here/out/sweep/slurm/table.sh" \
    "then the table job, after the array's job id"
like "$(cat submit.stdout)" "submitted job array 41: 2 tasks" \
    "the command says what it submitted"
like "$(cat submit.stdout)" "job 42 writes out/sweep/table.md" \
    "and which job writes the table"
test -s out/sweep/experiment.yaml
ok $? "experiment.yaml is written before the tasks run"
like "$(cat out/sweep/slurm/array.sh 2>/dev/null)" "0) variant=narrow ;;" \
    "the submitted script is kept beside the logs"

rm -f sbatch.log sbatch.log.count
SBATCH_FAIL=1 PATH="$here/bin:$PATH" "$CNNLAB" run sweep.yaml \
    --executor slurm --out out --profile quick "description=it's" \
    > fail.stdout 2> fail.stderr
is "$?" 1 "sbatch refusing the job: exit status 1"
like "$(cat fail.stderr)" "sbatch failed (exit status 1)" \
    "and cnnlab says sbatch failed, after sbatch's own message"
is "$(grep -c . sbatch.log)" 1 "no table job after a failed array"

# Everything complete: nothing to submit.
rm -f sbatch.log sbatch.log.count
PATH="$here/bin:$PATH" "$CNNLAB" run sweep.yaml --executor slurm --out out \
    --profile quick "description=it's" --variant wide > none.stdout \
    2> none.stderr
is "$?" 0 "every variant complete: exit status 0"
like "$(cat none.stderr)" "nothing to submit" "and nothing is submitted"
test ! -e sbatch.log
ok $? "sbatch is not called"

done_testing
