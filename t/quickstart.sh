#!/bin/sh
# The README's promise: the quickstart manifest trains on the real
# Fashion-MNIST and reaches at least 89% test accuracy.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

[ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
    skip_all "Fashion-MNIST is not installed (scripts/install-deps installs it)"
# .ci/run runs the suite three times (make check, then make distcheck's
# copy, then the sanitizer build). Six epochs of real training check
# numbers, which the first pass has checked: a repeat pass names itself
# in CNNLAB_REPEAT_PASS and skips the 2-minute run (4 or more with
# the sanitizers).
[ -z "${CNNLAB_REPEAT_PASS:-}" ] ||
    skip_all "repeat pass ($CNNLAB_REPEAT_PASS): the first make check trained the quickstart"

"$CNNLAB" run --quiet --out "$scratch" "$CNNLAB_SRCDIR/experiments/quickstart.yaml" \
    > "$scratch/stdout" 2> "$scratch/stderr"
status=$?
is "$status" 0 "the quickstart runs"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/stderr" | tail -20
info="$scratch/quickstart/main/run.json"
accuracy=$(sed -n 's/.*"test_accuracy": \([0-9.]*\).*/\1/p' "$info" |
    awk '{ printf "%.2f", $1 }')
echo "# test accuracy: ${accuracy:-none}"
awk -v a="${accuracy:-0}" 'BEGIN { exit !(a >= 89) }'
ok $? "quickstart test accuracy ${accuracy:-none}% >= 89%"
for file in summary.txt classwise.csv confusion.csv curves-loss.png \
    curves-accuracy.svg timing.md occlusion.png occlusion.csv filters.csv \
    ablation-conv2.md ablation-misses.csv; do
    test -s "$scratch/quickstart/main/$file"
    ok $? "the quickstart's analyses wrote $file"
done
like "$(cat "$info")" '"timing": "ok"' "run.json records the analyses"
like "$(cat "$info")" '"ablation": "ok"' "including Part B's"
sed 's/^/# /' "$scratch/quickstart/main/epoch-seconds.csv"

done_testing
