#!/bin/sh
# Part B's analyses through the command: occlusion, filters and ablation
# listed in a manifest run after training and write their files (tables,
# maps, PNGs); `cnnlab analyse` writes the same bytes again from the saved
# weights; a bad parameter is a manifest error with its place; a layer
# the model lacks fails that analysis alone, saying which layers exist.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cat > "$scratch/partb.yaml" <<'YAML'
name: partb
seed: 5
threads: 1
data: {loader: synthetic, classes: 3, channels: 3, size: 10, train: 192,
       val: 48, test: 60, mean: [0.5], std: [0.5]}
model:
  input: [3, 10, 10]
  layers:
    - conv2d: {out: 6, kernel: 3, padding: 1, activation: relu}
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 8, kernel: 3, activation: relu}
    - flatten
    - linear: {out: 3}
train:
  epochs: 2
  batch: 16
  optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
analyses:
  - occlusion: {window: 3, stride: 2}
  - filters: {random: 2, top: 4}
  - ablation: {layers: [conv2, fc1], random: 2, misses: 4}
YAML

"$CNNLAB" run --quiet --out "$scratch/out" "$scratch/partb.yaml" \
    > "$scratch/run.stdout" 2> "$scratch/run.stderr"
status=$?
is "$status" 0 "a run with occlusion, filters and ablation succeeds"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/run.stderr"
dir="$scratch/out/partb/main"
info=$(cat "$dir/run.json")
for name in occlusion filters ablation; do
    like "$info" "\"$name\": \"ok\"" "run.json records $name as ok"
done

# By default, per class the first test image classified right: against
# `cnnlab eval`'s predictions.csv (index,label,predicted) of the weights.
"$CNNLAB" eval "$scratch/partb.yaml" --weights "$dir/model.safetensors" \
    --out "$scratch/eval" > /dev/null 2> "$scratch/eval.stderr"
expected=$(awk -F, 'NR > 1 && $2 == $3 && !($2 in seen) { seen[$2] = $1 }
    END { for (k = 0; k < 3; k++) if (k in seen) printf "%s ", seen[k] }' \
    "$scratch/eval/partb/main/eval-test/predictions.csv")
got=$(awk -F, 'NR > 1 { printf "%s ", $1 }' "$dir/occlusion.csv")
is "$got" "$expected" "occlusion.csv: the first right image of each class"
first=$(sed -n 2p "$dir/occlusion.csv" | cut -d, -f1)
is "$(wc -l < "$dir/occlusion-$first.csv" | tr -d ' ')" 5 \
    "the map of image $first has ceil(10 / 2) = 5 rows"
# Two random filters in each conv layer, four ranks each.
is "$(sed 1d "$dir/filters.csv" | wc -l | tr -d ' ')" 16 \
    "filters.csv: 2 layers x 2 filters x top 4"
pngs=0
for png in "$dir"/occlusion.png "$dir/occlusion-$first.png" \
    "$dir"/filters-conv1-*.png "$dir"/ablation-fc1-*.png; do
    is "$(od -An -tx1 -N16 "$png" | tr -d ' \n')" \
        "89504e470d0a1a0a0000000d49484452" "$(basename "$png") is a PNG"
    pngs=$((pngs + 1))
done
is "$pngs" 6 "the PNGs of one occlusion, two filters, two ablations"
for layer in conv2 fc1; do
    is "$(head -1 "$dir/ablation-$layer.csv")" \
        "filter,initial_accuracy,misses,new_accuracy" \
        "ablation-$layer.csv has the table's columns"
    is "$(sed 1d "$dir/ablation-$layer.csv" | wc -l | tr -d ' ')" 2 \
        "with one row per filter"
    like "$(cat "$dir/ablation-$layer.tex")" '\bottomrule' \
        "ablation-$layer.tex is a booktabs table"
done
# The run's test accuracy is the tables' initial accuracy.
accuracy=$(sed -n 's/.*"test_accuracy": \([0-9.]*\).*/\1/p' "$dir/run.json")
initial=$(sed -n 2p "$dir/ablation-fc1.csv" | cut -d, -f2)
awk -v a="$accuracy" -v b="$initial" 'BEGIN { d = a - b; exit !(d < 1e-3 && d > -1e-3) }'
ok $? "initial accuracy $initial% is the run's test accuracy $accuracy%"

# cnnlab analyse: the same bytes from the saved weights.
for file in occlusion.csv "occlusion-$first.csv" filters.csv \
    ablation-fc1.csv ablation-misses.csv; do
    cp "$dir/$file" "$scratch/first-$file"
done
"$CNNLAB" analyse --out "$scratch/out" "$scratch/partb.yaml" \
    > "$scratch/analyse.stdout" 2> "$scratch/analyse.stderr"
is "$?" 0 "cnnlab analyse runs them again"
for file in occlusion.csv "occlusion-$first.csv" filters.csv \
    ablation-fc1.csv ablation-misses.csv; do
    cmp -s "$dir/$file" "$scratch/first-$file"
    ok $? "$file has the same bytes"
done

# A bad choice is a manifest error with file:line:column, before training.
sed 's/{window: 3, stride: 2}/{window: 3, border: edge}/' \
    "$scratch/partb.yaml" > "$scratch/bad.yaml"
"$CNNLAB" run --quiet --out "$scratch/bad" "$scratch/bad.yaml" \
    > /dev/null 2> "$scratch/bad.stderr"
is "$?" 2 "border: edge is a manifest error"
like "$(cat "$scratch/bad.stderr")" "bad.yaml:19:" "placed in the file"
like "$(cat "$scratch/bad.stderr")" "clip, valid" "naming the choices"

# A layer the model lacks is a manifest error too: checked against the
# model before training (t/analysis-validate.sh), so nothing trains.
sed 's/layers: \[conv2, fc1\]/layers: [conv2, conv9]/' \
    "$scratch/partb.yaml" > "$scratch/missing.yaml"
"$CNNLAB" run --quiet --out "$scratch/missing" "$scratch/missing.yaml" \
    > /dev/null 2> "$scratch/missing.stderr"
is "$?" 2 "an analysis naming a missing layer is a manifest error"
info=$(cat "$scratch/missing.stderr")
like "$info" "missing.yaml:21:32: ablation: layers: the model has no layer 'conv9'; did you mean" \
    "the error places the unknown layer at its element"
like "$info" "(layers with filters: conv1, conv2, fc1)" \
    "the error says which layers have filters"
is "$(find "$scratch/missing" -type f 2> /dev/null | wc -l | tr -d ' ')" 0 \
    "nothing was trained"

done_testing
