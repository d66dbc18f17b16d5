#!/bin/sh
# Numbers never measured (issue 19, class 6): a run whose data gives a
# split no images (val: 0, test: 0) used to report 0 % accuracy and loss
# 0 for it as if measured, and best-val chose among zeros. It is refused,
# naming the split and the counts, before the run directory is touched.
# Experiment and variant names state their length limit when refused.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"
. "${CNNLAB_SRCDIR:-.}/t/tiny-manifest.sh"
tiny_manifest > "$scratch/tiny.yaml"

for split in val test; do
    output=$("$CNNLAB" run --quiet --out "$scratch/r-$split" "$scratch/tiny.yaml" \
        "data.$split=0" 2>&1)
    [ $? -ne 0 ]
    ok $? "data.$split=0: the run fails"
    case $split in val) name=validation ;; test) name=test ;; esac
    like "$output" "tiny.yaml:3:7: the data has no $name images" \
        "data.$split=0: the error names the manifest's data and the split"
    test ! -e "$scratch/r-$split/tiny/main/metrics.csv"
    ok $? "data.$split=0: nothing is written as if measured"
done

long=$(printf '%0101d' 0 | tr 0 v)
output=$("$CNNLAB" check "$scratch/tiny.yaml" "name=$long" 2>&1)
is "$?" 2 "a 101-character experiment name: exit 2"
like "$output" "use 1 to 100 letters" "the error states the length limit"
done_testing
