#!/bin/sh
# experiments/part-b/attribution.yaml under --profile smoke (TAP), as CI
# runs the other Part B manifests: the smoke checkpoint of part-a/best is
# trained first, then saliency, gradcam, integrated-gradients and
# faithfulness run on it and write their files; the faithfulness table has
# one row per method listed, each AUC a probability's area (0..1); the
# integrated-gradients CSV reports a completeness error per image.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

manifest="${CNNLAB_SRCDIR:-.}/experiments/part-b/attribution.yaml"
"$CNNLAB" run --quiet --profile smoke --out "$scratch/out" "$manifest" \
    > "$scratch/run.out" 2> "$scratch/run.err"
status=$?
is "$status" 0 "attribution.yaml --profile smoke runs"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/run.err"
dir="$scratch/out/attribution/main"
info=$(cat "$dir/run.json" 2>/dev/null)
for name in saliency gradcam integrated-gradients faithfulness; do
    like "$info" "\"$name\": \"ok\"" "run.json records $name as ok"
done
for file in saliency-0.npy saliency-1.png saliency-gradient-input-1.csv \
    gradcam-0.npy gradcam-grid-1.npy gradcam.png \
    integrated-gradients-0.npy integrated-gradients.png \
    faithfulness.md faithfulness.tex faithfulness-deletion.png \
    faithfulness-insertion.svg faithfulness-curves.csv; do
    test -s "$dir/$file"
    ok $? "$file is written"
done
# conv6's grid: 13 x 13 for 84 x 84 inputs.
is "$(wc -l < "$dir/gradcam-grid-0.csv" | tr -d ' ')" 13 \
    "gradcam's default layer is conv6 (13 rows)"
is "$(sed 1d "$dir/faithfulness-summary.csv" | cut -d, -f1 | tr '\n' ' ')" \
    "saliency gradient-input gradcam integrated-gradients random " \
    "faithfulness-summary.csv: one row per method, in the listed order"
bad=$(awk -F, 'NR > 1 && ($4 < 0 || $4 > 1 || $5 < 0 || $5 > 1)' \
    "$dir/faithfulness.csv")
is "$bad" "" "every AUC lies in [0, 1]"
is "$(head -1 "$dir/integrated-gradients.csv" | awk -F, '{print $NF}')" \
    completeness_error "integrated-gradients.csv reports the completeness error"
is "$(sed 1d "$dir/integrated-gradients.csv" | wc -l | tr -d ' ')" 2 \
    "... for each of the two images"

done_testing
