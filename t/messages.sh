#!/bin/sh
# Messages that mislead or inject (issue 19, class 8): every error and
# warning shows control characters instead of sending them (a file name
# holding an escape sequence cannot clear the screen, nor a newline fake a
# log line); a tab in YAML's indentation says what to do; a device hint
# is given once; indices read as YAML numbers print as whole numbers.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"
. "${CNNLAB_SRCDIR:-.}/t/tiny-manifest.sh"

evil=$(printf '%s/evil\033[2J\nfake.yaml' "$scratch")
"$CNNLAB" check "$evil" > /dev/null 2> "$scratch/evil.err"
is "$?" 2 "a missing manifest with control characters in its name: exit 2"
like "$(cat "$scratch/evil.err")" 'evil\x1b[2J\x0afake.yaml' \
    "the escape and the newline are shown as \\x1b and \\x0a"
is "$(wc -l < "$scratch/evil.err" | tr -d ' ')" 1 "the message stays one line"
! grep -q "$(printf '\033')" "$scratch/evil.err"
ok $? "no escape character reaches the terminal"

printf 'data:\n  loader: idx\n\tlimit: 2\n' > "$scratch/tab.yaml"
output=$("$CNNLAB" check "$scratch/tab.yaml" 2>&1)
is "$?" 2 "a tab in the indentation: exit 2"
like "$output" "tab.yaml:3:1:" "the error names the file, line and column"
like "$output" "YAML indents with spaces only; replace the tab with spaces" \
    "and says what to do, not only libyaml's words"

tiny_manifest > "$scratch/tiny.yaml"
if output=$("$CNNLAB" check "$scratch/tiny.yaml" device=cuda 2>&1); then
    skip "device: cuda without a GPU says 'use device:' once" "this machine has a GPU"
else
    is "$(printf '%s\n' "$output" | grep -o 'use device:' | wc -l | tr -d ' ')" 1 \
        "device: cuda without a GPU says 'use device:' once"
fi

output=$("$CNNLAB" check "$scratch/tiny.yaml" \
    'analyses=[{filters: {layers: [conv1], filters: [1000000000]}}]' 2>&1)
is "$?" 2 "a filter index out of range: exit 2"
like "$output" "has filters 0..3, not 1000000000" \
    "the index prints as the whole number it is (not 1e+09)"
done_testing
