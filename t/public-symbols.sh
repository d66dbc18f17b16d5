#!/bin/sh
# libcnnlab exports exactly the functions declared in include/cnnlab/:
# the compiler lists the public headers' declarations (-aux-info), nm
# lists what libcnnlab.so and the cnnlab command export, and
# core/libcnnlab.sym (the export list the build uses) must equal both.
# A function added to a public header without its export, or exported
# without a declaration, fails here by name.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"
src="${CNNLAB_SRCDIR:-.}"
build="${CNNLAB_BUILDDIR:-.}"
library="$build/.libs/libcnnlab.so"
[ -r "$library" ] || skip_all "no shared libcnnlab in $build/.libs (built --disable-shared?)"
command -v nm > /dev/null || skip_all "nm (binutils) is not installed"

# The functions (not static inline) the public headers declare.
for header in "$src"/include/cnnlab/*.h; do
    echo "#include \"cnnlab/$(basename "$header")\""
done > "$scratch/all.c"
${CC:-cc} -std=gnu11 -fsyntax-only -aux-info "$scratch/aux" \
    -I "$src/include" "$scratch/all.c" 2> "$scratch/cc.err"
ok $? "the public headers compile on their own"
grep '^/\* [^ ]*include/cnnlab/' "$scratch/aux" | grep -v '\*/ static ' |
    sed -n 's/.*[ *]\(cnn_[a-z0-9_]*\) (.*/\1/p' | sort -u > "$scratch/declared"

dynamic_functions() { # FILE: the cnn_ functions it exports
    nm -D --defined-only "$1" | awk '$2 == "T" && $3 ~ /^cnn_/ { print $3 }' |
        sort -u
}
dynamic_functions "$library" > "$scratch/exported"
dynamic_functions "$build/cnnlab" > "$scratch/command"
sort -u "$src/core/libcnnlab.sym" > "$scratch/listed"

# differ A B WHAT: one failure line per name in one list and not the other
differ() {
    comm -3 "$1" "$2" | sed 's/^\t/+ /; s/^\([^+]\)/- \1/'
}
count=$(wc -l < "$scratch/declared")
[ "$count" -gt 100 ]
ok $? "the public headers declare $count functions"

# The comparison can fail: a name declared but not exported is reported.
{ cat "$scratch/declared"; echo cnn_planted_function; } | sort > "$scratch/planted"
like "$(differ "$scratch/planted" "$scratch/exported")" "- cnn_planted_function" \
    "a declared function that is not exported is reported by name"

for pair in "listed:declared" "exported:declared" "command:declared"; do
    list=${pair%%:*}
    out=$(differ "$scratch/declared" "$scratch/$list")
    is "$out" "" "core/libcnnlab.sym's functions are the public headers' ($list)"
    [ -z "$out" ] || echo "$out" | sed 's/^/#   (- declared only, + '"$list"' only) /'
done
# Nothing else with the cnn_ prefix leaves libcnnlab (no data, no
# internal function).
others=$(nm -D --defined-only "$library" | awk '$3 ~ /^cnn_/ && $2 != "T" { print $3 }')
is "$others" "" "libcnnlab.so exports no cnn_ data"
done_testing
