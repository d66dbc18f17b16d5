#!/bin/sh
# The quick start's smoke run under valgrind memcheck: Fashion-MNIST read
# by the idx loader (gzip), the quickstart model trained an epoch, the
# weights and training state written, and every analysis of the manifest
# (the charts through cairo, occlusion, filters, ...): no invalid
# access, no use of uninitialised memory, no definite leak.
#
# Valgrind makes a run some 50 times slower, so this is not part of make
# check; .ci/run runs it on the build it has checked:
#   CNNLAB_SRCDIR=. CNNLAB_BUILDDIR=. sh t/valgrind-quickstart.sh
# The smoke profile is shrunk further (200 images a split, batch 50) to
# keep it to minutes; every analysis of the manifest runs, the timing
# analysis with one pass at batch 1 instead of 20 at the training batch
# (its 20 took 3 of the run's 10 minutes, timing nothing meaningful
# under valgrind).
#
# oneDNN is held to SSE4.1 (DNNL_MAX_CPU_ISA=SSE41): with AVX2, memcheck
# reports 32-byte reads just past the end of buffers oneDNN allocated
# itself, from its JIT-generated code (the vector loads of a row's tail,
# masked, which memcheck checks as whole loads); held to SSE4.1 it reports
# none. cnnlab's code runs the same either way. t/valgrind.supp names the
# one leak that is fontconfig's own.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

command -v valgrind >/dev/null 2>&1 ||
    skip_all "valgrind is not installed (scripts/install-deps installs it)"
[ -z "${CNNLAB_SANITIZERS:-}" ] ||
    skip_all "built with sanitizers: valgrind cannot run an ASan program"
[ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
    skip_all "Fashion-MNIST is not installed (scripts/install-deps installs it)"

# The manifest as users have it; an override shortens its timing
# analysis (the fourth), as a user would on the command line.
manifest="$CNNLAB_SRCDIR/experiments/quickstart.yaml"
set -- data.limit=200 train.batch=50 'analyses={3: {timing: {repeats: 1, batch: 1}}}'
like "$("$CNNLAB" check --profile smoke "$manifest" "$@" 2>&1)" \
    "curves {width=800, height=500}, timing {batch=1, repeats=1}, occlusion" \
    "the override shortens the quickstart's timing analysis, and only it"

DNNL_MAX_CPU_ISA=SSE41 "${CNNLAB_BUILDDIR:-.}/libtool" --mode=execute \
    valgrind --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite \
    --suppressions="$CNNLAB_SRCDIR/t/valgrind.supp" \
    "$CNNLAB" run --quiet --profile smoke --out "$scratch/out" \
    "$manifest" "$@" > "$scratch/log" 2>&1
status=$?
is "$status" 0 "the quickstart smoke under valgrind: no memory error, no definite leak"
[ "$status" -eq 0 ] || grep -E '==[0-9]+== ' "$scratch/log" | head -60 | sed 's/^/# /'
like "$(cat "$scratch/log")" "ERROR SUMMARY: 0 errors" "valgrind's summary says 0 errors"
for file in model.safetensors summary.txt classwise.csv curves-loss.png \
    curves-accuracy.svg timing.md; do
    test -s "$scratch/out/quickstart/main/$file"
    ok $? "the run wrote $file"
done

done_testing
