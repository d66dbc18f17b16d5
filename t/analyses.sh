#!/bin/sh
# Analyses end to end on a tiny synthetic manifest: summary, classwise,
# curves and timing write their files after training; the class-wise
# counts agree with the confusion matrix, the class sizes and the test
# accuracy run.json records (counted by the loss, not from predictions);
# the charts are PNGs of the stated size and well-formed SVGs; `cnnlab
# analyse` rewrites the same bytes without training; a bad `analyses:`
# entry is a manifest error with its place; a failing analysis is recorded
# and costs none of the training's results.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cat > "$scratch/tiny.yaml" <<'YAML'
name: tiny
seed: 3
threads: 1
data: {loader: synthetic, classes: 4, channels: 3, size: 8, train: 256,
       val: 64, test: 128, mean: [0.5], std: [0.5]}
model:
  input: [3, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, padding: 1}
    - relu
    - maxpool2d: {kernel: 2}
    - flatten
    - linear: {out: 4}
train:
  epochs: 2
  batch: 16
  optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
analyses: [summary, classwise, curves, {timing: {repeats: 3}}]
YAML
layer_count=5

"$CNNLAB" run --quiet --out "$scratch/out" "$scratch/tiny.yaml" \
    > "$scratch/run.stdout" 2> "$scratch/run.stderr"
status=$?
is "$status" 0 "a run with four analyses succeeds"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/run.stderr"
dir="$scratch/out/tiny/main"
info=$(cat "$dir/run.json")
for name in summary classwise curves timing; do
    like "$info" "\"$name\": \"ok\"" "run.json records $name as ok"
done
for file in summary.txt classwise.csv classwise.md classwise.tex \
    confusion.csv curves-loss.png curves-loss.svg curves-accuracy.png \
    curves-accuracy.svg timing.md timing.json; do
    test -s "$dir/$file"
    ok $? "the run directory has $file"
done
like "$info" '"device_name": "1 CPU thread' "run.json names the device"
like "$info" '"skipped_files": 0' "run.json counts the files the loader skipped"
case "$info" in *gpu_utilization*) ok 1 "a CPU run records no GPU utilisation" ;;
*) ok 0 "a CPU run records no GPU utilisation" ;; esac

# summary: the model printouts, with the parameter count of run.json.
parameters=$(sed -n 's/^  "parameters": \([0-9]*\).*/\1/p' "$dir/run.json")
like "$(cat "$dir/summary.txt")" "Number of params : $parameters" \
    "summary.txt ends with the parameter count ($parameters)"
like "$(cat "$dir/summary.txt")" "Conv2d-1" "summary.txt has the torchsummary table"

# classwise: four classes of 32 test images each (the synthetic loader
# deals labels round-robin); the diagonal of the confusion matrix is the
# correct column, its row sums the total column; the overall accuracy is
# run.json's test accuracy, which the loss counted from the logits.
awk -F, 'NR > 1 { n++; t += $3; c += $2; if ($3 != 32) bad = 1 }
    END { exit !(n == 4 && t == 128 && !bad) }' "$dir/classwise.csv"
ok $? "classwise.csv: 4 classes of 32 images"
is "$(head -1 "$dir/classwise.csv")" "class,correct,total,accuracy" \
    "classwise.csv has its header"
is "$(sed -n 2p "$dir/classwise.csv" | cut -d, -f1)" "class-0" \
    "classes are named and in label order"
awk -F, 'NR == FNR { if (FNR > 1) { correct[FNR - 1] = $2; total[FNR - 1] = $3 }; next }
    FNR > 1 { sum = 0; for (i = 2; i <= NF; i++) sum += $i
              if (sum != total[FNR - 1] || $(FNR) != correct[FNR - 1]) bad = 1; rows++ }
    END { exit !(rows == 4 && !bad) }' "$dir/classwise.csv" "$dir/confusion.csv"
ok $? "confusion.csv: row sums are the class sizes, the diagonal the correct counts"
is "$(head -1 "$dir/confusion.csv")" 'true \ predicted,class-0,class-1,class-2,class-3' \
    "confusion.csv's header names the classes"
test_accuracy=$(sed -n 's/.*"test_accuracy": \([0-9.]*\).*/\1/p' "$dir/run.json")
correct=$(awk -F, 'NR > 1 { c += $2 } END { print c }' "$dir/classwise.csv")
# run.json keeps 10 significant digits.
awk -v a="$test_accuracy" -v c="$correct" 'BEGIN { d = a - 100 * c / 128; exit !(d < 1e-6 && d > -1e-6) }'
ok $? "classwise's $correct of 128 correct is run.json's test accuracy $test_accuracy%"
awk -v c="$correct" 'BEGIN { exit !(c > 32 && c < 128) }'
ok $? "the model is neither at chance nor perfect ($correct of 128), so the counts mean something"
# A second count from `cnnlab eval`'s predictions.csv (index,label,predicted)
# of the same weights: the confusion matrix cell by cell.
if "$CNNLAB" --help | grep -q '^  eval '; then
    "$CNNLAB" eval "$scratch/tiny.yaml" --weights "$dir/model.safetensors" \
        --out "$scratch/eval" > /dev/null 2> "$scratch/eval.stderr"
    predictions="$scratch/eval/tiny/main/eval-test/predictions.csv"
    awk -F, 'NR > 1 { n[$2 "," $3]++ }
        END { for (t = 0; t < 4; t++) { line = "class-" t
                  for (p = 0; p < 4; p++) line = line "," (n[t "," p] + 0)
                  print line } }' "$predictions" > "$scratch/recount.csv"
    is "$(sed 1d "$dir/confusion.csv")" "$(cat "$scratch/recount.csv")" \
        "confusion.csv matches a count of cnnlab eval's predictions"
else
    echo "ok $((tap_count += 1)) - confusion.csv against cnnlab eval # SKIP no cnnlab eval"
fi
like "$(cat "$dir/classwise.md")" "| class-0 |" "classwise.md is a Markdown table"
like "$(cat "$dir/classwise.tex")" '\toprule' "classwise.tex is a booktabs table"

# curves: PNG signature, an IHDR chunk first, 800 x 500; SVG well-formed.
for chart in loss accuracy; do
    png="$dir/curves-$chart.png"
    is "$(od -An -tx1 -N16 "$png" | tr -d ' \n')" \
        "89504e470d0a1a0a0000000d49484452" "curves-$chart.png is a PNG (IHDR first)"
    is "$(od -An -tu1 -j16 -N8 "$png" |
        awk '{ printf "%dx%d", (($1 * 256 + $2) * 256 + $3) * 256 + $4,
                                (($5 * 256 + $6) * 256 + $7) * 256 + $8 }')" \
        "800x500" "curves-$chart.png is 800 x 500"
    svg="$dir/curves-$chart.svg"
    if command -v xmllint > /dev/null 2>&1; then
        xmllint --noout "$svg" 2> "$scratch/xmllint"
        ok $? "curves-$chart.svg is well-formed XML (xmllint)"
    else
        grep -q '<svg' "$svg" && tail -c 10 "$svg" | grep -q '</svg>'
        ok $? "curves-$chart.svg opens and closes an <svg> element"
    fi
    like "$(head -3 "$svg")" 'width="800pt" height="500pt"' "curves-$chart.svg is 800 x 500"
done

# timing: positive times, one entry per layer of the model.
json="$dir/timing.json"
for key in epoch_seconds_mean images_per_second cpu_time_over_wall_time; do
    value=$(sed -n "s/.*\"$key\": \([0-9.e+-]*\),.*/\1/p" "$json")
    awk -v v="$value" 'BEGIN { exit !(v + 0 > 0) }'
    ok $? "timing.json: $key is positive ($value)"
done
is "$(grep -c '"forward_seconds"' "$json")" "$layer_count" \
    "timing.json has one entry per layer ($layer_count)"
awk '/"forward_seconds"/ { n++; split($0, f, /"forward_seconds": |, "backward_seconds": |, "share": |}/)
    if (!(f[2] + 0 > 0 && f[3] + 0 > 0)) bad = 1 }
    END { exit !(n > 0 && !bad) }' "$json"
ok $? "every layer's forward and backward time is positive"
like "$(cat "$dir/timing.md")" "epoch wall time" "timing.md has the epoch wall time"

# cnnlab analyse: the same bytes again, without training.
mkdir "$scratch/first"
deterministic="summary.txt classwise.csv classwise.md classwise.tex confusion.csv
    curves-loss.png curves-loss.svg curves-accuracy.png curves-accuracy.svg"
for file in $deterministic; do
    cp "$dir/$file" "$scratch/first/" && rm "$dir/$file"
done
cp "$dir/metrics.csv" "$scratch/metrics.before"
"$CNNLAB" analyse --out "$scratch/out" "$scratch/tiny.yaml" \
    > "$scratch/analyse.stdout" 2> "$scratch/analyse.stderr"
status=$?
is "$status" 0 "cnnlab analyse succeeds"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/analyse.stderr"
like "$(cat "$scratch/analyse.stdout")" "4 of 4 analyses" "and says what it wrote"
for file in $deterministic; do
    cmp -s "$scratch/first/$file" "$dir/$file"
    ok $? "cnnlab analyse rewrites $file byte for byte"
done
cmp -s "$scratch/metrics.before" "$dir/metrics.csv"
ok $? "cnnlab analyse trains nothing (metrics.csv untouched)"
like "$(cat "$dir/run.json")" '"status": "complete"' "run.json keeps its fields"

# Results that do not match the manifest, or are missing.
"$CNNLAB" analyse --out "$scratch/out" "$scratch/tiny.yaml" train.epochs=3 \
    > /dev/null 2> "$scratch/stale.stderr"
is "$?" 1 "analyse refuses results made from another manifest"
like "$(cat "$scratch/stale.stderr")" "'train' differs" "and says which key differs"
"$CNNLAB" analyse --out "$scratch/nowhere" "$scratch/tiny.yaml" \
    > /dev/null 2> "$scratch/missing.stderr"
is "$?" 1 "analyse without results fails"
like "$(cat "$scratch/missing.stderr")" "no results in" "and says there are none"

# Only `analyses:` changed: `cnnlab run` analyses the saved weights and
# trains nothing; the run directory's manifest.yaml then lists them.
sed 's/^analyses: .*/analyses: [summary, classwise]/' "$scratch/tiny.yaml" \
    > "$scratch/fewer.yaml"
cp "$dir/epoch-seconds.csv" "$scratch/seconds.before"
"$CNNLAB" run --quiet --out "$scratch/out" "$scratch/fewer.yaml" \
    > "$scratch/fewer.stdout" 2> "$scratch/fewer.stderr"
is "$?" 0 "a run whose only change is its analyses succeeds"
like "$(cat "$scratch/fewer.stderr")" "only \`analyses:\` changed" "saying so"
cmp -s "$scratch/seconds.before" "$dir/epoch-seconds.csv"
ok $? "and trains nothing (epoch-seconds.csv untouched)"
like "$(cat "$scratch/fewer.stdout")" "%" "the summary shows the run's accuracies"
case "$(cat "$dir/run.json")" in
*'"curves"'*) ok 1 "run.json lists the analyses of this manifest only" ;;
*) ok 0 "run.json lists the analyses of this manifest only" ;;
esac
like "$(cat "$dir/manifest.yaml")" "- classwise" "manifest.yaml records the new list"
"$CNNLAB" run --quiet --out "$scratch/out" "$scratch/fewer.yaml" \
    > "$scratch/fewer.stdout" 2> "$scratch/fewer.stderr"
like "$(cat "$scratch/fewer.stdout")" "complete; --force reruns" \
    "then the run is complete as it stands"

# A bad analyses entry is a manifest error with its place.
sed 's/curves, {timing/curvse, {timing/' "$scratch/tiny.yaml" > "$scratch/typo.yaml"
line=$(grep -n '^analyses:' "$scratch/typo.yaml" | cut -d: -f1)
column=$(awk -v l="$line" 'NR == l { print index($0, "curvse") }' "$scratch/typo.yaml")
"$CNNLAB" run --quiet --out "$scratch/out" "$scratch/typo.yaml" \
    > /dev/null 2> "$scratch/typo.stderr"
is "$?" 2 "an unknown analysis is a manifest error"
like "$(cat "$scratch/typo.stderr")" \
    "typo.yaml:$line:$column: unknown analysis 'curvse'; did you mean 'curves'?" \
    "it names the place and the analysis meant"
sed 's/repeats: 3/repeat: 3/' "$scratch/tiny.yaml" > "$scratch/param.yaml"
"$CNNLAB" check "$scratch/param.yaml" > /dev/null 2> "$scratch/param.stderr"
is "$?" 2 "an unknown analysis parameter is a manifest error"
like "$(cat "$scratch/param.stderr")" "did you mean 'repeats'" "with a suggestion"
sed 's/\[summary, /[summary, summary, /' "$scratch/tiny.yaml" > "$scratch/twice.yaml"
"$CNNLAB" check "$scratch/twice.yaml" > /dev/null 2> "$scratch/twice.stderr"
is "$?" 2 "an analysis listed twice is a manifest error"
like "$(cat "$scratch/twice.stderr")" "listed twice" "saying so"

# A failing analysis: a directory where curves-loss.png must go.
rm "$dir/curves-loss.png" && mkdir "$dir/curves-loss.png"
"$CNNLAB" run --quiet --force --out "$scratch/out" "$scratch/tiny.yaml" \
    > "$scratch/fail.stdout" 2> "$scratch/fail.stderr"
is "$?" 1 "a run whose analysis fails exits 1"
like "$(cat "$scratch/fail.stderr")" "analysis curves failed: cannot write" \
    "stderr names the analysis and the file"
info=$(cat "$dir/run.json")
like "$info" '"curves": "failed: cannot write' "run.json records the failure"
like "$info" '"classwise": "ok"' "the other analyses still ran"
like "$info" '"status": "complete"' "the run is still complete"
like "$info" '"test_accuracy": ' "with its results"
test -s "$dir/model.safetensors"
ok $? "and its weights"
like "$(cat "$scratch/fail.stdout")" "%" "the summary table shows the accuracies"

done_testing
