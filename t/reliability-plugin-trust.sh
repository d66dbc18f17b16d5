#!/bin/sh
# Plugin folders and files (issue 19, classes 8 and 10): a module built
# for another machine is named as such (glibc reports it as a missing
# file); a CNNLAB_PLUGIN_PATH entry that does not exist is an error, not
# skipped; a folder or module any user could write to is refused, since
# loading a module runs its code.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"
unset CNNLAB_PLUGIN_PATH
module="$CNNLAB_BUILD_PLUGIN_DIR/losses.so"
[ -r "$module" ] || skip_all "no built losses.so in $CNNLAB_BUILD_PLUGIN_DIR"
[ -r "$CNNLAB_TEST_PLUGIN_DIR/dup-first.so" ] ||
    skip_all "no test module dup-first.so in $CNNLAB_TEST_PLUGIN_DIR"

mkdir "$scratch/arch"
cp "$module" "$scratch/arch/other.so"
# e_machine (bytes 18-19) 183: AArch64, as a module built there has.
printf '\267\000' | dd of="$scratch/arch/other.so" bs=1 seek=18 conv=notrunc 2> /dev/null
output=$(CNNLAB_PLUGIN_PATH="$scratch/arch" "$CNNLAB" plugins 2>&1)
is "$?" 2 "a module built for another machine: exit 2"
like "$output" "other.so" "the error names the module"
like "$output" "built for another kind of machine" \
    "and says so, not that a library is missing"

output=$(CNNLAB_PLUGIN_PATH="$scratch/absent" "$CNNLAB" plugins 2>&1)
is "$?" 2 "a CNNLAB_PLUGIN_PATH entry that does not exist: exit 2"
like "$output" "CNNLAB_PLUGIN_PATH names '$scratch/absent': No such file or directory" \
    "the error names the entry and why"
: > "$scratch/file"
output=$(CNNLAB_PLUGIN_PATH="$scratch/file" "$CNNLAB" plugins 2>&1)
like "$output" "names '$scratch/file': not a folder" "an entry that is a file is named too"

mkdir "$scratch/open"
chmod 777 "$scratch/open"
output=$(CNNLAB_PLUGIN_PATH="$scratch/open" "$CNNLAB" plugins 2>&1)
is "$?" 2 "a plugin folder any user can write to: exit 2"
like "$output" "refusing the plugin folder '$scratch/open': it is writable by every user" \
    "the error names the folder and why"
like "$output" "chmod o-w" "and what to do"

mkdir "$scratch/mine"
cp "$CNNLAB_TEST_PLUGIN_DIR/dup-first.so" "$scratch/mine/dup-first.so"
chmod 666 "$scratch/mine/dup-first.so"
output=$(CNNLAB_PLUGIN_PATH="$scratch/mine" "$CNNLAB" plugins 2>&1)
is "$?" 2 "a module any user can write to: exit 2"
like "$output" "refusing the plugin '$scratch/mine/dup-first.so'" "the error names the module"
chmod 644 "$scratch/mine/dup-first.so"
output=$(CNNLAB_PLUGIN_PATH="$scratch/mine" "$CNNLAB" plugins 2>&1)
like "$output" "$scratch/mine/dup-first.so" \
    "the same module, writable by its owner only, loads"
done_testing
