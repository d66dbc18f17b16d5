#!/bin/sh
# A whole training run (every built-in layer, loss, optimizer, loader path)
# under valgrind memcheck: no invalid access, no use of uninitialised
# memory, no definite leak.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

command -v valgrind >/dev/null 2>&1 || skip_all "valgrind is not installed"
[ -z "${CNNLAB_SANITIZERS:-}" ] ||
    skip_all "built with sanitizers: valgrind cannot run an ASan program"

cat > "$scratch/tiny.yaml" <<'YAML'
name: tiny
threads: 1
data: {loader: synthetic, classes: 4, channels: 3, size: 12, train: 32, val: 16, test: 16}
model:
  input: [3, 12, 12]
  layers:
    - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - dropout: {p: 0.2}
    - conv2d: {out: 6, kernel: 2, stride: 2}
    - relu
    - globalpool: {mode: max}
    - linear: {out: 8, activation: relu}
    - linear: {out: 4}
train: {epochs: 2, batch: 8, optimizer: {sgd: {lr: 0.1, momentum: 0.9, nesterov: true}}}
YAML

"${CNNLAB_BUILDDIR:-.}/libtool" --mode=execute valgrind --error-exitcode=99 \
    --leak-check=full --errors-for-leak-kinds=definite \
    "$CNNLAB" run --quiet --out "$scratch/out" "$scratch/tiny.yaml" \
    > "$scratch/log" 2>&1
status=$?
is "$status" 0 "training under valgrind: no memory error, no definite leak"
[ "$status" -eq 0 ] || grep -E '==[0-9]+== ' "$scratch/log" | head -40 | sed 's/^/# /'
like "$(cat "$scratch/log")" "ERROR SUMMARY: 0 errors" "valgrind's summary says 0 errors"

done_testing
