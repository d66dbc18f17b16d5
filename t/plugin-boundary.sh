#!/bin/sh
# The plugin boundary (docs/design.md): a plugin, in tree or out, includes
# only the public headers (include/cnnlab/) and headers of its own folder,
# and the build compiles every plugin with -I include only. Each #include
# of every plugin source is resolved as the compiler would with those
# flags; one that reaches core/ or does not resolve is a failure naming
# the file and line. The checker first proves it can fail, on a planted
# plugin that includes a private header.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"
src="${CNNLAB_SRCDIR:-.}"

# check_includes FILE...: prints "FILE:LINE: #include X: why" per violation.
check_includes() {
    for file in "$@"; do
        dir=$(dirname "$file")
        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$file" |
        while IFS= read -r line; do
            number=${line%%:*}
            name=$(printf '%s\n' "$line" | sed 's/^[^<"]*[<"]\([^>"]*\)[>"].*/\1/')
            case "$line" in *'"'*) quoted=1 ;; *) quoted=0 ;; esac
            if [ -e "$src/core/$name" ]; then
                echo "$file:$number: #include $name: a private core header (core/$name); plugins see only include/cnnlab/"
            elif [ "$quoted" = 1 ] && [ -e "$dir/$name" ]; then
                case "$(cd "$dir" && cd "$(dirname "$name")" && pwd -P)/" in
                "$(cd "$src/core" && pwd -P)"/*)
                    echo "$file:$number: #include $name: reaches into core/" ;;
                esac
            elif [ "$quoted" = 1 ] && [ -e "$src/include/$name" ]; then
                :
            elif [ "$quoted" = 1 ]; then
                echo "$file:$number: #include \"$name\": not in the file's folder nor in include/ (the only paths a plugin is built with)"
            fi
        done
    done
}

sources=$(find "$src/plugins" "$src/examples/plugins" "$src/t/plugins" \
    -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' | sort)
count=$(echo "$sources" | wc -l)
[ "$count" -gt 50 ]
ok $? "found the plugin sources ($count files)"

# The checker can fail: a planted plugin with a private include.
mkdir -p "$scratch/plugin"
printf '#include "cnnlab/layer.h"\n#include "model/model.h"\n#include "mine.h"\n' \
    > "$scratch/plugin/bad.c"
planted=$(check_includes "$scratch/plugin/bad.c")
like "$planted" 'bad.c:2: #include model/model.h: a private core header' \
    "a planted private include is reported with its file and line"
like "$planted" 'bad.c:3: #include "mine.h": not in the file' \
    "and an include the plugin flags cannot find"

# shellcheck disable=SC2086
found=$(check_includes $sources)
is "$found" "" "no plugin source includes a private header"
[ -z "$found" ] || echo "$found" | sed 's/^/#   /'

# Every plugin target compiles with $(PLUGIN_CPPFLAGS) (-I include only).
wrong=""
for mk in "$src"/plugins/*/local.mk "$src"/t/*.mk; do
    for target in $(sed -n 's/^\([a-z0-9_]*_la\)_SOURCES *=.*/\1/p' "$mk"); do
        case "$target" in libcnnlab*) continue ;; esac
        grep -q "^${target}_CPPFLAGS = \$(PLUGIN_CPPFLAGS)" "$mk" ||
            wrong="$wrong $mk:$target"
    done
done
is "$wrong" "" "every plugin target is compiled with PLUGIN_CPPFLAGS"
grep -q '^PLUGIN_CPPFLAGS = -I$(top_srcdir)/include$' "$src/Makefile.am"
ok $? "PLUGIN_CPPFLAGS is -I include alone"

done_testing
