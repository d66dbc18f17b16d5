#!/bin/sh
# `plugins:` is honoured only at a manifest's top level: modules are
# loaded before variants, profiles and overrides apply. One set in a
# variant, a profile or an override used to pass `cnnlab check` and never
# load (issue 19, class 7); each is refused with exit 2, naming where it
# is and where it belongs, by check and by run alike.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"
. "${CNNLAB_SRCDIR:-.}/t/tiny-manifest.sh"

manifest() { # manifest EXTRA: the tiny manifest, EXTRA appended
    tiny_manifest
    printf '%s\n' "$1"
}
mkdir -p "$scratch/modules"

manifest "plugins: [$scratch/modules]" > "$scratch/top.yaml"
"$CNNLAB" check "$scratch/top.yaml" > "$scratch/out" 2>&1
ok $? "plugins: at the top level is accepted"

manifest "variants:
  - {name: a}
  - {name: b, plugins: [$scratch/modules]}" > "$scratch/variant.yaml"
output=$("$CNNLAB" check "$scratch/variant.yaml" 2>&1)
is "$?" 2 "plugins: in a variant is refused (exit 2)"
like "$output" "variant.yaml:10:" "the error names the file and the line"
like "$output" "'plugins' in a variant would never be loaded" "and says why"
like "$output" "move it there" "and what to do"

manifest "profiles:
  smoke: {plugins: [$scratch/modules], train: {epochs: 1}}" > "$scratch/profile.yaml"
"$CNNLAB" check "$scratch/profile.yaml" > "$scratch/out" 2>&1
ok $? "a profile with plugins: that is not chosen changes nothing"
output=$("$CNNLAB" check "$scratch/profile.yaml" --profile smoke 2>&1)
is "$?" 2 "plugins: in the chosen profile is refused (exit 2)"
like "$output" "profile.yaml:9:" "the error names the file and the line"
like "$output" "'plugins' in a profile would never be loaded" "and says why"

for override in "plugins=[$scratch/modules]" "plugins.0=$scratch/modules"; do
    output=$("$CNNLAB" check "$scratch/top.yaml" "$override" 2>&1)
    is "$?" 2 "the override $override is refused (exit 2)"
    like "$output" "'plugins' would never be loaded" "and the message says why"
done
output=$("$CNNLAB" run --quiet --out "$scratch/results" "$scratch/variant.yaml" 2>&1)
is "$?" 2 "run refuses the variant's plugins: too"
test ! -e "$scratch/results/tiny/a/run.json"
ok $? "before any variant trains"
# A key that only starts with "plugins" is another key, not refused as one.
output=$("$CNNLAB" check "$scratch/top.yaml" "pluginsx=1" 2>&1)
like "$output" "unknown key 'pluginsx'" "pluginsx= is an unknown key, not plugins"
done_testing
