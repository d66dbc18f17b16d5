#!/bin/sh
# Bash completion (completion/cnnlab): commands, options, manifests,
# and --variant/--profile names read from the manifest. Runs the
# completion function in a plain bash (no bash-completion package), as
# bash does on TAB.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

command -v bash > /dev/null 2>&1 || skip_all "no bash"
script="${CNNLAB_SRCDIR:-.}/completion/cnnlab"

mkdir -p "$scratch/work/results"
cat > "$scratch/work/sweep.yaml" <<'YAML'
name: sweep
variants:
  - {name: narrow, model: {layers: []}}
  - name: "wide"
    train: {epochs: 2}
  # - name: commented
profiles:
  smoke:
    train: {epochs: 1}
  full: {train: {epochs: 9}}
analyses: []
YAML
: > "$scratch/work/notes.txt"

complete_words() { # complete_words WORD...: what TAB offers after them
    (cd "$scratch/work" && bash --norc --noprofile -c '
        . "$0" || exit 1
        complete -p cnnlab > /dev/null || exit 1
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _cnnlab
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
        "$script" "$@")
}

is "$(complete_words cnnlab r)" "report rf run " \
    "cnnlab r<TAB>: report, rf and run"
is "$(complete_words cnnlab com)" "compare " "cnnlab com<TAB>: compare"
like "$(complete_words cnnlab run --j)" "--jobs --json" \
    "cnnlab run --j<TAB>: run's options"
is "$(complete_words cnnlab run '')" "results sweep.yaml " \
    "cnnlab run <TAB>: manifests and directories, not other files"
is "$(complete_words cnnlab run sweep.yaml --variant '')" "narrow wide " \
    "--variant <TAB>: the manifest's variant names"
is "$(complete_words cnnlab run --out results sweep.yaml --profile '')" \
    "full smoke " "--profile <TAB>: the manifest's profiles"
is "$(complete_words cnnlab eval sweep.yaml --split v)" "val " \
    "--split <TAB>: the splits"
is "$(complete_words cnnlab compare r)" "results " \
    "compare <TAB>: directories"
is "$(complete_words cnnlab report --)" "--help --no-pdf --out " \
    "cnnlab report --<TAB>: report's options"
is "$(complete_words cnnlab report '')" "results " \
    "report <TAB>: directories"

done_testing
