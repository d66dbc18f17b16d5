#!/bin/sh
# Every Part C manifest (experiments/part-c: the study's future work)
# validates under its default protocol and its fashion and smoke profiles,
# and trains every variant to completion under --profile smoke, writing
# its table; then what each manifest is about shows in its outputs
# (transfer: the fine-tunings start from pretrain's weights of their seed,
# the frozen convs stay bit for bit, the tasks are other classes).
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

dir="${CNNLAB_SRCDIR:-.}/experiments/part-c"

# manifest: the variants its table has, in order.
expected_variants() {
    case "$1" in
    batch-size) echo "batch-4 batch-16 batch-64 batch-256" ;;
    regularisation) echo "none dropout weight-decay augmentation batch-norm all" ;;
    transfer) echo "pretrain scratch fine-tune-frozen fine-tune-all" ;;
    kernel-size) echo "kernel-3 kernel-5 kernel-7" ;;
    esac
}

for name in batch-size regularisation transfer kernel-size; do
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
        # Every run of the variant: one, or one per seed.
        complete=0 runs=0
        for run in "$scratch/results/$name/$variant/run.json" \
            "$scratch/results/$name/$variant"/seed-*/run.json; do
            [ -e "$run" ] || continue
            runs=$((runs + 1))
            grep -q '"status": "complete"' "$run" && complete=$((complete + 1))
        done
        [ "$runs" -gt 0 ] && [ "$complete" -eq "$runs" ]
        ok $? "$name/$variant: completed ($complete of $runs runs)"
    done
    test -s "$scratch/results/$name/table.md"
    ok $? "$name: the table is written"
done

# batch-size: the linear scaling rule gives each variant its rate.
for pair in batch-4:0.001 batch-16:0.004 batch-64:0.016 batch-256:0.064; do
    variant=${pair%%:*} rate=${pair#*:}
    is "$(sed -n 2p "$scratch/results/batch-size/$variant/metrics.csv" |
        awk -F, '{ print $NF }')" "$rate" \
        "batch-size/$variant: trains at lr $rate (metrics.csv's lr)"
done
like "$(cat "$scratch/results/batch-size/table.md")" "epoch time (s)" \
    "batch-size: the table has the seconds per epoch"
# regularisation: the variants differ in what they say they change, also
# under the fashion profile (which must not drop the variants' `augment`;
# one epoch of a few Fashion-MNIST images, when the dataset is installed).
like "$(cat "$scratch/results/regularisation/weight-decay/manifest.yaml")" \
    "weight_decay: 0.0005" "regularisation/weight-decay: its decay"
fashion=/usr/share/datasets/fashion-mnist
if [ -r "$fashion/train-images-idx3-ubyte.gz" ]; then
    for variant in all none; do
        "$CNNLAB" run --quiet --out "$scratch/fashion" \
            "$dir/regularisation.yaml" --profile fashion --variant "$variant" \
            --seed 1 data.limit=8 data.val=4 train.epochs=1 \
            train.eval_batch=8 > "$scratch/fashion.out" 2>&1 ||
            sed 's/^/#   /' "$scratch/fashion.out"
    done
    # The profile runs seeds 1-3; --seed 1 runs one, in seed-1/.
    run_manifest() { echo "$scratch/fashion/regularisation/$1/seed-1/manifest.yaml"; }
    grep -q "jitter" "$(run_manifest all)"
    ok $? "regularisation/all --profile fashion: augmented"
    test -s "$(run_manifest none)" && ! grep -q "augment:" "$(run_manifest none)"
    ok $? "regularisation/none --profile fashion: ran, not augmented"
else
    skip "regularisation --profile fashion keeps each variant's augmentation" \
        "Fashion-MNIST is not installed ($fashion)"
    skip "regularisation/none --profile fashion: ran, not augmented" \
        "Fashion-MNIST is not installed ($fashion)"
fi
. "${CNNLAB_SRCDIR:-.}/t/part-c-transfer.sh"
rm -rf "$scratch/results"
done_testing
