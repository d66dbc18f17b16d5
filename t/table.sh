#!/bin/sh
# Experiment tables: `cnnlab run` writes table.md, table.tex and table.csv
# beside the variants (also after --variant and after a failure), with the
# numbers of run.json and metrics.csv; `cnnlab table DIR` rewrites the same
# bytes from the results; failed, missing, stale and corrupt variants show
# as such; `table:` is checked like every manifest key.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

# Four variants on tiny synthetic data (each trains in well under a
# second): a_b (an underscore, for LaTeX), wide (over 1,000 parameters),
# blowup (a learning rate that makes the loss infinite: it fails), later
# (never run until the staleness check).
cat > "$scratch/tiny.yaml" <<'YAML'
name: tiny
seed: 3
threads: 2
data: {loader: synthetic, classes: 3, channels: 3, size: 8, train: 96,
       val: 48, test: 48, mean: [0.5], std: [0.5]}
model:
  input: [3, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 3}
train: {epochs: 2, batch: 16, optimizer: {sgd: {lr: 0.05, momentum: 0.9}}}
table: {epochs: [1, 2, 9], epoch_seconds: true}
variants:
  - {name: a_b}
  - name: wide
    model: {layers: [{conv2d: {out: 40, kernel: 3, activation: relu}},
                     {globalpool: {mode: avg}}, {linear: {out: 3}}]}
  - {name: blowup, train: {epochs: 4, optimizer: {sgd: {lr: 1000, momentum: 0.99}}}}
  - {name: later}
YAML

out="$scratch/results"
dir="$out/tiny"
run() { # run [ARGS...]: cnnlab run on tiny.yaml into $out
    "$CNNLAB" run --quiet --out "$out" "$scratch/tiny.yaml" "$@" \
        > "$scratch/stdout" 2> "$scratch/stderr"
}
row() { # row FILE VARIANT: the line of VARIANT in a table file
    grep "^| $2 \|^$2," "$1" | head -1
}
md_cell() { # md_cell FILE VARIANT N: the Nth cell of VARIANT's row, trimmed
    awk -F'|' -v variant="$2" -v n="$3" '
        { v = $2; gsub(/ /, "", v) }
        v == variant { c = $(n + 1); gsub(/^ +| +$/, "", c); print c }' "$1"
}
csv_field() { # csv_field VARIANT COLUMN-NAME
    awk -F, -v variant="$1" -v name="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) column[$i] = i; next }
        $1 == variant { print $column[name] }' "$dir/table.csv"
}
json_number() { # json_number RUN-JSON KEY
    sed -n "s/.*\"$2\": \([0-9.eE+-]*\).*/\1/p" "$1" | head -1
}

# --variant: the table still lists every variant, in manifest order.
run --variant a_b
is "$?" 0 "run --variant a_b succeeds"
for file in table.md table.tex table.csv experiment.yaml; do
    test -s "$dir/$file"
    ok $? "run --variant writes $file"
done
like "$(cat "$scratch/stdout")" "table: $dir/table.md" "run says where the table is"
is "$(cut -d, -f1 "$dir/table.csv" | tr '\n' ' ')" \
    "variant a_b wide blowup later " "csv: every variant, in manifest order"
like "$(row "$dir/table.md" wide)" "not run" "md: a variant not run says so"
is "$(csv_field later status)" "not run" "csv: status of a variant not run"
is "$(csv_field later train)" "" "csv: a variant not run has no numbers"

run --variant wide
run --variant blowup
is "$?" 1 "the diverging variant fails the run"
like "$(cat "$scratch/stdout")" "table: $dir/table.md" \
    "a failed run still writes the table"

# Numbers: the csv holds run.json's exactly; md and tex round them.
info="$dir/a_b/run.json"
for key in train val test; do
    want=$(json_number "$info" "${key}_accuracy")
    got=$(csv_field a_b "$key")
    awk -v a="$got" -v b="$want" 'BEGIN { exit !(a != "" && a + 0 == b + 0) }'
    ok $? "csv $key of a_b ($got) equals run.json's ${key}_accuracy ($want)"
done
is "$(csv_field a_b parameters)" "$(json_number "$info" parameters)" \
    "csv parameters equal run.json's"
is "$(csv_field a_b selected_epoch)" "$(json_number "$info" selected_epoch)" \
    "csv selected epoch equals run.json's"
rounded=$(awk -v a="$(json_number "$info" test_accuracy)" \
    'BEGIN { printf "%.1f", a }')
is "$(md_cell "$dir/table.md" a_b 4)" "$rounded" "md: test accuracy to one decimal"
parameters=$(json_number "$dir/wide/run.json" parameters)
grouped=$(echo "$parameters" | sed -e :a -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/;ta')
is "$(md_cell "$dir/table.md" wide 5)" "$grouped" \
    "md: parameters with thousands separators ($grouped)"
like "$(grep '^wide &' "$dir/table.tex")" "& $grouped &" \
    "tex: parameters with thousands separators"

# Failed and not-run rows: a status, dashes, never numbers.
like "$(row "$dir/table.md" blowup)" "| failed" "md: the failed variant says failed"
is "$(row "$dir/table.md" blowup | tr -d ' |a-z')" "-----------" \
    "md: the failed variant has only dashes (11 number columns)"
like "$(grep '^blowup &' "$dir/table.tex")" "blowup & -- & -- & --" \
    "tex: the failed variant has dashes"
is "$(csv_field blowup status)" "failed" "csv: status failed"
is "$(csv_field blowup test)" "" "csv: the failed variant has no test accuracy"

# LaTeX: booktabs rules and escaped text.
tex=$(cat "$dir/table.tex")
like "$tex" '\toprule' "tex: booktabs top rule"
like "$tex" '\midrule' "tex: booktabs middle rule"
like "$tex" '\bottomrule' "tex: booktabs bottom rule"
like "$tex" 'a\_b & ' "tex: the underscore is escaped"
grep -q '^a_b' "$dir/table.tex"
ok $((! $?)) "tex: no unescaped underscore"
like "$(row "$dir/table.md" a_b)" "| a_b " "md: an underscore inside a word stays"

# A.5 columns: accuracy at chosen epochs, from metrics.csv; epochs past the
# last one are dashes; epoch time mean ± std from epoch-seconds.csv.
metrics="$dir/a_b/metrics.csv"
for epoch in 1 2; do
    want=$(awk -F, -v e="$epoch" '$1 == e { print $3 "," $5 }' "$metrics")
    got="$(csv_field a_b train_epoch_$epoch),$(csv_field a_b val_epoch_$epoch)"
    awk -v a="$got" -v b="$want" 'BEGIN { split(a, x, ","); split(b, y, ",");
        exit !(x[1] != "" && x[1] + 0 == y[1] + 0 && x[2] + 0 == y[2] + 0) }'
    ok $? "csv train/val at epoch $epoch ($got) equal metrics.csv's ($want)"
done
is "$(csv_field a_b train_epoch_9)" "" "csv: epoch 9 (never ran) is empty"
like "$(head -1 "$dir/table.md")" "train@9 (%)" "md: a column per chosen epoch"
is "$(md_cell "$dir/table.md" a_b 10),$(md_cell "$dir/table.md" a_b 11)" "-,-" \
    "md: epoch 9 shows dashes"
like "$tex" 'multicolumn{2}{c}{epoch 9 (\%)}' "tex: epoch columns are grouped"
mean=$(awk -F, 'NR > 1 { s += $2; n++ } END { printf "%.10f", s / n }' \
    "$dir/a_b/epoch-seconds.csv")
awk -v a="$(csv_field a_b epoch_seconds_mean)" -v b="$mean" \
    'BEGIN { d = a - b; exit !(a != "" && d < 1e-9 && d > -1e-9) }'
ok $? "csv epoch seconds mean equals epoch-seconds.csv's ($mean)"
like "$(row "$dir/table.md" a_b)" " ± " "md: epoch time as mean ± std"

# `cnnlab table` rewrites the same bytes from the results alone.
mkdir "$scratch/before"
cp "$dir/table.md" "$dir/table.tex" "$dir/table.csv" "$scratch/before/"
rm "$dir/table.md" "$dir/table.tex" "$dir/table.csv"
"$CNNLAB" table "$dir/" > "$scratch/stdout" 2> "$scratch/stderr"
is "$?" 0 "cnnlab table succeeds"
for file in table.md table.tex table.csv; do
    cmp -s "$dir/$file" "$scratch/before/$file"
    ok $? "cnnlab table regenerates an identical $file"
done

# A corrupt run.json: a clear note naming the file, a marked row, no crash.
cp -r "$dir" "$scratch/corrupt"
printf '{"status": "complete", "result": {' > "$scratch/corrupt/wide/run.json"
"$CNNLAB" table "$scratch/corrupt" > "$scratch/stdout" 2> "$scratch/stderr"
is "$?" 0 "a corrupt run.json still gives a table"
like "$(cat "$scratch/stderr")" "corrupt/wide/run.json:" "the note names the file"
like "$(cat "$scratch/stderr")" "not valid JSON" "the note says what is wrong"
like "$(row "$scratch/corrupt/table.md" wide)" "unreadable" \
    "md: the corrupt variant is marked unreadable"
printf 'epoch,train_loss,train_accuracy,val_loss,val_accuracy\n1,1,x,1,1\n' \
    > "$scratch/corrupt/a_b/metrics.csv"
"$CNNLAB" table "$scratch/corrupt" > "$scratch/stdout" 2> "$scratch/stderr"
like "$(cat "$scratch/stderr")" "corrupt/a_b/metrics.csv:2:" \
    "a corrupt metrics.csv: the note names file and line"

# Without experiment.yaml: variant folders in name order; odd folder
# names are escaped in LaTeX and quoted in CSV.
mkdir "$scratch/scan"
cp -r "$dir/a_b" "$scratch/scan/r&d_50%--x,y"
cp -r "$dir/wide" "$scratch/scan/"
"$CNNLAB" table "$scratch/scan" > "$scratch/stdout" 2> "$scratch/stderr"
is "$?" 0 "a directory without experiment.yaml gets a table"
like "$(cat "$scratch/scan/table.tex")" 'r\&d\_50\%-{}-x,y & ' \
    "tex: &, _, % and -- are escaped"
like "$(cat "$scratch/scan/table.csv")" '"r&d_50%--x,y",' \
    "csv: a name with a comma is quoted"
"$CNNLAB" table "$scratch" > "$scratch/stdout" 2> "$scratch/stderr"
is "$?" 1 "a directory with no results fails"
like "$(cat "$scratch/stderr")" "holds no results" "...and says so"
"$CNNLAB" table > /dev/null 2>&1
is "$?" 2 "cnnlab table without DIR is a usage error"

# Stale: after a run with another override, the other variants' results
# are from another setup and are left out.
run --variant later seed=5
is "$?" 0 "run --variant later with an override"
like "$(row "$dir/table.md" later)" "complete" "the variant just run is complete"
like "$(row "$dir/table.md" a_b)" "stale" "a variant of another setup is stale"
like "$(cat "$scratch/stderr")" "a_b/manifest.yaml is not what the last" \
    "the stale note names the variant's manifest"

# `table:` is checked like any manifest key.
sed 's/table: {epochs:/table: {epoch:/' "$scratch/tiny.yaml" > "$scratch/typo.yaml"
output=$("$CNNLAB" check "$scratch/typo.yaml" 2>&1)
is "$?" 2 "a typo in table: is a manifest error"
like "$output" "typo.yaml:13:9:" "the error names file, line and column"
like "$output" "did you mean 'epochs'?" "the error suggests the key"
output=$("$CNNLAB" check "$scratch/tiny.yaml" 'table.epochs=[5, 2]' 2>&1)
like "$output" "'epochs' must increase" "epochs must increase"
sed 's/  - {name: later}/  - {name: later, table: {epochs: [1]}}/' \
    "$scratch/tiny.yaml" > "$scratch/variant.yaml"
output=$("$CNNLAB" check "$scratch/variant.yaml" 2>&1)
like "$output" "not a variant's" "a variant cannot set table:"

done_testing
