#!/bin/sh
# experiments/part-c/transfer.yaml's default protocol — two halves of
# mini-ImageNet's 33 classes, taken with the imagefolder loader's
# data.labels — on a 33-class folder that scripts/make-imagefolder makes
# (synthetic JPEGs, 2/1/1 per class, at 44 x 44 to keep it quick: the
# protocol's 84 comes back with the shape overrides): pretrain learns the
# first 16 class folders, the other variants the last 17, and the
# fine-tunings put a 17-output head on pretrain's layers.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

script="${CNNLAB_SRCDIR:-.}/scripts/make-imagefolder"
manifest="${CNNLAB_SRCDIR:-.}/experiments/part-c/transfer.yaml"
export CNNLAB_BUILDDIR="${CNNLAB_BUILDDIR:-.}"
[ -x "$CNNLAB_BUILDDIR/tools/make-imagefolder" ] \
    || skip_all "tools/make-imagefolder is not built"

mini="$scratch/mini-imagenet"
"$script" --source synthetic --output "$mini" --train 2 --val 1 --test 1 \
    --size 44 > "$scratch/make.log" 2>&1
ok $? "a 33-class folder is made"

"$CNNLAB" run --quiet --out "$scratch/results" "$manifest" \
    "data.root=$mini" data.size=44 'model.input=[3, 44, 44]' \
    train.epochs=1 > "$scratch/run.out" 2> "$scratch/run.err"
status=$?
ok $status "the default protocol runs on it"
[ $status -eq 0 ] || sed 's/^/#   /' "$scratch/run.err"

transfer="$scratch/results/transfer"
for variant in pretrain scratch fine-tune-frozen fine-tune-all; do
    grep -q '"status": "complete"' "$transfer/$variant/run.json" 2> /dev/null
    ok $? "$variant: complete"
done

# classes FILE: the class names of a classwise table, space-separated.
classes() {
    sed -n 's/^| \(c[0-9][0-9]-synthetic\) |.*/\1/p' "$1" | tr '\n' ' ' |
        sed 's/ $//'
}
folders() { # folders FIRST LAST: c<FIRST>-synthetic ... c<LAST>-synthetic
    seq -f 'c%02g-synthetic' "$1" "$2" | tr '\n' ' ' | sed 's/ $//'
}
is "$(classes "$transfer/pretrain/classwise.md")" "$(folders 0 15)" \
    "pretrain (task A): the first 16 class folders, in order"
for variant in scratch fine-tune-frozen fine-tune-all; do
    is "$(classes "$transfer/$variant/classwise.md")" "$(folders 16 32)" \
        "$variant (task B): the last 17 class folders, in order"
done
for variant in fine-tune-frozen fine-tune-all; do
    like "$(cat "$transfer/$variant/run.json")" \
        "'9.weight' is [16, 128] in the file, [17, 128] in the model" \
        "$variant: a new 17-output head on pretrain's 16-output model"
done

done_testing
