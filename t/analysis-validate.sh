#!/bin/sh
# Analyses check their parameters against the model before anything
# trains: `cnnlab check` reports a layer the model lacks (with
# did-you-mean) or one without filters at the list element's
# file:line:column, an occlusion fill for the wrong number of channels at
# the analysis's entry, in every variant; `cnnlab run` refuses the same
# manifest before its first epoch (nothing written, in well under the
# training's time); a manifest that fits passes; a module's own validate
# hook runs.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

# $1 filters, $2 ablation, $3 occlusion entry (lines 16-18), $4 epochs,
# $5 what follows (variants, plugins).
manifest() {
    cat <<YAML
name: validate
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
train: {epochs: $4, batch: 16, optimizer: {sgd: {lr: 0.05}}}
analyses:
  - filters: $1
  - ablation: $2
  - occlusion: $3
$5
YAML
}

good_filters="{layers: [conv2, conv1], random: 2, top: 2}"
good_ablation="{layers: [fc1], random: 1, misses: 1}"
good_occlusion="{window: 3, images: [0]}"

refused() { # refused PLACE MESSAGE WHAT: `cnnlab check` on bad.yaml
    "$CNNLAB" check "$scratch/bad.yaml" > /dev/null 2> "$scratch/check.stderr"
    is "$?" 2 "$3: cnnlab check refuses it"
    like "$(cat "$scratch/check.stderr")" "bad.yaml:$1: $2" \
        "$3: at the element, in the analysis's words"
}

manifest "{layers: [conv2, cnv1]}" "$good_ablation" "$good_occlusion" 1 \
    > "$scratch/bad.yaml"
refused 16:31 "filters: layers: the model has no layer 'cnv1'; did you mean 'conv1'? (layers with filters: conv1, conv2, fc1)" \
    "an unknown layer"
manifest "$good_filters" "{layers: [conv2,
      pool1]}" "$good_occlusion" 1 > "$scratch/bad.yaml"
refused 18:7 "ablation: layers: layer 'pool1' (maxpool2d) has no filters (layers with filters: conv1, conv2, fc1)" \
    "a layer without filters"
manifest '{layers: "conv1, flatten1"}' "$good_ablation" "$good_occlusion" 1 \
    > "$scratch/bad.yaml"
refused 16:23 "filters: layers: layer 'flatten1' (flatten) has no filters" \
    "a layer without filters in the text form (placed at the text)"
manifest "$good_filters" "{layers: [conv1], filters: [4]}" "$good_occlusion" \
    1 > "$scratch/bad.yaml"
refused 17:5 "ablation: filters: layer conv1 (conv2d) has filters 0..3, not 4" \
    "a filter the layer lacks (at the entry)"
manifest "$good_filters" "$good_ablation" "{fill: [1, 2]}" 1 \
    > "$scratch/bad.yaml"
refused 18:5 "occlusion: fill has 2 values, the images 3 channels" \
    "an occlusion fill for the wrong channels (at the entry)"

# `cnnlab run` refuses before the first epoch: an unknown layer with a
# training that would take minutes (100000 epochs), bounded by timeout in
# case it started anyway. The check itself takes milliseconds; 5 s leaves
# room for a loaded machine.
manifest "{layers: [conv2, cnv1]}" "$good_ablation" "$good_occlusion" 100000 \
    > "$scratch/bad.yaml"
start=$(date +%s)
timeout 60 "$CNNLAB" run --quiet --out "$scratch/out" "$scratch/bad.yaml" \
    > /dev/null 2> "$scratch/run.stderr"
status=$?
seconds=$(($(date +%s) - start))
is "$status" 2 "cnnlab run refuses it as a manifest error"
like "$(cat "$scratch/run.stderr")" \
    "bad.yaml:16:31: filters: layers: the model has no layer 'cnv1'; did you mean 'conv1'?" \
    "cnnlab run: the same message"
ok "$([ "$seconds" -le 5 ] && echo 0 || echo 1)" \
    "cnnlab run: refused in ${seconds} s, before any training"
is "$(find "$scratch/out" -type f 2> /dev/null | wc -l | tr -d ' ')" 0 \
    "cnnlab run: no epoch log, checkpoint or other file written"

# Every variant is checked: conv2 is fine in the first, missing in the
# second, and the first is not trained either.
manifest "{layers: [conv2]}" "$good_ablation" "$good_occlusion" 100000 "\
variants:
  - {name: deep}
  - name: shallow
    model: {layers: [{conv2d: {out: 4, kernel: 3}}, flatten,
                     {linear: {out: 3}}]}" > "$scratch/bad.yaml"
"$CNNLAB" check "$scratch/bad.yaml" > /dev/null 2> "$scratch/check.stderr"
is "$?" 2 "variants: cnnlab check refuses the variant that does not fit"
like "$(cat "$scratch/check.stderr")" \
    "bad.yaml:16:24: variant shallow: filters: layers: the model has no layer 'conv2'; did you mean 'conv1'? (layers with filters: conv1, fc1)" \
    "variants: the error names the variant and the element"
timeout 60 "$CNNLAB" run --quiet --out "$scratch/out" "$scratch/bad.yaml" \
    > /dev/null 2> "$scratch/run.stderr"
is "$?" 2 "variants: cnnlab run refuses it"
is "$(find "$scratch/out" -type f 2> /dev/null | wc -l | tr -d ' ')" 0 \
    "variants: not even the variant that fits was trained"

# What fits passes, and runs.
manifest "$good_filters" "$good_ablation" "$good_occlusion" 1 \
    > "$scratch/good.yaml"
"$CNNLAB" check "$scratch/good.yaml" > "$scratch/check.stdout" \
    2> "$scratch/check.stderr"
is "$?" 0 "a manifest that fits passes cnnlab check"
like "$(cat "$scratch/check.stdout")" "ok: nothing was run" \
    "cnnlab check: nothing was run"
"$CNNLAB" run --quiet --out "$scratch/out" "$scratch/good.yaml" \
    > /dev/null 2> "$scratch/run.stderr"
status=$?
is "$status" 0 "a manifest that fits trains and analyses"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/run.stderr"
for file in filters.csv ablation-fc1.csv occlusion.csv; do
    [ -s "$scratch/out/validate/main/$file" ]
    ok $? "the run wrote $file"
done

# A module's own validate hook refuses in cnnlab check, at its entry.
if [ -z "$CNNLAB_TEST_PLUGIN_DIR" ]; then
    echo "ok $((tap_count += 1)) - a module's validate hook # SKIP CNNLAB_TEST_PLUGIN_DIR not set (run through make check)"
else
    manifest "$good_filters" "$good_ablation" "$good_occlusion" 1 "\
  - analysis-hook
plugins: [$CNNLAB_TEST_PLUGIN_DIR/analysis-hook.so]" > "$scratch/passes.yaml"
    "$CNNLAB" check "$scratch/passes.yaml" > /dev/null \
        2> "$scratch/check.stderr"
    is "$?" 0 "a module whose hook accepts passes cnnlab check"
    [ -s "$scratch/check.stderr" ] && sed 's/^/# /' "$scratch/check.stderr"
    manifest "$good_filters" "$good_ablation" "$good_occlusion" 1 "\
  - analysis-hook: {refuse: true}
plugins: [$CNNLAB_TEST_PLUGIN_DIR/analysis-hook.so]" > "$scratch/bad.yaml"
    "$CNNLAB" check "$scratch/bad.yaml" > /dev/null \
        2> "$scratch/check.stderr"
    is "$?" 2 "a module's validate hook refuses in cnnlab check"
    like "$(cat "$scratch/check.stderr")" \
        "bad.yaml:19:5: analysis-hook: refused before training (a model of 5 layers)" \
        "the hook's message, at its entry"
fi

done_testing
