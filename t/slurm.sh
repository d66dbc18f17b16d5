#!/bin/sh
# `cnnlab run --executor slurm` on a real one-node Slurm: munged,
# slurmctld and slurmd started here on localhost with their own
# configuration, ports and munge key in a scratch directory; a smoke
# manifest submitted through cnnlab, the array and the table job waited
# for, every variant's results and the table checked; the daemons stopped.
# Needs root (slurmd starts the jobs as their user) and Debian's slurm-wlm
# and munge, which scripts/install-deps installs.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

[ "$(id -u)" = 0 ] ||
    skip_all "slurmd must run as root to start jobs; run the tests as root (CI does)"
for command in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
    command -v "$command" > /dev/null 2>&1 ||
        skip_all "$command is missing: scripts/install-deps installs slurm-wlm and munge"
done

# munged wants every directory above its socket searchable by all.
chmod 755 "$scratch"
slurm="$scratch/slurm"
mkdir -p "$slurm/state" "$slurm/spool"
daemons=""
stop_daemons() {
    for pid in $daemons; do
        kill "$pid" 2> /dev/null
    done
    for pid in $daemons; do
        wait "$pid" 2> /dev/null
    done
    daemons=""
}
trap 'stop_daemons; rm -rf "$scratch"' EXIT

# Two TCP ports nobody listens on (state 0A in /proc/net/tcp*), from a
# range away from Slurm's own 6817/6818.
listening=$(cat /proc/net/tcp /proc/net/tcp6 2> /dev/null |
    awk '$4 == "0A" { split($2, a, ":"); print a[2] }')
free_port() { # free_port START
    port=$1
    while echo "$listening" | grep -qix "$(printf '%04X' "$port")"; do
        port=$((port + 1))
    done
    echo "$port"
}
base=$((27000 + $$ % 2000 * 2))
controller_port=$(free_port "$base")
node_port=$(free_port $((controller_port + 1)))

dd if=/dev/urandom of="$slurm/munge.key" bs=1024 count=1 2> /dev/null
chmod 400 "$slurm/munge.key"
munged -F --key-file="$slurm/munge.key" --socket="$slurm/munge.socket" \
    --pid-file="$slurm/munged.pid" --log-file="$slurm/munged.log" \
    --seed-file="$slurm/munged.seed" > "$slurm/munged.out" 2>&1 &
daemons="$daemons $!"

host=$(uname -n | cut -d. -f1)
cpus=$(nproc)
cat > "$slurm/slurm.conf" <<EOF
ClusterName=cnnlabtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$controller_port
SlurmdPort=$node_port
AuthType=auth/munge
AuthInfo=socket=$slurm/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$slurm/state
SlurmdSpoolDir=$slurm/spool
SlurmctldPidFile=$slurm/slurmctld.pid
SlurmdPidFile=$slurm/slurmd.pid
SlurmctldLogFile=$slurm/slurmctld.log
SlurmdLogFile=$slurm/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmdParameters=config_overrides
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=cnnlab Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
SLURM_CONF="$slurm/slurm.conf"
export SLURM_CONF

tries=0
while [ ! -S "$slurm/munge.socket" ] && [ $tries -lt 100 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
slurmctld -D > "$slurm/slurmctld.out" 2>&1 &
daemons="$daemons $!"
slurmd -D > "$slurm/slurmd.out" 2>&1 &
daemons="$daemons $!"
# The node is up when the controller reports it idle (at most 60 s).
tries=0
while [ "$(sinfo -h -N -o %t 2> /dev/null)" != idle ] && [ $tries -lt 300 ]; do
    sleep 0.2
    tries=$((tries + 1))
done
if [ "$(sinfo -h -N -o %t 2> /dev/null)" != idle ]; then
    for log in munged.out slurmctld.out slurmd.out slurmctld.log slurmd.log; do
        tail -5 "$slurm/$log" 2> /dev/null | sed "s/^/# $log: /"
    done
    stop_daemons
    skip_all "a one-node Slurm could not start here (node state '$(sinfo -h -N -o %t 2>&1)'; logs above)"
fi
started=$(date +%s)

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
train: {epochs: 3, batch: 16}
variants: [{name: narrow}, {name: wide, model: {layers: {0: {conv2d: {out: 8}}}}}, {name: third}]
profiles:
  quick: {train: {epochs: 2}}
YAML
cd "$scratch" || exit 1
out="$scratch/results"

"$CNNLAB" run sweep.yaml --executor slurm --out "$out" --profile quick \
    seed=4 --slurm-opt=--cpus-per-task=1 > submit.stdout 2> submit.stderr
is "$?" 0 "submission: exit status 0"
array=$(sed -n 's/.*submitted job array \([0-9]*\):.*/\1/p' submit.stdout)
table_job=$(sed -n 's/.*: job \([0-9]*\) writes.*/\1/p' submit.stdout)
[ -n "$array" ] && [ -n "$table_job" ]
ok $? "cnnlab printed the array's and the table job's ids ($array, $table_job)"

# Wait for the array and the table job (at most 180 s): nothing left in
# this cluster's queue.
tries=0
while [ -n "$(squeue -h -o %i 2> /dev/null)" ] && [ $tries -lt 900 ]; do
    sleep 0.2
    tries=$((tries + 1))
done
is "$(squeue -h -o %i 2>&1)" "" "the array and the table job ended"

for v in narrow wide third; do
    like "$(cat "$out/sweep/$v/run.json" 2>/dev/null)" '"status": "complete"' \
        "$v: its task completed the run"
    like "$(cat "$out/sweep/$v/run.json" 2>/dev/null)" '"threads": 1' \
        "$v: the task used its one CPU (--cpus-per-task=1)"
    like "$(cat "$out/sweep/$v/manifest.yaml" 2>/dev/null)" "seed: 4" \
        "$v: the override reached the task"
    is "$(grep -c . "$out/sweep/$v/metrics.csv" 2>/dev/null)" 3 \
        "$v: the profile's 2 epochs"
done
for task in 0 1 2; do
    like "$(cat "$out/sweep/slurm/${array}_$task.out" 2>/dev/null)" \
        "array task $task runs variant" "task $task's log is in the results"
done
table=$(cat "$out/sweep/table.md" 2>/dev/null)
is "$(echo "$table" | grep -c -E '^\| (narrow|wide|third) +\| +[0-9]')" 3 \
    "the table job wrote table.md with every variant's numbers"
like "$(cat "$out/sweep/slurm/table-$table_job.out" 2>/dev/null)" \
    "(3 of 3 variants complete)" "the table job ran after every task"
is "$(scontrol show job "$array" 2>&1 | grep -c 'JobState=COMPLETED')" 3 \
    "Slurm says the array's three tasks completed"
like "$(scontrol show job "$table_job" 2>&1)" "JobState=COMPLETED" \
    "Slurm says the table job completed"

# Submitting again: every variant is complete, nothing goes to Slurm.
"$CNNLAB" run sweep.yaml --executor slurm --out "$out" --profile quick \
    seed=4 > again.stdout 2> again.stderr
is "$?" 0 "again: exit status 0"
like "$(cat again.stderr)" "nothing to submit" "again: nothing is submitted"
echo "# the Slurm part took $(($(date +%s) - started)) s after the daemons were up"

pids=$daemons
stop_daemons
running=0
for pid in $pids; do
    kill -0 "$pid" 2> /dev/null && running=$((running + 1))
done
is "$running" 0 "the daemons are stopped"

done_testing
