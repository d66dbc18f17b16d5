#!/bin/sh
# The man pages: both format without a warning, and cnnlab(1) names every
# command and option that `cnnlab --help` lists, so a new option cannot be
# left out of it.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

man_dir="${CNNLAB_SRCDIR:-.}/man"
if command -v groff > /dev/null 2>&1; then
    for page in cnnlab.1 cnnlab-manifest.5; do
        warnings=$(groff -man -Tutf8 -ww -z "$man_dir/$page" 2>&1)
        is "$warnings" "" "$page formats without warnings"
    done
else
    for page in cnnlab.1 cnnlab-manifest.5; do
        echo "ok $((tap_count += 1)) - $page formats # SKIP groff is not installed"
    done
fi

# roff writes a hyphen as \- ; the text as it reads:
sed 's/\\-/-/g' "$man_dir/cnnlab.1" > "$scratch/cnnlab.1"
help=$("$CNNLAB" --help)
is "$?" 0 "cnnlab --help succeeds"
commands=$(printf '%s\n' "$help" | sed -n '/^Commands:/,/^$/p' |
    sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')
[ -n "$commands" ]
ok $? "cnnlab --help lists commands"
# A command has a paragraph of its own under COMMANDS: a line ".B run".
for command in $commands; do
    grep -qx ".B $command" "$scratch/cnnlab.1"
    ok $? "cnnlab(1) documents the command $command"
done
options=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ -n "$options" ]
ok $? "cnnlab --help lists options"
for option in $options; do
    grep -qe "$option\\>" "$scratch/cnnlab.1"
    ok $? "cnnlab(1) documents $option"
done

done_testing
