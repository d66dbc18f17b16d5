#!/bin/sh
# A full disk (docs/reliability.md, "Faults"): results on a tiny tmpfs.
#  - a --force rerun on a full disk fails with status 1, naming the file it
#    could not write and "No space left on device", and leaves every
#    earlier file byte-identical and no temporary behind;
#  - a run whose checkpoint does not fit fails the same way, records
#    itself as failed, and leaves another variant's complete results in
#    the same experiment untouched.
# Mounting needs a mount namespace: the script reruns itself under
# `unshare --mount` (as root) or `unshare --user --map-root-user --mount`,
# so the mount vanishes with the process even if the test is killed. Where
# neither is allowed (a container without the capability, user namespaces
# switched off) it is skipped: that is what the skip says.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

if [ -z "$CNNLAB_ENOSPC_INSIDE" ]; then
    command -v unshare > /dev/null 2>&1 ||
        skip_all "no unshare(1) to make a mount namespace for a tmpfs"
    for how in "--mount" "--user --map-root-user --mount"; do
        # shellcheck disable=SC2086 # $how is a list of options
        if unshare $how sh -c \
            'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" &&
             umount "$d"; s=$?; rmdir "$d"; exit $s' > /dev/null 2>&1; then
            trap - EXIT
            rm -rf "$scratch"
            # shellcheck disable=SC2086
            CNNLAB_ENOSPC_INSIDE=1 exec unshare $how sh "$0"
        fi
    done
    skip_all "cannot mount a tmpfs here (no CAP_SYS_ADMIN and no user namespaces): the full-disk test needs one"
fi

CNNLAB=$(cd "$(dirname "$CNNLAB")" && pwd)/cnnlab
cd "$scratch" || exit 1
mkdir disk
mount -t tmpfs -o size=512k tmpfs disk || skip_all "mounting a tmpfs failed"
trap 'umount "$scratch/disk" 2>/dev/null; rm -rf "$scratch"' EXIT

sums() { # sums DIR: a checksum of every file under DIR, hidden ones too
    (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum)
}

# small: 127 parameters; big: a linear layer of 192×1000 (0.77 MB of
# weights), which cannot fit on the 512 KiB disk.
cat > disk.yaml <<'YAML'
name: disk
seed: 3
threads: 1
data: {loader: synthetic, classes: 3, channels: 3, size: 8, train: 48,
       val: 24, test: 24, mean: [0.5], std: [0.5]}
model:
  input: [3, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 3}
train: {epochs: 2, batch: 16}
variants:
  - {name: small}
  - name: big
    model: {layers: [{linear: {out: 1000, activation: relu}}, {linear: {out: 3}}]}
YAML

"$CNNLAB" run --quiet --variant small --out disk/results disk.yaml \
    > small.out 2> small.err
is "$?" 0 "the small variant completes on the tmpfs"
sums disk/results > before.sum

# ---- the checkpoint does not fit ---------------------------------------
"$CNNLAB" run --quiet --variant big --out disk/results disk.yaml \
    > big.out 2> big.err
is "$?" 1 "a checkpoint larger than the free space fails the run (status 1)"
like "$(cat big.err)" "cannot write 'disk/results/disk/big/" \
    "the message names the file"
like "$(cat big.err)" ".safetensors': No space left on device" \
    "the file is the checkpoint, and the message gives the reason"
like "$(cat disk/results/disk/big/run.json)" '"status": "failed"' \
    "the failed run says so in its run.json"
[ -z "$(find disk/results/disk/big -name '*.safetensors')" ]
ok $? "no partial checkpoint is left"
[ -z "$(find disk -name '.*.tmp-*')" ]
ok $? "no temporary file is left"
(cd disk/results && find ./disk/small -type f | LC_ALL=C sort |
    xargs sha256sum) > small-after.sum
grep ' ./disk/small/' before.sum | cmp -s - small-after.sum
ok $? "the small variant's results are byte-identical"

# ---- a rerun on a full disk --------------------------------------------
rm -rf disk/results/disk/big
sums disk/results > before.sum
dd if=/dev/zero of=disk/filler bs=4096 > /dev/null 2>&1
[ "$(df -P disk | awk 'NR == 2 { print $4 }')" -eq 0 ]
ok $? "the tmpfs is full"
"$CNNLAB" run --quiet --force --variant small --out disk/results disk.yaml \
    > full.out 2> full.err
is "$?" 1 "a rerun on a full disk fails (status 1)"
like "$(cat full.err)" "cannot write 'disk/results/disk/small/" \
    "the message names the file"
like "$(cat full.err)" "No space left on device" "and the reason"
sums disk/results > after.sum
cmp -s before.sum after.sum
ok $? "every earlier result is byte-identical"
[ -z "$(find disk -name '.*.tmp-*')" ]
ok $? "no temporary file is left"

# With room again the same rerun succeeds: the failure was the disk's.
rm disk/filler
"$CNNLAB" run --quiet --force --variant small --out disk/results disk.yaml \
    > again.out 2>&1
is "$?" 0 "with room again the rerun succeeds"

done_testing
