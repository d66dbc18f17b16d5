#!/bin/sh
# Refactors must not change a single output bit (issue 18): the smokes of
# scripts/same-outputs (the quickstart, Part A's best model, Part B's
# occlusion, filters and ablation, --profile smoke, on the CPU with the
# recorded thread count) write, with this build, files whose sha256 sums
# are the ones recorded in t/same-outputs.sha256. make check cannot build
# the previous commit; `scripts/same-outputs --base REV` compares against
# one directly.
#
# The bits legitimately depend on the machine: oneDNN picks its kernels by
# ISA, and so do the Winograd kernels. On a machine whose signature (the
# architecture, the ISA extensions, the oneDNN library) is not the
# recorded one the test skips: it never passes on sums it cannot check.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

recorded="${CNNLAB_SRCDIR:-.}/t/same-outputs.sha256"
script="${CNNLAB_SRCDIR:-.}/scripts/same-outputs"
build=${CNNLAB_BUILDDIR:-.}

expected=$(sed -n 's/^signature: //p' "$recorded")
signature=$(sh "$script" --signature --build "$build")
[ -n "$expected" ] || skip_all "$recorded holds no signature"
[ "$signature" = "$expected" ] ||
    skip_all "the sums were recorded on '$expected', this machine is '$signature'; outputs may differ by ISA"
threads=$(sed -n 's/^threads: //p' "$recorded")

sh "$script" --record "$scratch/now.sha256" --partial --build "$build" \
    --threads "${threads:-2}" > "$scratch/record.log" 2>&1
status=$?
ok $status "the smokes run with ${threads:-2} threads"
sed '/^#/!s/^/# /' "$scratch/record.log"
[ $status -eq 0 ] || { done_testing; exit 1; }

skip() { # DESCRIPTION REASON
    tap_count=$((tap_count + 1))
    echo "ok $tap_count - $1 # SKIP $2"
}

fashion=yes
grep -q 'Fashion-MNIST is not in' "$scratch/record.log" && fashion=no
sums() { grep '^[0-9a-f]\{64\}  ' "$1"; }
differ=0
sums "$recorded" > "$scratch/recorded.list"
while read -r sum file; do
    now=$(sums "$scratch/now.sha256" | awk -v f="$file" '$2 == f { print $1 }')
    if [ -z "$now" ]; then
        case "$fashion:$file" in
        no:quickstart/*) skip "$file" "Fashion-MNIST is not installed"; continue ;;
        esac
        ok 1 "$file: not written"
        differ=1
    elif [ "$now" = "$sum" ]; then
        ok 0 "$file"
    else
        ok 1 "$file: sha256 $(echo "$now" | cut -c1-16)..., recorded $(echo "$sum" | cut -c1-16)..."
        differ=1
    fi
done < "$scratch/recorded.list"
sums "$scratch/now.sha256" | while read -r sum file; do
    grep -q "  $file\$" "$scratch/recorded.list" || echo "$file"
done > "$scratch/new.list"
while read -r file; do
    ok 1 "$file: written, but not in t/same-outputs.sha256"
    differ=1
done < "$scratch/new.list"

if [ "$differ" -ne 0 ]; then
    cat <<'TEXT'
# These outputs are not the recorded bits. A refactor must not change
# them: `scripts/same-outputs --base HEAD` (or --base-build DIR) shows which
# files differ from the previous commit's. After an intentional change of
# the numbers or files, record them again in a built source tree and commit
# the new sums with the change, saying why the bits moved:
#   scripts/same-outputs --record      (writes t/same-outputs.sha256)
TEXT
fi
done_testing
