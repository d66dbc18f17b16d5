#!/bin/sh
# Resources that grow without bound (issue 19, class 9; docs/reliability.md,
# "Resources"): `cnnlab check` of a manifest with 5,000 variants must be
# near-linear in the number of variants. Loading one used to clone the whole
# manifest, every other variant included, for each variant (quadratic:
# 10,000 variants took 2 min 17 s); now 5,000 take well under a second, and
# the test allows 60 s on a loaded machine. The duplicate-name check is
# linear too, and still finds a duplicate among them with its place.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cd "$scratch" || exit 1
variants=5000
{
    cat <<'YAML'
name: many
seed: 3
data: {loader: synthetic, classes: 4, channels: 1, size: 8, train: 32, val: 8, test: 8}
model:
  input: [1, 8, 8]
  layers:
    - flatten
    - linear: {out: 4}
train: {epochs: 1, batch: 8}
variants:
YAML
    i=0
    awk -v n="$variants" 'BEGIN {
        for (i = 0; i < n; i++)
            printf "  - {name: v%d, seed: %d, train: {batch: %d}}\n", i, i + 1, i % 8 + 1
    }'
} > many.yaml

now() { date +%s; }

start=$(now)
output=$(timeout 120 "$CNNLAB" check many.yaml 2>&1)
status=$?
elapsed=$(($(now) - start))
is "$status" 0 "$variants variants: cnnlab check passes"
[ "$status" -eq 0 ] || printf '#   %s\n' "$output" | head -5
ok $([ "$elapsed" -le 60 ] && echo 0 || echo 1) \
    "$variants variants are checked in at most 60 s (took ${elapsed} s)"

# The same with a duplicate name at the end: found, with its place.
{ cat many.yaml; echo "  - {name: v17, seed: 9}"; } > twice.yaml
start=$(now)
output=$(timeout 120 "$CNNLAB" check twice.yaml 2>&1)
status=$?
elapsed=$(($(now) - start))
is "$status" 2 "a duplicate among $variants variants: exit status 2"
like "$output" "twice.yaml:$((variants + 11)):" \
    "  the message has the duplicate's line"
like "$output" "variant 'v17' is defined twice" "  and names it"
ok $([ "$elapsed" -le 60 ] && echo 0 || echo 1) \
    "  found in at most 60 s (took ${elapsed} s)"

done_testing
