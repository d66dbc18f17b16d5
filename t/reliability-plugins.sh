#!/bin/sh
# Plugins through the command line (docs/reliability.md, "Plugins"; the
# module loader's own checks are t/test-module-loader.c): a module that
# cannot be used stops cnnlab with exit status 2 and a message naming the
# file and what to do, whether it comes from $CNNLAB_PLUGIN_PATH or a
# manifest's plugins: (then with the entry's file:line:column); a name
# registered twice is refused, the module loaded first keeping it, so no
# module replaces a built-in; the current directory is searched only when
# asked (a module planted there never runs).
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

[ -n "$CNNLAB_TEST_PLUGIN_DIR" ] ||
    skip_all "CNNLAB_TEST_PLUGIN_DIR not set (run through make check)"
modules="$CNNLAB_TEST_PLUGIN_DIR"
[ -f "$modules/planted.so" ] || skip_all "the test modules are not built"
CNNLAB=$(cd "$(dirname "$CNNLAB")" && pwd)/cnnlab
cd "$scratch" || exit 1
unset CNNLAB_PLUGIN_PATH

cat > base.yaml <<'YAML'
name: plug
data: {loader: synthetic, classes: 4, channels: 1, size: 12, train: 64, val: 16, test: 16}
model:
  input: [1, 12, 12]
  layers: [flatten, {linear: {out: 4}}]
train: {epochs: 1, batch: 8}
YAML

# One directory per module, so that each is the only one loaded from it.
for module in abi-major abi-minor abi-two no-entry undefined-symbol \
              init-fails shadow dup-first dup-second planted no-kernels; do
    mkdir "dir-$module"
    cp "$modules/$module.so" "dir-$module/"
done
printf 'not a shared object\n' > dir-text.so
mkdir dir-text && mv dir-text.so dir-text/text.so

from_path() { # from_path DIR: `cnnlab check` with $CNNLAB_PLUGIN_PATH=DIR
    output=$(CNNLAB_PLUGIN_PATH="$1" "$CNNLAB" check base.yaml 2>&1)
    status=$?
}
refused() { # refused MODULE WHAT NEEDLE...
    module=$1 what=$2
    shift 2
    from_path "$scratch/dir-$module"
    is "$status" 2 "$what: exit status 2"
    like "$output" "$scratch/dir-$module/$module.so" "$what: names the file"
    for needle in "$@"; do
        like "$output" "$needle" "$what: says '$needle'"
    done
}

refused abi-major "another ABI major" "(majors differ)" \
    "rebuild the plugin against this cnnlab"
refused abi-minor "a newer ABI minor" "newer than this cnnlab's" "upgrade cnnlab"
refused abi-two "a 2.x module" "ABI 2.3" \
    "port the module as \"Porting a 2.x module\" in docs/plugin-guide.md says"
refused no-entry "no entry symbol" "is not a cnnlab plugin: no entry point 'cnn_plugin_entry'"
refused undefined-symbol "a symbol this cnnlab lacks" \
    "undefined symbol: cnn_function_from_the_future" \
    "rebuild it against this cnnlab"
refused init-fails "a failing init" \
    "(init-fails 1.0) failed to initialise: the test module refuses to start"
refused text "a text file named .so" "cannot load plugin"

# The same refusals from a manifest's plugins: carry the entry's place
# (line 7, column 11 of NAME.yaml).
listed() { # listed NAME ENTRY: `cnnlab check` with plugins: [ENTRY]
    { cat base.yaml; printf 'plugins: [%s]\n' "$2"; } > "$1.yaml"
    output=$("$CNNLAB" check "$1.yaml" 2>&1)
    status=$?
}
listed listed "$scratch/dir-abi-major/abi-major.so"
is "$status" 2 "plugins: [a module of another ABI]: exit status 2"
like "$output" "listed.yaml:7:11: plugin '$scratch/dir-abi-major/abi-major.so'" \
    "plugins: [...]: the entry's file:line:column and the module"
listed missing no-such-module.so
is "$status" 2 "plugins: [a missing module file]: exit status 2"
like "$output" "missing.yaml:7:11: cannot load plugin './no-such-module.so': No such file" \
    "a missing module file: place, the file (beside the manifest), the reason"
listed nodir no-such-directory
is "$status" 2 "plugins: [a missing directory]: exit status 2, not silently ignored"
like "$output" "nodir.yaml:7:11: plugins: './no-such-directory' is neither a module file (.so) nor a directory" \
    "a missing directory: place and the path (beside the manifest)"

# ---- a name registered twice -------------------------------------------
from_path "$scratch/dir-dup-first:$scratch/dir-dup-second"
is "$status" 2 "two modules registering 'twin': exit status 2"
like "$output" "$scratch/dir-dup-second/dup-second.so: loss 'twin' (cpu) is already registered by $scratch/dir-dup-first/dup-first.so; the first module keeps it" \
    "two modules: the message names both and says which one keeps the name"
from_path "$scratch/dir-dup-second:$scratch/dir-dup-first"
like "$output" "already registered by $scratch/dir-dup-second/dup-second.so" \
    "the first in \$CNNLAB_PLUGIN_PATH's order is the one that keeps it"
from_path "$scratch/dir-shadow"
is "$status" 2 "a module registering 'cross-entropy' again: exit status 2"
like "$output" "loss 'cross-entropy' (cpu) is already registered by $CNNLAB_BUILD_PLUGIN_DIR/losses.so; the first module keeps it" \
    "a built-in cannot be replaced: the built-in module keeps the name"
listed shadowing dir-shadow
is "$status" 2 "the same from a manifest's plugins: exit status 2"
like "$output" "shadowing.yaml:7:11: " "  with the entry's place"

# ---- the current directory is searched only when asked -----------------
# planted.so's constructor creates $CNNLAB_PLANTED_MARKER when the module
# is loaded at all, before any check could refuse it.
mkdir -p work/plugins/.libs work/.libs work/lib
for place in . plugins plugins/.libs .libs lib; do
    cp "$modules/planted.so" "work/$place/planted.so"
done
cp base.yaml work/run.yaml
export CNNLAB_PLANTED_MARKER="$scratch/planted-ran"
cd work || exit 1
for path in unset "" ":" "::" "$scratch/dir-dup-first:"; do  # unset: not in the environment
    rm -f "$CNNLAB_PLANTED_MARKER"
    if [ "$path" = unset ]; then
        listing=$("$CNNLAB" plugins 2>&1)
        "$CNNLAB" check run.yaml > /dev/null 2>&1
        "$CNNLAB" run --quiet --out results run.yaml > /dev/null 2>&1
    else
        listing=$(CNNLAB_PLUGIN_PATH="$path" "$CNNLAB" plugins 2>&1)
        CNNLAB_PLUGIN_PATH="$path" "$CNNLAB" check run.yaml > /dev/null 2>&1
    fi
    test ! -e "$CNNLAB_PLANTED_MARKER"
    ok $? "CNNLAB_PLUGIN_PATH='$path': no module in the current directory was loaded"
    case $listing in
    *planted*) ok 1 "CNNLAB_PLUGIN_PATH='$path': 'cnnlab plugins' lists none" ;;
    *) ok 0 "CNNLAB_PLUGIN_PATH='$path': 'cnnlab plugins' lists none" ;;
    esac
done
# Asked for, it is loaded: the checks above could see it.
rm -f "$CNNLAB_PLANTED_MARKER"
listing=$(CNNLAB_PLUGIN_PATH=. "$CNNLAB" plugins 2>&1)
test -e "$CNNLAB_PLANTED_MARKER"
ok $? "CNNLAB_PLUGIN_PATH=.: the current directory is searched when asked"
like "$listing" "planted" "  and 'cnnlab plugins' lists the module"

# A loss or optimizer defined without kernels for the run's device is
# refused by cnnlab check at its entry, saying which device lacks them.
for kind in loss optimizer; do
    { cat "$scratch/base.yaml"
      printf 'plugins: [%s]\n' "$scratch/dir-no-kernels/no-kernels.so"
      printf 'variants: [{name: v, train: {%s: no-kernels}}]\n' "$kind"; } \
        > "$scratch/kernels-$kind.yaml"
    output=$("$CNNLAB" check "$scratch/kernels-$kind.yaml" 2>&1)
    is "$?" 2 "a $kind without kernels: exit status 2"
    like "$output" "$kind 'no-kernels' has no kernels for cpu in the loaded modules" \
        "a $kind without kernels: says the CPU lacks them"
    like "$output" "kernels-$kind.yaml:8:" \
        "a $kind without kernels: names the manifest and the variant's line"
done

done_testing
