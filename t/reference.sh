#!/bin/sh
# docs/reference.md is generated from the plugins' own parameter schemas by
# `cnnlab plugins --markdown`, so it cannot drift from what `cnnlab check`
# accepts: this fails when the committed file differs from the output.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

committed="${CNNLAB_SRCDIR:-.}/docs/reference.md"
# Only the built-in plugins: the reference documents what ships.
unset CNNLAB_PLUGIN_PATH
"$CNNLAB" plugins --markdown > "$scratch/reference.md" 2> "$scratch/stderr"
is "$?" 0 "cnnlab plugins --markdown succeeds"
is "$(cat "$scratch/stderr")" "" "and prints nothing on stderr"

for name in conv2d linear maxpool2d globalpool relu flatten dropout \
    cross-entropy sgd adam idx imagefolder synthetic summary classwise curves timing; do
    grep -q "^### \`$name\`\$" "$scratch/reference.md"
    ok $? "the reference has a section for $name"
done
like "$(cat "$scratch/reference.md")" '| `out` | int | required | 1 to ' \
    "a required key shows as required, with its range"
like "$(cat "$scratch/reference.md")" '| `mode` | choice | `avg` | `avg`, `max` |' \
    "a choice shows its default and its values"
# A device's own implementation of a loss adds no section of its own.
is "$(grep -c '^### `cross-entropy`$' "$scratch/reference.md")" 1 \
    "each component appears once, whatever devices implement it"

cmp -s "$committed" "$scratch/reference.md"
status=$?
ok $status "docs/reference.md is what cnnlab plugins --markdown writes"
if [ "$status" -ne 0 ]; then
    echo "#   docs/reference.md is out of date; regenerate it with"
    echo "#     make update-reference"
    echo "#   in the build directory (or: ./cnnlab plugins --markdown > docs/reference.md"
    echo "#   with CNNLAB_PLUGIN_PATH unset). The difference:"
    diff -u "$committed" "$scratch/reference.md" | head -40 | sed 's/^/#   /'
fi

"$CNNLAB" plugins --json > "$scratch/bad.out" 2>&1
is "$?" 2 "cnnlab plugins --json is a usage error"
like "$(cat "$scratch/bad.out")" "takes only --markdown" "that names what it takes"

done_testing
