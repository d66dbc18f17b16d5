#!/bin/sh
# cnnlab against PyTorch on the quickstart model (experiments/quickstart.yaml)
# trained on synthetic data: the same steps (forward, cross-entropy,
# backward, SGD with momentum) at batch 64 and batch 4, the same number of
# CPU threads, a fixed number of timed steps after a warm-up. The two run
# one after the other, alternating, ROUNDS times, so a busy machine slows
# both alike; the table gives the median images/s of each and the median
# of the per-round ratios.
#
#   bench/quickstart.sh [BUILDDIR]
#
# BUILDDIR is a configured and built cnnlab tree (default: the current
# directory); `make` there builds bench/train-steps. Environment: PYTHON
# (default /usr/bin/python3, which must import torch), THREADS (2), ROUNDS
# (3), BATCHES ("64 4"), PLUGINS (the plugin directory cnnlab loads;
# default BUILDDIR/plugins/.libs: another build's, to time its kernels).
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(cd "${1:-.}" && pwd)
python=${PYTHON:-/usr/bin/python3}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
batches=${BATCHES:-64 4}
driver=$builddir/bench/train-steps

if [ ! -x "$driver" ]; then
    echo "bench/quickstart.sh: $driver is missing: run make in the build" \
         "directory, or give the build directory as the argument" >&2
    exit 2
fi
if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "bench/quickstart.sh: $python cannot import torch (set PYTHON to" \
         "an interpreter that can)" >&2
    exit 2
fi
CNNLAB_BUILD_PLUGIN_DIR=${PLUGINS:-$builddir/plugins/.libs}
export CNNLAB_BUILD_PLUGIN_DIR

# Steps per timed run: about 2 seconds each on 2 cores.
steps_for() { if [ "$1" -ge 32 ]; then echo 60; else echo 500; fi; }
images_per_second() { sed -n 's/.*: \([0-9.]*\) images\/s.*/\1/p'; }
median() { sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit 1
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/cnnlab-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

cpu=$(lscpu | sed -n 's/^Model name: *//p')
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $cpu, $(nproc) cores," \
     "$threads threads, $rounds rounds," \
     "plugins from $CNNLAB_BUILD_PLUGIN_DIR"
for batch in $batches; do
    steps=$(steps_for "$batch")
    warmup=$((steps / 6))
    for round in $(seq "$rounds"); do
        cnnlab=$("$driver" --batch "$batch" --steps "$steps" \
                 --warmup "$warmup" --threads "$threads" | images_per_second)
        torch=$("$python" "$srcdir/bench/quickstart_torch.py" \
                --batch "$batch" --steps "$steps" --warmup "$warmup" \
                --threads "$threads" | images_per_second)
        if [ -z "$cnnlab" ] || [ -z "$torch" ]; then
            echo "bench/quickstart.sh: a run printed no images/s" >&2
            exit 1
        fi
        echo "$cnnlab" >> "$scratch/cnnlab-$batch"
        echo "$torch" >> "$scratch/torch-$batch"
        awk -v a="$cnnlab" -v b="$torch" 'BEGIN { print a / b }' \
            >> "$scratch/ratio-$batch"
        echo "# batch $batch round $round: cnnlab $cnnlab, pytorch $torch" \
             "images/s ($steps steps after $warmup)"
    done
done

echo "| batch | cnnlab images/s | PyTorch images/s | cnnlab / PyTorch |"
echo "|---:|---:|---:|---:|"
for batch in $batches; do
    printf '| %s | %.0f | %.0f | %.2f |\n' "$batch" \
        "$(median < "$scratch/cnnlab-$batch")" \
        "$(median < "$scratch/torch-$batch")" \
        "$(median < "$scratch/ratio-$batch")"
done
