#!/bin/sh
# `layers:` of the filters and ablation analyses: a YAML list, flow or
# block, and the older text "conv1, conv2" choose the same layers (the same
# bytes of filters.csv and the ablation tables); a bad element is an error
# at that element's file:line:column: an unknown layer (with did-you-mean)
# or one without filters, a name twice, a number, a nested list or an empty
# list, all before anything runs (t/analysis-validate.sh: before training).
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

# $1: the filters entry, $2: the ablation entry (lines 16 and 17).
manifest() {
    cat <<YAML
name: layers
seed: 3
threads: 1
data: {loader: synthetic, classes: 3, channels: 3, size: 8, train: 48,
       val: 12, test: 24, mean: [0.5], std: [0.5]}
model:
  input: [3, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 5, kernel: 3, activation: relu}
    - flatten
    - linear: {out: 3}
train: {epochs: 1, batch: 16, optimizer: {sgd: {lr: 0.05}}}
analyses:
  - filters: $1
  - ablation: $2
YAML
}

manifest "{layers: [conv2, conv1], random: 2, top: 2}" \
    "{layers: [fc1, conv2], random: 2, misses: 1}" > "$scratch/list.yaml"
"$CNNLAB" run --quiet --out "$scratch/out" "$scratch/list.yaml" \
    > /dev/null 2> "$scratch/run.stderr"
status=$?
is "$status" 0 "a run with layers as flow lists succeeds"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/run.stderr"
dir="$scratch/out/layers/main"
files="filters.csv ablation-conv2.csv ablation-fc1.csv ablation-misses.csv"
for file in $files; do
    cp "$dir/$file" "$scratch/list-$file" 2> /dev/null
done
is "$(cut -d, -f1 "$scratch/list-filters.csv" | sort -u | tr '\n' ' ')" \
    "conv1 conv2 layer " "filters.csv: conv1 and conv2, in any order given"

# The same selection from the text form and from block lists, through
# `cnnlab analyse` on the same weights.
same_selection() { # same_selection WHAT: compares the files with the list's
    for file in $files; do
        rm -f "$dir/$file" # so that a layer left out cannot pass
    done
    "$CNNLAB" analyse --out "$scratch/out" "$scratch/form.yaml" \
        > /dev/null 2> "$scratch/form.stderr"
    is "$?" 0 "$1: cnnlab analyse succeeds"
    for file in $files; do
        cmp -s "$dir/$file" "$scratch/list-$file"
        ok $? "$1: $file has the list form's bytes"
    done
}
manifest '{layers: "conv1, conv2", random: 2, top: 2}' \
    '{layers: "conv2 fc1", random: 2, misses: 1}' > "$scratch/form.yaml"
same_selection "the text form"
manifest "
      layers:
        - conv1
        - conv2
      random: 2
      top: 2" "
      layers:
        - conv2
        - fc1
      random: 2
      misses: 1" > "$scratch/form.yaml"
same_selection "block lists"

# Checked against the model before anything runs (exit status 2, as for
# any manifest error): the error is at the element, and names what there
# is to choose.
fails_at() { # fails_at FILTERS ABLATION PLACE MESSAGE WHAT
    manifest "$1" "$2" > "$scratch/bad.yaml"
    "$CNNLAB" analyse --out "$scratch/out" "$scratch/bad.yaml" \
        > /dev/null 2> "$scratch/bad.stderr"
    is "$?" 2 "$5: refused before the analysis runs"
    like "$(cat "$scratch/bad.stderr")" "bad.yaml:$3: $4" \
        "$5: said at the element"
}
fails_at "{layers: [conv2, cnv1]}" "{layers: [fc1]}" 16:31 \
    "filters: layers: the model has no layer 'cnv1'; did you mean 'conv1'? (layers with filters: conv1, conv2, fc1)" \
    "an unknown layer"
fails_at "{layers: [conv1]}" "{layers: [conv2,
      pool1]}" 18:7 \
    "ablation: layers: layer 'pool1' (maxpool2d) has no filters (layers with filters: conv1, conv2, fc1)" \
    "a layer without filters"
fails_at '{layers: "conv1, conv7"}' "{layers: [fc1]}" 16:23 \
    "filters: layers: the model has no layer 'conv7'" \
    "an unknown layer in the text form (placed at the text)"

# Checked with the manifest, before anything runs (exit status 2).
refused_at() { # refused_at FILTERS PLACE MESSAGE WHAT
    manifest "$1" "{layers: [fc1]}" > "$scratch/bad.yaml"
    "$CNNLAB" check "$scratch/bad.yaml" > /dev/null 2> "$scratch/bad.stderr"
    is "$?" 2 "$4: a manifest error"
    like "$(cat "$scratch/bad.stderr")" "bad.yaml:$2: $3" "$4: at the element"
}
refused_at "{layers: [conv1, conv2, conv1]}" 16:38 \
    "filters: 'layers' names 'conv1' twice (first at line 16, column 24): keep one" \
    "a duplicate"
refused_at "{layers: [conv1, 2]}" 16:31 \
    "filters: each element of 'layers' must be a name, got the number 2" \
    "a number"
refused_at "{layers: [conv1, [conv2]]}" 16:31 \
    "filters: each element of 'layers' must be a name, got a list" \
    "a nested list"
refused_at "{layers: []}" 16:23 \
    "filters: 'layers' is an empty list: name at least one, or leave 'layers' out" \
    "an empty list"

done_testing
