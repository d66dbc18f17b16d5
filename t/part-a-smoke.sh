#!/bin/sh
# Every Part A manifest (REPORT-SPEC A.1-A.7) validates under its default
# protocol and its fashion and smoke profiles, and trains every variant to
# completion under --profile smoke (a few synthetic 33-class 84x84x3
# images, one or two epochs: seconds per variant), with its analyses
# (summary.txt is checked against `cnnlab summary`) and its table.
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
rm -rf "$scratch/results"
done_testing
