#!/bin/sh
# Paths never cut or emptied (docs/reliability.md, "Paths"): a run
# directory name that would not fit is an error naming it, not a shorter
# name (cut, variant 'ab' of a long --out became its sibling 'a' and
# replaced its results); `--out ""` (an unset shell variable) is a usage
# error, not the root folder; a model.from name too long for a path is
# refused at its place.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

command -v timeout > /dev/null || skip_all "timeout (coreutils) is not installed"
CNNLAB=$(cd "$(dirname "$CNNLAB")" && pwd)/cnnlab
cd "$scratch" || exit 1

sums() { # sums DIR: a checksum of every file under DIR, hidden ones too
    (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum)
}

cat > p.yaml <<'YAML'
name: p
seed: 1
threads: 1
data: {loader: synthetic, classes: 3, channels: 3, size: 8, train: 48,
       val: 24, test: 24, mean: [0.5], std: [0.5]}
model:
  input: [3, 8, 8]
  layers: [flatten, {linear: {out: 3}}]
train: {epochs: 1, batch: 16}
variants:
  - {name: a}
  - {name: ab}
YAML

# --out "" and --out= for every command that takes --out.
for form in "--out=" "--out "; do
    # shellcheck disable=SC2086 # "--out " splits into --out and ""
    if [ "$form" = "--out=" ]; then set -- --out=; else set -- --out ""; fi
    timeout 60 "$CNNLAB" run --quiet "$@" p.yaml > out 2> err
    is $? 2 "run $form'': a usage error (status 2)"
    like "$(cat err)" "--out is empty" "run $form'': says --out is empty"
    timeout 60 "$CNNLAB" check "$@" p.yaml > out 2> err
    is $? 2 "check $form'': a usage error (status 2)"
    timeout 60 "$CNNLAB" eval p.yaml --weights p.yaml "$@" > out 2> err
    is $? 2 "eval $form'': a usage error (status 2)"
    like "$(cat err)" "--out is empty" "eval $form'': says --out is empty"
done
[ ! -e /p/a/run.json ] && [ ! -e /p/ab/run.json ]
ok $? "--out '': nothing was written under /"

# An --out so long that "<out>/p/a" is 1023 bytes, the most a run
# directory name holds, and "<out>/p/ab" one byte more.
out=$PWD
while [ ${#out} -lt 900 ]; do out="$out/dddddddddddddddddddddddddddddddddddddddd"; done
want=$((1023 - ${#out} - 5)) # "/" NAME "/p/a" is 1023 bytes
name=$(printf '%*s' "$want" '' | tr ' ' 'e')
out="$out/$name"
mkdir -p "$out"
is $((${#out} + 4)) 1023 "the long --out makes '<out>/p/a' 1023 bytes"
timeout 120 "$CNNLAB" run --quiet --variant a --out "$out" p.yaml > a.out 2> a.err
is $? 0 "variant a runs into the longest directory name that fits"
sums "$out/p/a" > before.sum
timeout 120 "$CNNLAB" run --quiet --variant ab --out "$out" p.yaml > ab.out 2> ab.err
status=$?
[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
ok $? "variant ab, one byte too long: refused (status $status)"
like "$(cat ab.err)" "would be 1024 bytes long" "variant ab: says how long"
like "$(cat ab.err)" "use a shorter --out" "variant ab: says what would fix it"
sums "$out/p/a" > after.sum
cmp -s before.sum after.sum
ok $? "variant ab: variant a's results are byte-identical"
grep -q '"variant": "a"' "$out/p/a/run.json"
ok $? "variant ab: a's run.json is still a's"
timeout 120 "$CNNLAB" run --quiet --force --out "$out" p.yaml > all.out 2> all.err
status=$?
[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
ok $? "both variants: the run fails (status $status)"
grep -q '"variant": "a"' "$out/p/a/run.json"
ok $? "both variants: a's run.json is still a's"
timeout 120 "$CNNLAB" eval p.yaml --variant a --weights "$out/p/a/model.safetensors" \
    --out "$out" > eval.out 2> eval.err
is $? 0 "eval into '<out>/p/a/eval-test' (its limit is 4095 bytes) works"
[ -f "$out/p/a/eval-test/eval.json" ]
ok $? "eval: eval.json is where it belongs"

# model.from naming a manifest too long for a path.
long=$(printf '%*s' 5000 '' | tr ' ' 'm')
sed "s|^model:|model:\n  from: $long|" p.yaml | sed '/^  input:/d; /^  layers:/d' > from.yaml
timeout 60 "$CNNLAB" check from.yaml > from.out 2> from.err
is $? 2 "a model.from name over PATH_MAX: refused (status 2)"
like "$(cat from.err)" "from.yaml:" "model.from too long: the manifest's place"
like "$(cat from.err)" "bytes long" "model.from too long: says why"

done_testing
