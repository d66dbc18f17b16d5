#!/bin/sh
# The core's folders are layers (core/local.mk): each file includes
# headers of its own folder and of the folders before it in
#   base config plugin model train analysis run report cli
# and never one after it, so there is no include circle between concepts
# and each folder can be read knowing only the ones before. Each offending
# include is named with its file and line. The checker first proves it can
# fail on a planted file.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"
src="${CNNLAB_SRCDIR:-.}"
layers="base config plugin model train analysis run report cli"

rank() { # rank FOLDER: its place in $layers, or nothing
    i=0
    for layer in $layers; do
        i=$((i + 1))
        [ "$layer" = "$1" ] && { echo $i; return; }
    done
}

# check FOLDER FILE...: the includes of FILEs (in FOLDER) that go up.
check() {
    folder=$1; shift
    own=$(rank "$folder")
    grep -Hn '^#include "[a-z_]*/[a-z_]*\.h"' "$@" | while IFS= read -r line; do
        target=$(printf '%s\n' "$line" | sed 's/.*#include "\([a-z_]*\)\/.*/\1/')
        [ "$target" = cnnlab ] && continue
        # The one header from outside core: the command (not the core
        # library) draws `cnnlab table`'s curves across seeds with the
        # curves analysis's charts (core/local.mk).
        case "$folder:${line#*#include }" in
        'cli:"analyses/plot.h"') continue ;;
        esac
        theirs=$(rank "$target")
        if [ -z "$theirs" ]; then
            echo "${line%%:#*}: includes $target/, which is not a core folder"
        elif [ "$theirs" -gt "$own" ]; then
            echo "${line%%:#*}: $folder/ includes $target/, which comes after it ($layers)"
        fi
    done
}

folders=$(cd "$src/core" && for d in */; do echo "${d%/}"; done)
is "$(echo $folders | tr ' ' '\n' | sort | tr '\n' ' ')" \
   "$(echo $layers | tr ' ' '\n' | sort | tr '\n' ' ')" \
   "core/ has exactly the folders of the layer order"

printf '#include "run/runner.h"\n' > "$scratch/planted.c"
like "$(check model "$scratch/planted.c")" "planted.c:1: model/ includes run/" \
    "a planted upward include is reported with its file and line"

for folder in $folders; do
    found=$(check "$folder" "$src/core/$folder"/*.[ch])
    is "$found" "" "core/$folder/ includes only itself and the folders before it"
    [ -z "$found" ] || echo "$found" | sed 's/^/#   /'
done
# Nothing in core/ includes a header by its bare name from another folder
# (every core include names its folder).
bare=$(grep -Hn '^#include "[a-z_]*\.h"' "$src"/core/*/*.[ch] | while IFS= read -r line; do
    file=${line%%:*}
    name=$(printf '%s\n' "$line" | sed 's/.*#include "\(.*\)".*/\1/')
    [ -e "$(dirname "$file")/$name" ] || echo "$line"
done)
is "$bare" "" "every include of a core header names its folder"
done_testing
