#!/bin/sh
# `cnnlab compare` reads metrics.csv and epoch-seconds.csv whole and
# checks them: a damaged file (a row short of fields, a field that is not
# a number, a NUL byte, an empty file) is an error naming the file and
# line, never a number in the table; lines of any length are read whole
# (the reader had fixed 1024-byte buffers: issue 19, class 6). A missing
# epoch-seconds.csv still shows as "-".
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"
. "${CNNLAB_SRCDIR:-.}/t/tiny-manifest.sh"

{
    tiny_manifest 2
    cat <<'YAML'
variants: [{name: a}, {name: b}]
YAML
} > "$scratch/tiny.yaml"
"$CNNLAB" run --quiet --out "$scratch/r" "$scratch/tiny.yaml" > /dev/null 2>&1
ok $? "two runs to compare"
a="$scratch/r/tiny/a"
b="$scratch/r/tiny/b"
"$CNNLAB" compare "$a" "$b" > "$scratch/good.md" 2>&1
ok $? "compare reads the runs as written"
cp "$a/metrics.csv" "$scratch/metrics.csv"

damage() { # damage WHAT CONTENT NEEDLE: metrics.csv of a is CONTENT
    printf '%b' "$2" > "$a/metrics.csv"
    output=$("$CNNLAB" compare "$a" "$b" 2>&1)
    status=$?
    [ "$status" -ne 0 ]
    ok $? "$1: refused (exit $status)"
    like "$output" "$3" "$1: the error names the file, the line and the fault"
}
header="epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr"
damage "a short row" "$header\n1,1.4,21.8\n" "metrics.csv:2: 3 fields, but the header has 6"
damage "a word for a number" "$header\n1,1.4,21.8,1.4,oops,0.01\n" \
    "metrics.csv:2: val_accuracy is 'oops', not a finite number"
damage "a NaN" "$header\n1,1.4,nan,1.4,25,0.01\n" "train_accuracy is 'nan'"
damage "a NUL byte" "$header\n1,1.4,21\00008,1.4,25,0.01\n" "metrics.csv:2: a NUL byte"
damage "an empty file" "" "metrics.csv is empty"

# A valid line longer than the old 1024-byte buffers is read whole: its
# fields (val_accuracy 12.5, then an lr of 0.01 and 3000 zeros) count.
long=$(head -c 3000 /dev/zero | tr '\0' '0')
printf '%s\n1,1.4,21.8,1.4,12.5,0.01%s\n' "$header" "$long" > "$a/metrics.csv"
output=$("$CNNLAB" compare "$a" "$b" 2>&1)
ok $? "a 3000-character row is read"
like "$output" "| final val accuracy (%) | 12.50 |" "and its fields are where they belong"

cp "$scratch/metrics.csv" "$a/metrics.csv"
rm "$a/epoch-seconds.csv"
output=$("$CNNLAB" compare "$a" "$b" 2>&1)
ok $? "a run without epoch-seconds.csv compares"
like "$output" "| seconds per epoch | - |" "and shows its time as -"
done_testing
