#!/bin/sh
# scripts/make-imagefolder writes a mini-ImageNet-shaped JPEG folder (from
# synthetic images, and from Fashion-MNIST where installed), and cnnlab
# trains on it through the imagefolder loader.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

script="${CNNLAB_SRCDIR:-.}/scripts/make-imagefolder"
export CNNLAB_BUILDDIR="${CNNLAB_BUILDDIR:-.}"
[ -x "$CNNLAB_BUILDDIR/tools/make-imagefolder" ] \
    || skip_all "tools/make-imagefolder is not built"

help=$("$script" --help)
ok $? "--help succeeds"
like "$help" "--source fashion-mnist|synthetic" "--help names the sources"

count() { # count DIR: the .jpg files under DIR
    find "$1" -name '*.jpg' -type f | wc -l | tr -d ' '
}

out="$scratch/synthetic"
"$script" --source synthetic --train 3 --val 1 --test 2 --output "$out" \
    > "$scratch/synthetic.log" 2>&1
ok $? "a synthetic folder is made"
for split in train val test; do
    is "$(ls "$out/$split" | wc -l | tr -d ' ')" 33 "$split has 33 class folders"
done
is "$(count "$out/train")" 99 "train: 3 images per class"
is "$(count "$out/val")" 33 "val: 1 image per class"
is "$(count "$out/test")" 66 "test: 2 images per class"
is "$(od -An -tx1 -N3 "$out/train/c00-synthetic/00000.jpg" | tr -d ' ')" \
    ffd8ff "the files are JPEG"

"$script" --source synthetic --output "$out" > "$scratch/again.log" 2>&1
status=$?
ok $((status == 0)) "an existing folder is refused"
like "$(cat "$scratch/again.log")" "already exists" "...saying it exists"

"$script" --quality 0 --output "$scratch/q" > "$scratch/quality.log" 2>&1
is $? 2 "a bad option is a usage error"
like "$(cat "$scratch/quality.log")" "--quality 0" "...naming it"

cat > "$scratch/folder.yaml" <<YAML
name: folder
seed: 3
threads: 2
data: {loader: imagefolder, root: $out, size: 84, threads: 2,
       mean: [0.5], std: [0.25]}
model:
  input: [3, 84, 84]
  layers:
    - conv2d: {out: 4, kernel: 5, stride: 4, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 33}
train: {epochs: 1, batch: 33, optimizer: {sgd: {lr: 0.01}}}
YAML
"$CNNLAB" run --quiet --out "$scratch/results" "$scratch/folder.yaml" \
    > "$scratch/run.log" 2>&1
ok $? "cnnlab trains on the folder through imagefolder"
like "$(cat "$scratch/results/folder/main/run.json" 2>/dev/null)" \
    '"status": "complete"' "...and completes"

if [ -d /usr/share/datasets/fashion-mnist ]; then
    out="$scratch/fashion"
    "$script" --train 2 --val 1 --test 1 --output "$out" \
        > "$scratch/fashion.log" 2>&1
    ok $? "a Fashion-MNIST folder is made"
    is "$(count "$out")" 132 "33 classes x 4 images"
    test -d "$out/train/c10-tshirt-top-r90" && test -d "$out/test/c32-pullover-r270"
    ok $? "classes 10-32 are rotated Fashion-MNIST classes"
else
    echo "ok $((tap_count + 1)) - Fashion-MNIST folder # SKIP no /usr/share/datasets/fashion-mnist"
    tap_count=$((tap_count + 1))
fi
done_testing
