#!/bin/sh
# Bad data on a rerun (docs/reliability.md, "Data"): when a rerun into a
# results directory that holds a complete run fails on its data — a
# truncated JPEG, a PNG named .jpg, a JPEG declaring 60000×60000 pixels,
# an empty class folder, a missing dataset folder — it exits with status
# 1, names the file and what is wrong, and every earlier file of the
# directory stays byte-identical (checksums of the whole results tree
# before and after), with no temporary file left behind.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

tool="${CNNLAB_BUILDDIR:-.}/tools/make-imagefolder"
[ -x "$tool" ] || skip_all "tools/make-imagefolder is not built"
cd "$scratch" || exit 1

sums() { # sums DIR: a checksum of every file under DIR, hidden ones too
    (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum)
}

"$tool" --source synthetic --classes 3 --train 4 --val 2 --test 2 --size 12 \
    --output data > make.log 2>&1
ok $? "a small JPEG folder is made"
cat > images.yaml <<'YAML'
name: images
seed: 1
threads: 1
data: {loader: imagefolder, root: data, size: 12, mean: [0.5], std: [0.5]}
model:
  input: [3, 12, 12]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 3}
train: {epochs: 2, batch: 4}
YAML
"$CNNLAB" run --quiet --out results images.yaml > first.out 2>&1
is "$?" 0 "the first run completes"
sums results > before.sum
for file in main/run.json main/model.safetensors main/metrics.csv table.md; do
    grep -q " ./images/$file\$" before.sum
    ok $? "the checksums cover $file"
done

rerun_fails() { # rerun_fails WHAT NEEDLE...: a --force rerun must fail
    what=$1
    shift
    "$CNNLAB" run --quiet --force --out results images.yaml \
        > rerun.out 2> rerun.err
    is "$?" 1 "$what: the rerun fails with status 1"
    for needle in "$@"; do
        like "$(cat rerun.err)" "$needle" "$what: the message says '$needle'"
    done
    sums results > after.sum
    cmp -s before.sum after.sum
    ok $? "$what: every earlier result is byte-identical"
    [ -z "$(find results -name '.*.tmp-*')" ]
    ok $? "$what: no temporary file is left"
}

# A truncated JPEG in the training split.
victim=$(find data/train -name '*.jpg' | LC_ALL=C sort | head -1)
cp "$victim" saved.jpg
head -c 200 saved.jpg > "$victim"
rerun_fails "a truncated JPEG" "$victim" "truncated"
cp saved.jpg "$victim"

# A PNG (its signature) under a .jpg name.
printf '\211PNG\r\n\032\n\000\000\000\rIHDR' > "$victim"
rerun_fails "a PNG named .jpg" "$victim" "is not a JPEG file"
cp saved.jpg "$victim"

# A JPEG whose frame header (SOF0) declares 60000×60000 pixels (10.8 GB
# as RGB): refused from the header, naming the limit. The data segment is
# capped at 1 GiB (ulimit -d), so allocating from the header would fail
# with another message — but not in a sanitizer build, whose shadow memory
# needs more, nor where the shell cannot cap it.
cap=1048576
grep -q '^CFLAGS = .*-fsanitize=address' "${CNNLAB_BUILDDIR:-.}/Makefile" \
    2> /dev/null && cap=unlimited
sof=$(od -An -v -tx1 "$victim" | tr -s ' ' '\n' | grep -v '^$' |
      awk 'prev == "ff" && $1 == "c0" { print NR - 2; exit } { prev = $1 }')
printf '\352\140\352\140' |
    dd of="$victim" bs=1 seek=$((sof + 5)) conv=notrunc 2> /dev/null
[ "$(od -An -tx1 -j "$((sof + 5))" -N 4 "$victim" | tr -d ' ')" = ea60ea60 ]
ok $? "the test JPEG declares 60000×60000"
(ulimit -d "$cap" 2> /dev/null; exec "$CNNLAB" run --quiet --force \
    --out results images.yaml) > rerun.out 2> rerun.err
is "$?" 1 "a JPEG declaring 60000×60000: the rerun fails with status 1"
like "$(cat rerun.err)" "'$victim' declares 60000×60000 pixels; images over 16384 pixels a side or 100 megapixels are not decoded" \
    "a JPEG declaring 60000×60000: the file, what it declares and the limit"
sums results > after.sum
cmp -s before.sum after.sum
ok $? "a JPEG declaring 60000×60000: every earlier result is byte-identical"
cp saved.jpg "$victim"

# A class folder without images (in every split, so the classes agree).
for split in train val test; do mkdir "data/$split/empty"; done
rerun_fails "an empty class folder" "data/train/empty" "no .jpg"
for split in train val test; do rmdir "data/$split/empty"; done

# The dataset folder gone: the message says how to get one.
mv data data.away
rerun_fails "a missing dataset folder" "data" "scripts/make-imagefolder"
mv data.away data

# With the data whole again, the rerun succeeds: the checks above failed
# on the data, not on something else.
"$CNNLAB" run --quiet --force --out results images.yaml > last.out 2>&1
is "$?" 0 "with the data restored, the rerun succeeds"

done_testing
