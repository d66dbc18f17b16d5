#!/bin/sh
# data.labels in manifests (idx, synthetic, imagefolder): a class subset
# passes `cnnlab check`; whole numbers, none twice, at least two and
# (idx) 0..9, else exit status 2 with the element's file:line:column
# and what would fit. What the loaders keep is t/test-loader-labels's
# (imagefolder's: t/test-imagefolder-labels's).
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

check() { # check LOADER LABELS-LINE: sets $status and $output
    cat > "$scratch/labels.yaml" <<YAML
name: labels
data:
  loader: $1
$2
model: {input: [1, 8, 8], layers: [flatten, {linear: {out: 2}}]}
train: {epochs: 1, optimizer: {sgd: {lr: 0.01}}}
YAML
    output=$("$CNNLAB" check "$scratch/labels.yaml" 2>&1)
    status=$?
}

check idx "  labels: [5, 6, 7, 8, 9]"
is "$status" 0 "idx: labels [5, 6, 7, 8, 9] passes"
check synthetic "  labels: [9, 0]"
is "$status" 0 "synthetic: labels [9, 0] passes"

check idx "  labels: [5, 10]"
is "$status" 2 "idx: label 10 is refused"
like "$output" "labels.yaml:4:15:" "idx: label 10: at its element"
like "$output" "between 0 and 9" "idx: label 10: the labels there are"
check idx "  labels: [5, 6, 05]"
is "$status" 2 "idx: a label twice is refused"
like "$output" "labels.yaml:4:18:" "idx: twice: at the second"
like "$output" "lists class 5 twice (first at line 4, column 12): keep one" \
    "idx: twice: where the first is, and the fix"
check idx "  labels: [5]"
like "$output" "labels.yaml:4:11:" "idx: one label: at the list"
like "$output" "two or more" "idx: one label: a classifier needs two"
check synthetic "  labels: 3"
is "$status" 2 "synthetic: a single number is refused"
check idx "  labels: [1, 2.5]"
like "$output" "labels.yaml:4:15: data (loader idx): labels: '2.5' is not a class label" \
    "idx: 2.5 is refused at its element"
check imagefolder "  labels: [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]"
is "$status" 0 "imagefolder: 17 labels pass (its classes are counted when it loads)"
check imagefolder "  labels: [3, 0, 3]"
is "$status" 2 "imagefolder: a label twice is refused"
like "$output" "labels.yaml:4:18:" "imagefolder: twice: at the second"
done_testing
