#!/bin/sh
# Every Part A manifest (REPORT-SPEC A.1-A.7) validates under its default
# protocol and its fashion and smoke profiles, and trains every variant to
# completion under --profile smoke (a few synthetic 33-class 84x84x3
# images, one or two epochs: seconds per variant), with its analyses
# (summary.txt is checked against `cnnlab summary`) and its table; then
# Part B's smoke runs and `cnnlab report` of all of them.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

dir="${CNNLAB_SRCDIR:-.}/experiments/part-a"

# manifest: the variants its section's table has, in order.
expected_variants() {
    case "$1" in
    conv-layers) echo "1-conv 2-conv 3-conv 4-conv 5-conv" ;;
    fc-layers) echo "2-fc 3-fc 4-fc 5-fc" ;;
    filters) echo "small medium large kernel-3x3 kernel-5x5 kernel-7x7" ;;
    maxpool) echo "no-pool pool-every-conv pool-every-2" ;;
    stride) echo "stride-1 stride-2 stride-3" ;;
    epochs | best) echo "main" ;;
    esac
}

for name in conv-layers fc-layers filters maxpool epochs stride best; do
    manifest="$dir/$name.yaml"
    for profile in "" fashion smoke; do
        "$CNNLAB" check "$manifest" ${profile:+--profile "$profile"} \
            > "$scratch/check.out" 2> "$scratch/check.err"
        status=$?
        ok $status "$name: check ${profile:---default protocol} passes"
        [ $status -eq 0 ] || sed 's/^/#   /' "$scratch/check.err"
    done
    planned=$(sed -n 's/^variant \([^ ]*\) -> .*/\1/p' "$scratch/check.out" |
        tr '\n' ' ' | sed 's/ $//')
    is "$planned" "$(expected_variants "$name")" "$name: the variants of the table"

    "$CNNLAB" run --quiet --out "$scratch/results" "$manifest" \
        --profile smoke > "$scratch/run.out" 2> "$scratch/run.err"
    status=$?
    ok $status "$name: run --profile smoke succeeds"
    [ $status -eq 0 ] || sed 's/^/#   /' "$scratch/run.err"
    for variant in $(expected_variants "$name"); do
        run_dir="$scratch/results/$name/$variant"
        grep -q '"status": "complete"' "$run_dir/run.json" 2> /dev/null
        ok $? "$name/$variant: completed"
        "$CNNLAB" summary "$manifest" --profile smoke --variant "$variant" \
            > "$scratch/summary.txt" 2>&1
        cmp -s "$scratch/summary.txt" "$run_dir/summary.txt"
        ok $? "$name/$variant: summary.txt is the text of cnnlab summary"
    done
    test -s "$scratch/results/$name/table.md"
    ok $? "$name: the section's table.md is written"
done

# The writeup of these results and Part B's smoke runs (which reuse the
# best model just trained): `cnnlab report` with every section of the
# study present, and, with pdflatex, a PDF that has them all.
partb="${CNNLAB_SRCDIR:-.}/experiments/part-b"
for name in occlusion filters ablation; do
    "$CNNLAB" run --quiet --out "$scratch/results" "$partb/$name.yaml" \
        --profile smoke > "$scratch/run.out" 2> "$scratch/run.err"
    status=$?
    ok $status "part-b/$name: run --profile smoke succeeds"
    [ $status -eq 0 ] || sed 's/^/#   /' "$scratch/run.err"
done
doc="$scratch/report"
"$CNNLAB" report "$scratch/results" --out "$doc" > "$scratch/report.out" \
    2> "$scratch/report.err"
status=$?
ok $status "cnnlab report of every smoke result"
[ $status -eq 0 ] || sed 's/^/#   /' "$scratch/report.err"
md="$doc/report.md"
is "$(grep -c '^> \*\*Missing:' "$md" 2> /dev/null)" 0 \
    "the report misses no section of the study"
# Part A's and Part B's filters.yaml are both named `filters`: the report
# shows both, each with its own variants.
grep -q '^#### filters/small$' "$md" && grep -q '^#### filters/main$' "$md"
ok $? "the report shows A.3's and B.2's filters runs"
if command -v pdflatex > /dev/null 2>&1; then
    pdftotext "$doc/report.pdf" - 2> /dev/null | tr -d '\f' \
        > "$scratch/report.txt"
    missing=""
    for section in A.1 A.2 A.3 A.4 A.5 A.6 A.7 B.1 B.2 B.3; do
        # The heading's own line, not its line in the contents.
        grep -qE "^$section [A-Za-z ()]+\$" "$scratch/report.txt" ||
            missing="$missing $section"
    done
    is "$missing" "" "report.pdf has every section"
    pages=$(pdfinfo "$doc/report.pdf" 2> /dev/null | sed -n 's/^Pages: *//p')
    [ -n "$pages" ] && [ "$pages" -ge 40 ]
    ok $? "report.pdf has the pages of every run ($pages)"
else
    skip "report.pdf has every section" "pdflatex is not installed"
    skip "report.pdf has the pages of every run" "pdflatex is not installed"
fi
rm -rf "$scratch/results" "$doc"
done_testing
