#!/bin/sh
# Manifest errors: each is refused with exit status 2 and a message that
# names the file, line and column, and says what is wrong.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

good_manifest() {
    cat <<'YAML'
name: tiny
seed: 3
data: {loader: synthetic, classes: 4, channels: 1, size: 12, train: 64, val: 16, test: 16}
model:
  input: [1, 12, 12]
  layers:
    - conv2d: {out: 4, kernel: 3}
    - relu
    - flatten
    - linear: {out: 4}
train: {epochs: 1, batch: 8}
YAML
}

check() { # check NAME: runs `cnnlab check` on $scratch/NAME.yaml
    output=$("$CNNLAB" check "$scratch/$1.yaml" 2>&1)
    status=$?
}

good_manifest > "$scratch/good.yaml"
check good
is "$status" 0 "a good manifest passes check"
like "$output" "nothing was run" "check runs nothing"

# Malformed YAML: an unclosed flow mapping.
good_manifest | sed 's/train: {epochs: 1, batch: 8}/train: {epochs: 1, batch: 8/' \
    > "$scratch/malformed.yaml"
check malformed
is "$status" 2 "malformed YAML: exit status 2"
like "$output" "malformed.yaml:" "malformed YAML: names the file"
like "$output" "invalid YAML" "malformed YAML: says so"

# Unknown key in a component, with a did-you-mean.
good_manifest | sed 's/conv2d: {out: 4, kernel: 3}/conv2d: {out: 4, kernal: 3}/' \
    > "$scratch/unknown-key.yaml"
check unknown-key
is "$status" 2 "unknown key: exit status 2"
like "$output" "unknown-key.yaml:7:" "unknown key: names file and line"
like "$output" "kernal" "unknown key: names the key"
like "$output" "did you mean 'kernel'" "unknown key: suggests the right one"

# Unknown top-level key.
good_manifest | sed 's/^seed: 3/sed: 3/' > "$scratch/unknown-top.yaml"
check unknown-top
is "$status" 2 "unknown top-level key: exit status 2"
like "$output" "unknown-top.yaml:2:1:" "unknown top-level key: line:column"
like "$output" "did you mean 'seed'" "unknown top-level key: suggestion"

# Unknown plugin (layer type).
good_manifest | sed 's/    - relu/    - rleu/' > "$scratch/unknown-layer.yaml"
check unknown-layer
is "$status" 2 "unknown layer: exit status 2"
like "$output" "unknown-layer.yaml:8:7:" "unknown layer: line:column"
like "$output" "unknown layer 'rleu'; did you mean 'relu'?" "unknown layer: suggestion"

good_manifest | sed 's/loader: synthetic/loader: synthetc/' > "$scratch/unknown-loader.yaml"
check unknown-loader
is "$status" 2 "unknown loader: exit status 2"
like "$output" "unknown loader 'synthetc'; did you mean 'synthetic'?" "unknown loader: suggestion"

# Wrong type.
good_manifest | sed 's/epochs: 1,/epochs: many,/' > "$scratch/wrong-type.yaml"
check wrong-type
is "$status" 2 "wrong type: exit status 2"
like "$output" "wrong-type.yaml:11:" "wrong type: names file and line"
like "$output" "epochs" "wrong type: names the key"
like "$output" "many" "wrong type: quotes the value"

# Out of range.
good_manifest | sed 's/batch: 8/batch: 0/' > "$scratch/range.yaml"
check range
is "$status" 2 "out of range: exit status 2"
like "$output" "range.yaml:11:" "out of range: names file and line"
like "$output" "batch" "out of range: names the key"

# Shape mismatch: a kernel larger than its input.
good_manifest | sed 's/kernel: 3}/kernel: 13}/' > "$scratch/shape.yaml"
check shape
is "$status" 2 "shape mismatch: exit status 2"
like "$output" "shape.yaml:7:" "shape mismatch: names file and line"
like "$output" "conv1" "shape mismatch: names the layer"
like "$output" "model input [1, 12, 12]" "shape mismatch: names what feeds it"

# padding: same (PyTorch's) keeps the size with stride 1 and is refused
# with a stride, as PyTorch refuses it, at the layer; a misspelt word is
# refused at the value with a suggestion.
good_manifest | sed 's/kernel: 3}/kernel: 4, padding: same}/' > "$scratch/same.yaml"
check same
is "$status" 0 "padding: same with stride 1 passes check"
good_manifest | sed 's/kernel: 3}/kernel: 4, padding: same, stride: 2}/' \
    > "$scratch/same-stride.yaml"
check same-stride
is "$status" 2 "padding: same with stride 2: exit status 2"
like "$output" "same-stride.yaml:7:7: layer conv1 (conv2d): padding: same needs stride 1" \
    "padding: same with stride 2: file:line:column and the layer"
like "$output" "but stride is (2, 2); use stride 1, or give the padding as numbers (same would pad (1, 1) before and (2, 2) after)" \
    "padding: same with stride 2: says what fits"
good_manifest | sed 's/kernel: 3}/kernel: 3, padding: sam}/' > "$scratch/same-typo.yaml"
check same-typo
is "$status" 2 "padding: sam: exit status 2"
like "$output" "same-typo.yaml:7:44: conv2d: 'padding' must be an integer, a list of two integers or same; got 'sam' (did you mean 'same'?)" \
    "padding: sam: at the value, with a suggestion"

# A combination of parameters that each pass their range is refused when
# the manifest is checked, not at the first training step.
good_manifest | sed 's/train: {epochs: 1, batch: 8}/train: {epochs: 1, batch: 8, optimizer: {sgd: {nesterov: true}}}/' \
    > "$scratch/nesterov.yaml"
check nesterov
is "$status" 2 "nesterov without momentum: exit status 2"
like "$output" "nesterov.yaml:11:" "nesterov without momentum: names file and line"
like "$output" "requires momentum > 0" "nesterov without momentum: says what fits"

# Classes and outputs disagree: found when the data is there (run).
good_manifest | sed 's/linear: {out: 4}/linear: {out: 5}/' > "$scratch/classes.yaml"
output=$("$CNNLAB" run --quiet --out "$scratch/results" "$scratch/classes.yaml" 2>&1)
status=$?
is "$status" 1 "output/class mismatch: the run fails"
like "$output" "linear: {out: 4}" "output/class mismatch: says what would fit"

# Overrides and profiles are checked the same way.
output=$("$CNNLAB" check "$scratch/good.yaml" train.epohcs=3 2>&1)
is "$?" 2 "misspelt override: exit status 2"
like "$output" "did you mean 'epochs'" "misspelt override: suggestion"
output=$("$CNNLAB" check "$scratch/good.yaml" --profile nope 2>&1)
is "$?" 2 "unknown profile: exit status 2"
like "$output" "no profile 'nope'" "unknown profile: says so"

# Variant names become directories: no '/' or '..'.
{ good_manifest; printf 'variants:\n  - {name: ../escape}\n'; } > "$scratch/variant.yaml"
check variant
is "$status" 2 "variant name with '/': exit status 2"
like "$output" "cannot be a directory name" "variant name: says why"

# Usage errors.
"$CNNLAB" frobnicate >/dev/null 2>&1
is "$?" 2 "unknown command: exit status 2"
"$CNNLAB" check >/dev/null 2>&1
is "$?" 2 "missing manifest: exit status 2"
output=$("$CNNLAB" check "$scratch/missing.yaml" 2>&1)
is "$?" 2 "missing manifest file: exit status 2"
like "$output" "missing.yaml" "missing manifest file: names it"

# Batch norm (issue 21): an eps out of its range, eps 0, and batchnorm1d
# on an image, each placed in the manifest.
good_manifest | sed 's/    - relu/    - batchnorm2d: {eps: -1, activation: relu}/' \
    > "$scratch/bn-eps.yaml"
check bn-eps
is "$status" 2 "batchnorm2d eps -1: exit status 2"
like "$output" "bn-eps.yaml:8:" "batchnorm2d eps -1: names file and line"
like "$output" "eps" "batchnorm2d eps -1: names the key"
good_manifest | sed 's/    - relu/    - batchnorm2d: {eps: 0}/' \
    > "$scratch/bn-eps0.yaml"
check bn-eps0
is "$status" 2 "batchnorm2d eps 0: exit status 2"
like "$output" "bn-eps0.yaml:8:7: layer bn1 (batchnorm2d): eps must be above 0" \
    "batchnorm2d eps 0: placed at the layer, saying why"
good_manifest | sed 's/    - relu/    - batchnorm1d/' > "$scratch/bn-shape.yaml"
check bn-shape
is "$status" 2 "batchnorm1d on [4, 10, 10]: exit status 2"
like "$output" "bn-shape.yaml:8:7: layer bn1 (batchnorm1d) cannot take input [4, 10, 10]" \
    "batchnorm1d on an image: names the place, the layer and the shape"
like "$output" "use batchnorm2d" "batchnorm1d on an image: says what fits"
like "$output" "conv1" "batchnorm1d on an image: names the layer before it"

done_testing
