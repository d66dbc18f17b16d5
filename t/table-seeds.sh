#!/bin/sh
# The table of an experiment with seeds (issue 20, item 2): a row per
# variant with n and mean ± sample std, recomputed here from the per-seed
# run.json and epoch-seconds.csv files; a missing seed as n = 2 and "2 of
# 3 seeds"; table.compare's paired interval against scipy's t quantile,
# marked when it excludes 0; McNemar's test with one seed, its discordant
# counts from the runs' test-predictions.csv and its p-value from
# scipy.stats.binomtest; each variant's curves across seeds (item 3); the
# pages' ± and comparison columns and the runs behind each row (item 4).
# The statistics checks need /usr/bin/python3 (and
# scipy for the expected quantiles and p-values); without them they skip.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cd "$scratch" || exit 1
cat > s.yaml <<'YAML'
name: s
threads: 1
seeds: [1, 2, 3]
data: {loader: synthetic, classes: 3, channels: 1, size: 8, train: 64, val: 32, test: 48}
model:
  input: [1, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - flatten
    - linear: {out: 3}
train: {epochs: 2, batch: 16, optimizer: {sgd: {lr: 0.1, momentum: 0.9}}}
variants: [{name: a}, {name: b, model: {layers: {0: {conv2d: {out: 6}}}}}]
table: {compare: a, epoch_seconds: true, epochs: [1]}
YAML
python=/usr/bin/python3
have_python=no
"$python" -c 'import statistics' 2> /dev/null && have_python=yes
have_scipy=no
"$python" -c 'import scipy.stats' 2> /dev/null && have_scipy=yes
needs() { # needs yes|no DESCRIPTION WHAT: skips DESCRIPTION unless yes
    [ "$1" = yes ] && return 0
    skip "$2" "$3 is not installed"
    return 1
}

"$CNNLAB" run --quiet --out out s.yaml > run.out 2>&1
is "$?" 0 "three seeds of two variants run"
md=$(cat out/s/table.md)
csv=out/s/table.csv

# The md row of variant V, its cells trimmed, separated by '|'.
md_row() {
    grep "^| $1 " "$2" | sed 's/^| *//; s/ *|$//; s/ *| */|/g'
}
# Field F (a header name) of the CSV row KIND,VARIANT[,SEED].
csv_field() { # csv_field FILE KIND VARIANT SEED COLUMN
    awk -F, -v kind="$2" -v v="$3" -v seed="$4" -v column="$5" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == column) c = i; next }
        $1 == kind && $2 == v && $3 == seed { print $c }' "$1"
}

# --- the rows: one per variant, n, mean ± std ---
is "$(grep -c '^| [ab] ' out/s/table.md)" 2 "table.md: one row per variant"
like "$md" "| variant |   n |" "table.md: n after the variant"
is "$(cut -d, -f1-3 $csv | tail -n +2 | tr '\n' ' ')" \
    "seed,a,1 seed,a,2 seed,a,3 mean,a, std,a, seed,b,1 seed,b,2 seed,b,3 mean,b, std,b, " \
    "table.csv: the seeds' rows, then the mean and std rows"

# Expected: mean and sample std of each accuracy over the seeds' run.json,
# and of every epoch time of every seed pooled.
expected() { # expected VARIANT SEED...: lines "what mean std md-cell"
    "$python" - "$@" <<'PY'
import json, statistics, sys
variant, seeds = sys.argv[1], sys.argv[2:]
runs = [json.load(open(f"out/s/{variant}/seed-{s}/run.json")) for s in seeds]
def show(name, values):
    m = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else float("nan")
    cell = f"{m:.2f}" if len(values) < 2 else f"{m:.2f} ± {sd:.2f}"
    print(name, repr(m), repr(sd), cell)
for key in ("train", "val", "test"):
    show(key, [r["result"][f"{key}_accuracy"] for r in runs])
seconds = []
for s in seeds:
    lines = open(f"out/s/{variant}/seed-{s}/epoch-seconds.csv").read().split()
    column = lines[0].split(",").index("seconds")
    seconds += [float(line.split(",")[column]) for line in lines[1:]]
show("epoch_seconds", seconds)
PY
}
# The CSV's number matches the expected within 1e-9 (the order of the sums).
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d < 1e-9 && d > -1e-9) }'; }
check_variant() { # check_variant VARIANT N SEED...
    v=$1
    n=$2
    shift 2
    expected "$v" "$@" > expected.$v || return 1
    row=$(md_row "$v" out/s/table.md)
    is "$(echo "$row" | cut -d'|' -f2)" "$n" "$v: n = $n"
    column=3
    while read -r what mean std cell; do
        if [ "$what" = epoch_seconds ]; then
            got_mean=$(csv_field $csv mean "$v" "" epoch_seconds_mean)
            got_std=$(csv_field $csv mean "$v" "" epoch_seconds_std)
        else
            got_mean=$(csv_field $csv mean "$v" "" "$what")
            got_std=$(csv_field $csv std "$v" "" "$what")
            is "$(echo "$row" | cut -d'|' -f$column)" "$cell" \
                "$v: table.md's $what is mean ± std over the run.json files ($cell)"
            column=$((column + 1))
        fi
        close "$got_mean" "$mean"
        ok $? "$v: table.csv's mean $what $got_mean is the recomputed $mean"
        if [ "$n" -ge 2 ]; then
            close "$got_std" "$std"
            ok $? "$v: table.csv's std $what $got_std is the recomputed $std"
        fi
    done < expected.$v
}
if needs $have_python "the means and stds recomputed" python3; then
    check_variant a 3 1 2 3
    check_variant b 3 1 2 3
fi
test_b2=$(sed -n 's/.*"test_accuracy": \([0-9.]*\).*/\1/p' out/s/b/seed-2/run.json)
is "$(csv_field $csv seed b 2 test)" "$test_b2" \
    "table.csv: b's seed 2 row holds its run.json's test accuracy"
is "$(csv_field $csv seed b 2 n)" 1 "table.csv: a complete seed's row has n = 1"

# --- a missing seed: n = 2 and a status ---
cp -r out missing
rm missing/s/b/seed-3/run.json
"$CNNLAB" table missing/s > missing.out 2>&1
is "$?" 0 "cnnlab table with b's seed 3 missing"
row=$(md_row b missing/s/table.md)
is "$(echo "$row" | cut -d'|' -f2)" 2 "the missing seed: b has n = 2"
is "$(echo "$row" | awk -F'|' '{ print $NF }')" "2 of 3 seeds (1 not run)" \
    "and its status says 2 of 3 seeds, and what became of the third"
like "$(head -1 missing/s/table.md)" "| status" "table.md gains a status column"
is "$(md_row a missing/s/table.md | awk -F'|' '{ print $NF }')" complete \
    "a, whose seeds are all there, is complete"
is "$(csv_field missing/s/table.csv seed b 3 status)" "not run" \
    "table.csv: seed 3's own row says not run"
is "$(csv_field missing/s/table.csv mean b "" status)" "2 of 3 seeds (1 not run)" \
    "table.csv: the mean row's status too"
if needs $have_python "the mean over the two seeds left" python3; then
    expected b 1 2 > expected.missing
    test_cell=$(awk '$1 == "test" { print $4, $5, $6 }' expected.missing)
    is "$(echo "$row" | cut -d'|' -f5)" "$test_cell" \
        "b's test is the mean ± std of the two seeds left ($test_cell)"
fi

# --- a seed that failed (a NaN loss, say): named, not "not run" ---
cp -r missing failed
sed -i 's/"status": "complete"/"status": "failed"/' failed/s/b/seed-2/run.json
"$CNNLAB" table failed/s > failed.out 2>&1
is "$?" 0 "cnnlab table with b's seed 2 failed and seed 3 missing"
row=$(md_row b failed/s/table.md)
is "$(echo "$row" | cut -d'|' -f2)" 1 "b has n = 1"
is "$(echo "$row" | awk -F'|' '{ print $NF }')" \
    "1 of 3 seeds (1 failed, 1 not run)" \
    "its status counts the failed seed and the missing one apart"

# --- table.compare: the paired interval ---
# The accuracies are set by hand (the table reads what is on disk), so
# that one comparison excludes 0 and the other does not.
set_test() { # set_test DIR VALUE
    sed -i "s/\"test_accuracy\": [0-9.]*/\"test_accuracy\": $2/" "$1/run.json"
}
cp -r out hand
set_test hand/s/a/seed-1 50
set_test hand/s/a/seed-2 52.5
set_test hand/s/a/seed-3 47.5
set_test hand/s/b/seed-1 56.25
set_test hand/s/b/seed-2 57.5
set_test hand/s/b/seed-3 55
"$CNNLAB" table hand/s > hand.out 2>&1
is "$?" 0 "cnnlab table on the hand-set accuracies"
interval() { # the paired 95 % interval of b - a per seed, scipy's quantile
    "$python" - "$@" <<'PY'
import statistics, sys
from scipy import stats
a = [float(x) for x in sys.argv[1].split()]
b = [float(x) for x in sys.argv[2].split()]
d = [y - x for x, y in zip(a, b)]
n = len(d)
m, sd = statistics.mean(d), statistics.stdev(d)
half = stats.t.ppf(0.975, n - 1) * sd / n ** 0.5
print(repr(m), repr(m - half), repr(m + half),
      f"{m:+.2f} [{m - half:+.2f}, {m + half:+.2f}]")
PY
}
check_interval() { # check_interval DIR "A..." "B..." yes|no
    needs $have_scipy "the interval against scipy ($1)" scipy || return 0
    interval "$2" "$3" > interval.out
    read -r mean low high cell < interval.out
    for pair in "test_difference $mean" "test_difference_low $low" \
        "test_difference_high $high"; do
        got=$(csv_field $1/s/table.csv mean b "" "${pair% *}")
        close "$got" "${pair#* }"
        ok $? "$1: ${pair% *} $got is scipy's ${pair#* }"
    done
    got=$(md_row b $1/s/table.md | awk -F'|' '{ print $NF }')
    if [ "$4" = yes ]; then
        is "$got" "**$cell**" "$1: the interval excludes 0: bold ($cell)"
    else
        is "$got" "$cell" "$1: the interval holds 0: not bold ($cell)"
    fi
}
check_interval hand "50 52.5 47.5" "56.25 57.5 55" yes
is "$(csv_field hand/s/table.csv mean b "" excludes_zero)" 1 \
    "hand: table.csv says the interval excludes 0"
like "$(cat hand/s/table.tex)" "\\textbf{+6.25 [" "hand: table.tex marks it bold"
is "$(csv_field hand/s/table.csv seed b 2 test_difference)" 5 \
    "hand: seed 2's row holds its own difference (57.5 - 52.5)"
set_test hand/s/b/seed-1 45
"$CNNLAB" table hand/s > hand.out 2>&1
check_interval hand "50 52.5 47.5" "45 57.5 55" no
is "$(csv_field hand/s/table.csv mean b "" excludes_zero)" 0 \
    "hand: table.csv says the interval holds 0"
is "$(md_row a hand/s/table.md | awk -F'|' '{ print $NF }')" reference \
    "the reference's own cell says reference"

# --- one seed: McNemar's test on the test predictions ---
"$CNNLAB" run --quiet --out one s.yaml 'seeds=[1]' > one.out 2>&1
is "$?" 0 "seeds: [1] runs one seed per variant"
row=$(md_row b one/s/table.md)
is "$(echo "$row" | cut -d'|' -f2)" 1 "one seed: n = 1"
case "$(echo "$row" | cut -d"|" -f3-5)" in
*±*) ok 1 "one seed: accuracies without a made-up ±" ;;
*) ok 0 "one seed: accuracies without a made-up ±" ;;
esac
is "$(csv_field one/s/table.csv std b "" test)" "" "one seed: the std row is empty"
is "$(csv_field one/s/table.csv mean b "" test_difference_low)" "" \
    "one seed: no interval"
# Discordant images from the two predictions files: right only by a, only by b.
discordant() { # discordant DIR: "only_a only_b"
    paste -d, "$1/s/a/seed-1/test-predictions.csv" "$1/s/b/seed-1/test-predictions.csv" |
        awk -F, 'NR > 1 { a = $2 == $3; b = $5 == $6; oa += a && !b; ob += b && !a }
                 END { print oa + 0, ob + 0 }'
}
check_mcnemar() { # check_mcnemar DIR
    set -- "$1" $(discordant "$1")
    is "$(csv_field $1/s/table.csv mean b "" mcnemar_only_reference) $(csv_field $1/s/table.csv mean b "" mcnemar_only_variant)" \
        "$2 $3" "$1: the discordant counts are the predictions files' ($2 only a, $3 only b)"
    is "$(csv_field $1/s/table.csv mean b "" comparison)" McNemar \
        "$1: the comparison is McNemar's test"
    if needs $have_scipy "$1: McNemar's p against scipy.stats.binomtest" scipy; then
        p=$("$python" -c "from scipy.stats import binomtest
k, n = min($2, $3), $2 + $3
print(repr(binomtest(k, n, 0.5).pvalue if n else 1.0))")
        got=$(csv_field $1/s/table.csv mean b "" mcnemar_p)
        close "$got" "$p"
        ok $? "$1: p = $got is scipy's binomtest $p"
    fi
}
check_mcnemar one
# Predictions set by hand: b right on 12 images a gets wrong, and no
# other difference: p = 2 / 2^12, marked.
cp -r one hand1
awk -F, 'NR == 1 || NR > 13 { print; next } { print $1 "," $2 "," ($2 + 1) % 3 }' \
    one/s/a/seed-1/test-predictions.csv > hand1/s/a/seed-1/test-predictions.csv
awk -F, 'NR == 1 || NR > 13 { print; next } { print $1 "," $2 "," $2 }' \
    one/s/a/seed-1/test-predictions.csv > hand1/s/b/seed-1/test-predictions.csv
"$CNNLAB" table hand1/s > hand1.out 2>&1
check_mcnemar hand1
like "$(md_row b hand1/s/table.md)" "(p < 0.001; 0 vs 12)**" \
    "hand1: p < 0.05 is bold, with the counts"
rm hand1/s/b/seed-1/test-predictions.csv
"$CNNLAB" table hand1/s > hand1.out 2>&1
is "$(md_row b hand1/s/table.md | awk -F'|' '{ print $NF }')" "no test predictions" \
    "without a predictions file: no test, and why"
sed '2s/^0,\([0-9]\)/0,9/' one/s/b/seed-1/test-predictions.csv \
    > hand1/s/b/seed-1/test-predictions.csv
"$CNNLAB" table hand1/s > hand1.out 2>&1
is "$(md_row b hand1/s/table.md | awk -F'|' '{ print $NF }')" "other test images" \
    "predictions of other images (a label differs): no test"

# --- curves across seeds: a mean line over a band, per variant ---
png_signature=$(printf '\211PNG\r\n\032\n' | od -An -tx1)
for v in a b; do
    for what in loss accuracy; do
        file=out/s/$v/curves-$what
        is "$(head -c 8 "$file.png" 2> /dev/null | od -An -tx1)" "$png_signature" \
            "$v/curves-$what.png: a PNG beside the seed folders"
        like "$(head -c 300 "$file.svg" 2> /dev/null)" "<svg" \
            "$v/curves-$what.svg: an SVG"
        # The band: one translucent filled shape per series (train, val).
        is "$(grep -o 'fill-opacity:0.2' "$file.svg" | wc -l)" 2 \
            "$v/curves-$what.svg: a band for train and one for validation"
    done
done
# curves.csv holds the numbers drawn: per epoch the mean, lowest and
# highest of each metrics.csv column over the seeds.
curves_expected() { # curves_expected DIR VARIANT SEED...
    "$python" - "$@" <<'PY'
import csv, sys
directory, variant, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = [list(csv.DictReader(open(f"{directory}/s/{variant}/seed-{s}/metrics.csv")))
        for s in seeds]
print("epoch,seeds," + ",".join(f"{c}_{w}" for c in
      ("train_loss", "val_loss", "train_accuracy", "val_accuracy")
      for w in ("mean", "low", "high")))
for e in range(len(runs[0])):
    cells = [str(e + 1), str(len(runs))]
    for c in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        v = [float(r[e][c]) for r in runs]
        cells += [repr(sum(v) / len(v)), repr(min(v)), repr(max(v))]
    print(",".join(cells))
PY
}
same_numbers() { # same_numbers FILE FILE: equal cells, numbers within 1e-9
    awk -F, 'NR == FNR { line[FNR] = $0; next }
        { n = split(line[FNR], a, ","); if (n != NF) bad = 1
          for (i = 1; i <= NF; i++) if ($i != a[i] && ($i - a[i] > 1e-9 || a[i] - $i > 1e-9)) bad = 1 }
        END { exit bad || FNR != length(line) }' "$1" "$2"
}
if needs $have_python "curves.csv against the seeds' metrics.csv" python3; then
    curves_expected out a 1 2 3 > curves.a
    same_numbers curves.a out/s/a/curves.csv
    ok $? "a/curves.csv: per epoch the mean, lowest and highest of the 3 seeds"
fi
cp -r out redraw && rm redraw/s/*/curves-*
"$CNNLAB" table redraw/s > redraw.out 2>&1
cmp -s out/s/b/curves-loss.png redraw/s/b/curves-loss.png
ok $? "cnnlab table draws them again from the results, the same bytes"
"$CNNLAB" table missing/s > /dev/null 2>&1
if needs $have_python "the curves of the seeds left" python3; then
    curves_expected missing b 1 2 > curves.b
    same_numbers curves.b missing/s/b/curves.csv
    ok $? "a missing seed: b's curves are of the 2 complete seeds"
fi
"$CNNLAB" run --quiet --out single s.yaml seed=1 > single.out 2>&1
test ! -e single/s/a/curves-loss.png && test ! -e single/s/curves-loss.png
ok $? "without seeds nothing is drawn across seeds"

# --- the pages: the ± and comparison columns, the runs behind each row ---
set_test hand/s/b/seed-1 56.25
"$CNNLAB" table hand/s > hand.out 2>&1
page=$(cat hand/s/index.html)
like "$page" "<td class=\"r\">50.00 ± 2.50</td>" \
    "index.html: the table's mean ± std cells"
like "$page" "<th class=\"r\">Δ test vs a</th>" "index.html: the comparison column"
like "$page" "<strong>+6.25 [" "index.html: an interval that excludes 0 is bold"
like "$page" "<li>b: complete; runs: <a href=\"#variant-4\">seed 1</a> (complete), <a href=\"#variant-5\">seed 2</a> (complete), <a href=\"#variant-6\">seed 3</a> (complete)</li>" \
    "index.html: b's row lists its seeds' runs, linked to their sections"
like "$page" '<section id="variant-5">
<h2>b (seed 2)</h2>' "index.html: the section seed 2's link leads to"
like "$page" "<h2>Curves across seeds</h2>" "index.html: a section of curves across seeds"
like "$page" '<img alt="curves-loss.png" src="data:image/png;base64,' \
    "index.html: the curves embedded"
like "$page" 'href="b/curves.csv"' "index.html: and their numbers linked"
like "$(cat missing/s/index.html)" "b: 2 of 3 seeds (1 not run); runs:" \
    "index.html: a variant missing a seed says so"
if [ -x "${CNNLAB_BUILDDIR:-.}/t/pages-check" ]; then
    "${CNNLAB_BUILDDIR:-.}/t/pages-check" hand/s/index.html hand/index.html \
        > pages.out 2>&1
    ok $? "t/pages-check: every link, anchor and picture of the pages resolves"
    sed 's/^/# /' pages.out
else
    skip "t/pages-check: every link, anchor and picture of the pages resolves" "t/pages-check is not built"
fi
# results/index.html: the best variant by its mean, not the luckiest run.
like "$(cat hand/index.html)" "<td>56.25 ± 1.25 (b, mean of 3 seeds)</td>" \
    "results/index.html: the best mean test accuracy ± std, and its variant"
like "$(cat one/index.html)" ", mean of 1 seed)</td>" \
    "results/index.html: one seed, no ±"

# --- compare: a variant the manifest lacks is an error at its line ---
sed 's/compare: a,/compare: c,/' s.yaml > bad.yaml
"$CNNLAB" check bad.yaml > bad.out 2>&1
is "$?" 2 "compare: an unknown variant: exit status 2"
like "$(cat bad.out)" "bad.yaml:13:18: table: compare: 'c' is no variant of this manifest" \
    "its message names the place"
like "$(cat bad.out)" "(its variants: a, b)" "and the variants there are"

done_testing
