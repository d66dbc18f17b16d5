#!/bin/sh
# Foreign files are not replaced (docs/reliability.md, "Foreign files"):
# cnnlab replaces a file only when it can tell it wrote it, and does not
# follow a symbolic link where it creates one. data.cache naming a text
# file, an empty file, a link or a device node is refused with the file's name
# and the file is left byte-identical; a cache of cnnlab's is still
# replaced; a run directory's .lock that is a link is refused and nothing
# is created where it points.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

tool=$(cd "${CNNLAB_BUILDDIR:-.}" && pwd)/tools/make-imagefolder
[ -x "$tool" ] || skip_all "tools/make-imagefolder is not built"
command -v timeout > /dev/null || skip_all "timeout (coreutils) is not installed"
CNNLAB=$(cd "$(dirname "$CNNLAB")" && pwd)/$(basename "$CNNLAB")
cd "$scratch" || exit 1

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
train: {epochs: 1, batch: 4}
YAML

# refused_cache WHAT FILE NEEDLE: data.cache=FILE fails the run (status
# 1), the message names FILE and says NEEDLE, FILE is unchanged
refused_cache() {
    what=$1 file=$2 needle=$3
    before=$(sha256sum < "$file" 2> /dev/null)
    timeout 120 "$CNNLAB" run --quiet --force --out r images.yaml \
        "data.cache=$file" > run.out 2> run.err
    is $? 1 "$what as data.cache: the run is refused (status 1)"
    like "$(cat run.err)" "$file" "$what: the message names it"
    like "$(cat run.err)" "$needle" "$what: the message says '$needle'"
    is "$(sha256sum < "$file" 2> /dev/null)" "$before" "$what: it is unchanged"
}

printf 'my notes\nplease keep\n' > notes.txt
refused_cache "a text file" notes.txt "is not a cnnlab cache"
: > empty.bin
refused_cache "an empty file" empty.bin "is not a cnnlab cache"
printf 'my notes\n' > target.txt
ln -s target.txt link.bin
refused_cache "a symbolic link" link.bin "is a symbolic link"
is "$(cat target.txt)" "my notes" "a symbolic link: its target is unchanged"
[ -L link.bin ]
ok $? "a symbolic link: it is still a link"
# A device node: our own copy of /dev/null, so that a regression (which,
# as root, once replaced the real /dev/null) harms nothing outside the
# scratch folder. mknod needs root; without it the case is left out.
if mknod null.dev c 1 3 2> /dev/null; then
    timeout 120 "$CNNLAB" run --quiet --force --out r images.yaml \
        data.cache=null.dev > run.out 2> run.err
    is $? 1 "a character device as data.cache: the run is refused (status 1)"
    like "$(cat run.err)" "null.dev" "a character device: the message names it"
    [ -c null.dev ]
    ok $? "a character device: it is still a character device"
else
    echo "# skipped the device case: mknod needs root"
fi

# A cache cnnlab wrote is read, and replaced when stale.
timeout 120 "$CNNLAB" run --quiet --force --out r images.yaml \
    data.cache=cache.bin > run.out 2> run.err
is $? 0 "a fresh data.cache is written"
head -c 7 cache.bin > magic
is "$(cat magic)" CNNIMGC "  and begins as cnnlab's caches do"
timeout 120 "$CNNLAB" run --quiet --force --out r images.yaml \
    data.cache=cache.bin data.size=10 \
    "model.input=[3, 10, 10]" > run.out 2> run.err
is $? 0 "a stale cache of cnnlab's (another size) is replaced"

# A .lock that is a symbolic link.
timeout 120 "$CNNLAB" run --quiet --out locked images.yaml > run.out 2>&1
is $? 0 "a run for the lock case completes"
rm locked/images/main/.lock
ln -s "$PWD/planted-lock" locked/images/main/.lock
timeout 120 "$CNNLAB" run --quiet --force --out locked images.yaml > run.out 2> run.err
is $? 1 "a .lock that is a symbolic link: the run is refused (status 1)"
like "$(cat run.err)" ".lock' is a symbolic link" "  and says why"
[ ! -e planted-lock ]
ok $? "  nothing was created where the link points"

done_testing
