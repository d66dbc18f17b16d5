#!/bin/sh
# Manifest errors beyond t/cli-manifest-errors.sh (docs/reliability.md,
# "Manifests"): each is refused by `cnnlab check` and `cnnlab run` with
# exit status 2, before anything is written, with file:line:column (or
# the command-line argument), what is wrong and what would fit.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cd "$scratch" || exit 1
cat > good.yaml <<'YAML'
name: tiny
seed: 3
data: {loader: synthetic, classes: 4, channels: 1, size: 12, train: 64, val: 16, test: 16}
model:
  input: [1, 12, 12]
  layers:
    - conv2d: {out: 4, kernel: 3}
    - relu
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 4, kernel: 3}
    - flatten
    - linear: {out: 4}
train: {epochs: 1, batch: 8}
YAML

refused() { # refused FILE [ARGS...]: `cnnlab check`, output in $output
    output=$("$CNNLAB" check "$@" 2>&1)
    status=$?
}
refused_run() { # the same through `cnnlab run`; nothing may be written
    output=$("$CNNLAB" run --quiet --out results "$@" 2>&1)
    status=$?
}

"$CNNLAB" check good.yaml > /dev/null 2>&1
is "$?" 0 "the base manifest is good"

# ---- malformed YAML ----------------------------------------------------
printf 'name: x\n\tseed: 3\n' > tab.yaml
refused tab.yaml
is "$status" 2 "a tab in the indentation: exit status 2"
like "$output" "tab.yaml:2:1: invalid YAML: found a tab character" \
    "a tab in the indentation: file:line:column and libyaml's reason"
printf 'name: "tiny\nseed: 3\n' > quote.yaml
refused quote.yaml
is "$status" 2 "an unclosed quote: exit status 2"
like "$output" "quote.yaml:3:1: invalid YAML" "an unclosed quote: where the file ends"
like "$output" "quoted scalar that starts at line 1, column 7" \
    "an unclosed quote: where the quote opened"
printf 'name: x\nseed: &s 3\n' > anchor.yaml
refused anchor.yaml
is "$status" 2 "a YAML anchor: exit status 2"
like "$output" "anchor.yaml:2:7: YAML anchors are not supported" \
    "a YAML anchor: refused with its place, not misread"
{ cat good.yaml; printf -- '---\nseed: 4\n'; } > two.yaml
refused two.yaml
is "$status" 2 "two YAML documents: exit status 2"
like "$output" "two.yaml:14:1: a second YAML document starts here" \
    "two YAML documents: names the second"
printf -- '- a\n- b\n' > list.yaml
refused list.yaml
like "$output" "list.yaml:1:1: a manifest is a mapping" "a list is not a manifest"
printf 'name: caf\351\n' > latin1.yaml
refused latin1.yaml
is "$status" 2 "text that is not UTF-8: exit status 2"
like "$output" "latin1.yaml:" "text that is not UTF-8: names the file"

# ---- duplicate keys ----------------------------------------------------
sed 's/^seed: 3/seed: 3\nseed: 4/' good.yaml > dup-top.yaml
refused dup-top.yaml
is "$status" 2 "a duplicate top-level key: exit status 2"
like "$output" "dup-top.yaml:3:1: duplicate key 'seed' (first at line 2)" \
    "a duplicate top-level key: both places"
sed '7s/- conv2d: {out: 4, kernel: 3}$/- conv2d: {out: 4, kernel: 3, out: 8}/' \
    good.yaml > dup-flow.yaml
refused dup-flow.yaml
is "$status" 2 "a duplicate key in a flow mapping: exit status 2"
like "$output" "dup-flow.yaml:7:35: duplicate key 'out' (first at line 7)" \
    "a duplicate key in a flow mapping: line and column"
refused_run dup-top.yaml
is "$status" 2 "run refuses a duplicate key too (exit status 2)"
test ! -e results
ok $? "a refused run writes nothing"

# ---- unknown components (did-you-mean) ---------------------------------
sed 's/batch: 8}/batch: 8, optimizer: sdg}/' good.yaml > optimizer.yaml
refused optimizer.yaml
is "$status" 2 "unknown optimizer: exit status 2"
like "$output" "optimizer.yaml:13:41: unknown optimizer 'sdg'; did you mean 'sgd'? (known: " \
    "unknown optimizer: place, suggestion and the known ones"
sed 's/batch: 8}/batch: 8, loss: cross-entrpy}/' good.yaml > loss.yaml
refused loss.yaml
like "$output" "loss.yaml:13:36: unknown loss 'cross-entrpy'; did you mean 'cross-entropy'?" \
    "unknown loss: place and suggestion"
sed 's/loader: synthetic,/loader: synthetic, clases: 4,/' good.yaml > param.yaml
refused param.yaml
like "$output" "param.yaml:3:" "unknown loader parameter: file and line"
like "$output" "did you mean 'classes'" "unknown loader parameter: suggestion"

# ---- wrong types, out-of-range values ----------------------------------
sed 's/^seed: 3/seed: [3]/' good.yaml > type-list.yaml
refused type-list.yaml
is "$status" 2 "a list for an integer: exit status 2"
like "$output" "type-list.yaml:2:7: the manifest: 'seed' must be an integer, got a list" \
    "a list for an integer: place and both types"
sed 's/out: 4, kernel: 3}$/out: 2.5, kernel: 3}/' good.yaml > type-fraction.yaml
refused type-fraction.yaml
like "$output" "type-fraction.yaml:7:" "a fraction for an integer: place"
like "$output" "2.5" "a fraction for an integer: quotes the value"
sed 's/batch: 8}/batch: 8, optimizer: {sgd: {lr: -1}}}/' good.yaml > range.yaml
refused range.yaml
is "$status" 2 "an out-of-range learning rate: exit status 2"
like "$output" "range.yaml:13:52: sgd: 'lr' must be between 1e-12 and 1000, got -1" \
    "an out-of-range value: place, the range and the value"

# ---- shape mismatches: both layers and what would fit ------------------
sed 's/- conv2d: {out: 4, kernel: 3}$/- conv2d: {out: 4, kernel: 7}/' good.yaml \
    > shape.yaml
# Only the second conv (line 10) must change: the first now reads kernel 7
# too, so restore it.
sed '7s/kernel: 7/kernel: 3/' shape.yaml > shape2.yaml
refused shape2.yaml
is "$status" 2 "a kernel larger than its input: exit status 2"
like "$output" "shape2.yaml:10:7: layer conv2 (conv2d) cannot take input [4, 5, 5]" \
    "shape mismatch: names the layer, its place and its input"
like "$output" "its input comes from layer pool1 (maxpool2d), output [4, 5, 5]" \
    "shape mismatch: names the layer that feeds it"
like "$output" "the largest kernel that fits is (5, 5), or use padding (1, 1)" \
    "shape mismatch: says what would fit"

# ---- overrides that name no key ----------------------------------------
refused good.yaml train.epohcs=3
is "$status" 2 "a misspelt override: exit status 2"
like "$output" "command line 'train.epohcs=3': unknown parameter 'epohcs' for train" \
    "a misspelt override: names the argument"
like "$output" "did you mean 'epochs'" "a misspelt override: suggestion"
refused good.yaml sede=3
like "$output" "command line 'sede=3': unknown key 'sede' in the manifest; did you mean 'seed'?" \
    "a misspelt top-level override: suggestion"
refused good.yaml nothing.at.all=3
is "$status" 2 "an override of a key that does not exist: exit status 2"
like "$output" "unknown key 'nothing' in the manifest" \
    "an override of a key that does not exist: says so"
refused good.yaml seed.x=3
is "$status" 2 "an override below a scalar: exit status 2"
like "$output" "override 'seed.x=3': 'seed' is a scalar, not a mapping" \
    "an override below a scalar: says why"
refused good.yaml =3
is "$status" 2 "an override without a key: exit status 2"
like "$output" "override '=3' has no key before '='" "an override without a key: says so"
refused good.yaml train..epochs=3
like "$output" "empty key segment in 'train..epochs'" "an empty key segment: says so"
refused good.yaml 'train.epochs=[1'
is "$status" 2 "an override whose value is bad YAML: exit status 2"
like "$output" "train.epochs=[1" "an override whose value is bad YAML: names it"

# ---- names that would become paths -------------------------------------
for name in .. ../up a/b . .hidden; do
    { cat good.yaml; printf 'variants:\n  - {name: "%s"}\n' "$name"; } > variant.yaml
    refused variant.yaml
    is "$status" 2 "variant name '$name': exit status 2"
    like "$output" "variant.yaml:15:12: variant name '$name' cannot be a directory name" \
        "variant name '$name': place and why"
done
sed 's/^name: tiny/name: ..\/up/' good.yaml > experiment.yaml
refused experiment.yaml
is "$status" 2 "experiment name '../up': exit status 2"
like "$output" "experiment.yaml:1:7: experiment name '../up' cannot be a directory name" \
    "experiment name '../up': place and why"
refused good.yaml name=..
is "$status" 2 "name=.. on the command line: exit status 2"
like "$output" "cannot be a directory name" "name=..: says why"
# Without name: the file's stem names the experiment: "..yaml" gives '.',
# "...yaml" '..' (results/../main would be outside results/).
for stem in . ..; do
    sed '/^name: tiny/d' good.yaml > "$stem.yaml"
    refused "$stem.yaml"
    is "$status" 2 "a manifest named '$stem.yaml' without name: exit status 2"
    like "$output" "$stem.yaml has no name:, so the experiment would be named after the file, '$stem', which cannot be a directory name: set name:" \
        "a manifest named '$stem.yaml': says why and how to fix it"
done
sed 's/^name: tiny/name: tiny\nprofiles: {other: {name: renamed}}/' good.yaml \
    > profile.yaml
output=$("$CNNLAB" check profile.yaml --profile other 2>&1)
like "$output" "variant main -> results/renamed/main" \
    "a profile's name: is the directory the results go to"
refused_run good.yaml --variant ../x
is "$status" 2 "--variant ../x: exit status 2"
like "$output" "has no variant '../x'" "--variant ../x: no such variant"
test ! -e results
ok $? "no refused run wrote anything"

# ---- model.from cycles between manifests -------------------------------
for name in a b c; do
    cat > "from-$name.yaml" <<YAML
name: from-$name
data: {loader: synthetic, classes: 4, channels: 1, size: 12, train: 64, val: 16, test: 16}
model: {from: NEXT}
train: {epochs: 1, batch: 8}
YAML
done
sed -i 's/NEXT/from-b/' from-a.yaml
sed -i 's/NEXT/from-c/' from-b.yaml
sed -i 's/NEXT/from-a/' from-c.yaml
refused from-a.yaml
is "$status" 2 "a -> b -> c -> a: exit status 2"
real=$(pwd -P)
like "$output" "model.from makes a cycle: $real/from-a.yaml -> $real/from-b.yaml -> $real/from-c.yaml -> $real/from-a.yaml" \
    "a -> b -> c -> a: the whole cycle is named"
like "$output" "from-c.yaml:3:15: " "a -> b -> c -> a: the place that closes it"
refused_run from-a.yaml
is "$status" 2 "run refuses the cycle too"
sed 's/from-b/from-self/; s/^name: from-a/name: from-self/' from-a.yaml \
    > from-self.yaml
refused from-self.yaml
is "$status" 2 "a manifest taking its model from itself: exit status 2"
like "$output" "from-self.yaml:3:15: model.from makes a cycle" \
    "a manifest taking its model from itself: place and why"
test ! -e results
ok $? "the refused cycles wrote nothing"

done_testing
