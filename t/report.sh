#!/bin/sh
# `cnnlab report`: one document (report.md, report.tex, report.pdf) of
# every experiment under a results directory, in the study's order.
# Small synthetic manifests stand in for the study's (they sit at
# experiments/part-a/best.yaml and so on, which is how the report knows
# its sections), so the whole test takes seconds: best and epochs of
# Part A and the three analyses of Part B, one experiment whose
# description and variant names hold LaTeX's special characters, two
# manifests with the same name, one with a stale and one with a missing
# variant. The checks: the sections in order, the missing ones named,
# the stale and incomplete marked, numbered captions naming manifest,
# profile and seeds, every picture link resolving to a PNG copy, the same
# bytes from the same results; then pdflatex's PDF (pages, every section
# title and caption number, the pictures), a failing and a missing
# pdflatex. The PDF checks are skipped without pdflatex.
# t/part-a-smoke.sh builds the report of the real manifests' smoke runs.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

exp="$scratch/experiments"
out="$scratch/results"
mkdir -p "$exp/part-a" "$exp/part-b" "$exp/other"

# A tiny model with two convs, so that filters and ablation have layers.
tiny() { # tiny NAME DESCRIPTION: the common part of the manifests
    cat <<YAML
name: $1
description: "$2"
seed: 4
threads: 1
data: {loader: synthetic, classes: 3, channels: 3, size: 12, train: 24,
       val: 12, test: 12, mean: [0.5], std: [0.5]}
YAML
}
model='model:
  input: [3, 12, 12]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - conv2d: {out: 6, kernel: 3, activation: relu}
    - globalpool
    - linear: {out: 3}
train: {epochs: 2, batch: 8, optimizer: {sgd: {lr: 0.05, momentum: 0.9}}}'

{ tiny best "A.7 stand-in: the best model"; echo "$model"
  echo "analyses: [summary, classwise, curves]"
  echo "profiles: {smoke: {train: {epochs: 1}}}"; } > "$exp/part-a/best.yaml"
{ tiny epochs "A.5 stand-in"; echo "$model"
  echo "table: {epochs: [1, 2], epoch_seconds: true}"
  echo "analyses: [curves]"; } > "$exp/part-a/epochs.yaml"
{ tiny occlusion "B.1 stand-in"; echo "model: {from: part-a/best}"
  echo "analyses: [{occlusion: {window: 5, stride: 4, images: [0, 1]}}]"
  echo "profiles: {smoke: {}}"; } > "$exp/part-b/occlusion.yaml"
{ tiny filters "B.2 stand-in"; echo "model: {from: part-a/best}"
  echo "analyses: [{filters: {layers: [conv1, conv2], random: 2, top: 3}}]"
  echo "profiles: {smoke: {}}"; } > "$exp/part-b/filters.yaml"
{ tiny ablation "B.3 stand-in"; echo "model: {from: part-a/best}"
  echo "analyses: [{ablation: {layers: [conv2], random: 2, misses: 3}}]"
  echo "profiles: {smoke: {}}"; } > "$exp/part-b/ablation.yaml"
# Every character LaTeX treats specially, in the description and in
# variant names; Markdown's too.
special='100% of a_b & c #1 {x} ~y ^z \\ $5 <b> | `q` --opt *e*'
{ tiny specials "$special"; echo "$model"
  echo "analyses: [summary]"
  echo "variants: [{name: a_b}, {name: 'c-d.e'}]"; } > "$exp/other/specials.yaml"
# Two manifests named alike: results/twin/ holds both.
{ tiny twin "the first twin"; echo "$model"
  echo "variants: [{name: one}]"; } > "$exp/other/twin.yaml"
{ tiny twin "the second twin"; echo "$model"
  echo "variants: [{name: two}]"; } > "$exp/other/twin-two.yaml"
# One variant made stale, one never run.
{ tiny partial "stale and missing variants"; echo "$model"
  echo "variants: [{name: kept}, {name: edited}, {name: never}]"; } \
    > "$exp/other/partial.yaml"

run() { # run MANIFEST [OPTIONS]: cnnlab run into $out, quietly
    manifest=$1
    shift
    "$CNNLAB" run --quiet --out "$out" "$exp/$manifest" "$@" \
        > "$scratch/run.out" 2> "$scratch/run.err"
    status=$?
    ok $status "run $manifest $*"
    [ $status -eq 0 ] || sed 's/^/#   /' "$scratch/run.err"
}
run part-a/best.yaml --profile smoke
run part-a/epochs.yaml
for m in occlusion filters ablation; do
    run part-b/$m.yaml --profile smoke
done
run other/specials.yaml
run other/twin.yaml
run other/twin-two.yaml
run other/partial.yaml --variant kept
run other/partial.yaml --variant edited
# "edited" as if its manifest had changed since: its digest no longer
# matches experiment.yaml's.
sed '/name: edited/{n;s/manifest: .*/manifest: 0000000000000000/;}' \
    "$out/partial/experiment.yaml" > "$scratch/e.yaml" &&
    mv "$scratch/e.yaml" "$out/partial/experiment.yaml"
grep -q 'manifest: 0000000000000000' "$out/partial/experiment.yaml"
ok $? "partial/edited's digest is changed"

have_pdflatex=0
command -v pdflatex > /dev/null 2>&1 && have_pdflatex=1
doc="$scratch/report"
"$CNNLAB" report "$out" --out "$doc" > "$scratch/stdout" 2> "$scratch/stderr"
status=$?
is "$status" 0 "report succeeds"
[ $status -eq 0 ] || sed 's/^/#   /' "$scratch/stderr"
like "$(cat "$scratch/stdout")" "report: $doc/report.md, report.tex" \
    "it says what it wrote"
like "$(cat "$scratch/stderr")" \
    "note: 5 of the study's sections have no results" \
    "it notes the missing sections"
md="$doc/report.md"
test -s "$md" && test -s "$doc/report.tex"
ok $? "report.md and report.tex are written"

# The headings in order: the study's sections (missing ones too), then
# the others by name; the twins' directory twice, once per manifest.
headings=$(sed -n 's/^### //p' "$md" | tr '\n' '/')
is "$headings" "A.1 Number of conv layers/A.2 Number of fully connected layers/A.3 Number of filters/A.4 Max pooling/A.5 Training time (epochs)/A.6 Stride/A.7 The best model/B.1 Occlusion sensitivity/B.2 Filter identification/B.3 Filter ablation/partial/specials/twin/twin/" \
    "the sections in the study's order, then the others by name"
for section in conv-layers fc-layers filters maxpool stride; do
    grep -q "^> \*\*Missing:\*\* no results of \`experiments/part-a/$section.yaml\`" "$md"
    ok $? "the missing section of part-a/$section.yaml names its manifest"
done
is "$(grep -c '^> \*\*Missing:\*\*' "$md")" 5 "five sections are missing"
grep -q "^\`\`cnnlab run $exp/part-a/epochs.yaml\`\`\|Results in \`$out/epochs\`: 1 of 1 variant complete" "$md"
ok $? "A.5 says where its results are"

# Captions: numbered from 1 without gaps, each naming what made it.
for kind in Table Figure Listing; do
    numbers=$(sed -n "s/^\*\*$kind \([0-9]*\)\.\*\* .*/\1/p" "$md" | tr '\n' ' ')
    count=$(echo "$numbers" | wc -w)
    is "$numbers" "$(seq -s ' ' 1 "$count") " "$kind captions are numbered 1 to $count"
    eval "${kind}_count=$count"
done
[ "$Table_count" -ge 10 ] && [ "$Figure_count" -ge 6 ] && [ "$Listing_count" -ge 3 ]
ok $? "tables, figures and listings ($Table_count, $Figure_count, $Listing_count)"
unnamed=$(grep -E '^\*\*(Table|Figure|Listing) [0-9]+\.\*\*' "$md" |
    grep -vc 'Made by `')
is "$unnamed" 0 "every caption says which manifest made it"
grep -q "^\*\*Table [0-9]*\.\*\* best: .*Made by \`$exp/part-a/best.yaml\`, profile \`smoke\`, seed 4\.$" "$md"
ok $? "the best model's table: manifest, profile smoke, seed 4"
grep -q "^\*\*Table [0-9]*\.\*\* epochs: .*, no profile, seed 4\.$" "$md"
ok $? "a run without --profile says so"
grep -q "^\*\*Figure [0-9]*\.\*\* occlusion/main: .*Made by \`$exp/part-b/occlusion.yaml\`, profile \`smoke\`" "$md"
ok $? "an occlusion figure's caption"
grep -q "^\*\*Figure [0-9]*\.\*\* filters/main: the test images that excite filters .* of conv1 most" "$md"
ok $? "a filters figure groups one layer's filters"
grep -q "^\*\*Table [0-9]*\.\*\* filters/main: the receptive field of each layer" "$md"
ok $? "the filters run shows its model's receptive fields"
grep -A6 "^\*\*Table [0-9]*\.\*\* filters/main: the receptive field" "$md" |
    grep -q '^| conv2 | conv2d | \[6, 8, 8\] | 5 | 1 | 0 |$'
ok $? "conv2's receptive field is 5 pixels"
grep -q "^\*\*Listing [0-9]*\.\*\* best/main: the model as torchsummary prints it" "$md"
ok $? "the model printout is a listing"
grep -q "^\*\*Table [0-9]*\.\*\* best/main: Class-wise accuracy on the test split" "$md"
ok $? "the class-wise table is captioned by its own first line"
grep -q "^\*\*Figure [0-9]*\.\*\* ablation/main: misses with filters" "$md"
ok $? "the ablation pictures"

# Every picture link is a PNG copy in figures/, and every copy is linked.
links=$(grep -o '](figures/[^)]*)' "$md" | sed 's/^](//; s/)$//')
bad=0
for link in $links; do
    head -c 8 "$doc/$link" 2> /dev/null | od -An -c | grep -q 'P   N   G' ||
        { bad=$((bad + 1)); echo "#   $link"; }
done
is "$bad" 0 "every picture link resolves to a PNG"
is "$(echo "$links" | wc -l)" "$(ls "$doc/figures" | wc -l)" \
    "one copy per picture link"
# The contents link every part and section heading, by GitHub's rule:
# lower case, spaces to '-', other punctuation dropped, repeats numbered.
sed -n 's/^#\{1,\} //p' "$md" | tr -d '\\' | awk '{
    slug = tolower($0); gsub(/[^a-z0-9 _-]/, "", slug); gsub(/ /, "-", slug)
    if (slug in seen) { seen[slug]++; slug = slug "-" seen[slug] - 1 }
    else seen[slug] = 1
    print slug }' > "$scratch/anchors"
anchors_bad=0
for anchor in $(sed -n 's/.*](#\([^)]*\))$/\1/p' "$md"); do
    grep -qxF "$anchor" "$scratch/anchors" ||
        { anchors_bad=$((anchors_bad + 1)); echo "#   #$anchor"; }
done
is "$anchors_bad" 0 "every contents link names a heading"

# Stale, incomplete and shared results are said, not dropped.
grep -q '^> \*\*Stale:\*\* 1 of 3 variants (`edited`)' "$md"
ok $? "the stale variant is named"
grep -q '^| edited  *| *- *| *- *| *- *| *- *| stale  *|$' "$md"
ok $? "the table marks it stale"
grep -q '^> \*\*Incomplete:\*\* 1 of 3 variants (`never` not run)' "$md"
ok $? "the variant never run is named"
is "$(grep -c '^> \*\*Shared directory:\*\* `'"$out"'/twin` also holds' "$md")" 2 \
    "both twins say they share a directory"
grep -q '^#### twin/two$' "$md" && grep -q '^#### twin/one$' "$md"
ok $? "both twins' runs are shown"

# Text from files is escaped: in Markdown and in LaTeX.
grep -qF '100% of a_b & c \#1 {x} \~y ^z \\ $5 \<b\> \| \`q\` --opt \*e\*' "$md"
ok $? "the description is escaped for Markdown"
tex="$doc/report.tex"
grep -qF '100\% of a\_b \& c \#1 \{x\} \textasciitilde{}y \textasciicircum{}z \textbackslash{} \$5 \textless{}b\textgreater{} | \textasciigrave{}q\textasciigrave{} -{}-opt *e*' "$tex"
ok $? "the description is escaped for LaTeX"
grep -q 'specials/a\\_b' "$tex"
ok $? "variant names are escaped for LaTeX"

# The same results give the same bytes; an earlier report's stale
# copies go, other files stay.
cp "$md" "$scratch/first.md"
cp "$tex" "$scratch/first.tex"
: > "$doc/figures/999-old.png"
: > "$doc/figures/notes.txt"
"$CNNLAB" report "$out" --out "$doc" --no-pdf > /dev/null 2>&1
cmp -s "$md" "$scratch/first.md" && cmp -s "$tex" "$scratch/first.tex"
ok $? "the same results give the same report.md and report.tex"
test ! -e "$doc/figures/999-old.png" && test -e "$doc/figures/notes.txt"
ok $? "a copy no longer linked is removed, a file of another name kept"
leftovers=$(find "$doc" -name '.*' ! -name . | wc -l)
is "$leftovers" 0 "no temporary file or scratch folder is left"

# Errors and usage.
"$CNNLAB" report "$scratch/none" --out "$doc" --no-pdf > /dev/null \
    2> "$scratch/stderr"
is "$?" 1 "a missing results directory fails"
like "$(cat "$scratch/stderr")" "no results directory '$scratch/none'" \
    "the error names it"
"$CNNLAB" report --bogus > /dev/null 2>&1
is "$?" 2 "an unknown option is a usage error"
"$CNNLAB" report a b > /dev/null 2>&1
is "$?" 2 "two results directories are a usage error"
"$CNNLAB" report --help | grep -q '^Usage: cnnlab report'
ok $? "report --help"

# pdflatex missing: the documents, no PDF, a note that says how to get it.
mkdir -p "$scratch/bin"
PATH="$scratch/bin" "$CNNLAB" report "$out" --out "$scratch/nopdf" \
    > /dev/null 2> "$scratch/stderr"
is "$?" 0 "without pdflatex the report still succeeds"
test -s "$scratch/nopdf/report.tex" && test ! -e "$scratch/nopdf/report.pdf"
ok $? "without pdflatex: report.tex, no report.pdf"
like "$(cat "$scratch/stderr")" "no report.pdf: pdflatex is not installed" \
    "without pdflatex a note says so"

if [ $have_pdflatex -eq 0 ]; then
    for check in "report.pdf is written" "the PDF's pages" \
        "the PDF has every section" "the PDF has every caption" \
        "the PDF has every picture" "page 2 renders" "a failing pdflatex"; do
        skip "$check" "pdflatex is not installed (scripts/install-deps)"
    done
    done_testing
    exit
fi

pdf="$doc/report.pdf"
"$CNNLAB" report "$out" --out "$doc" > /dev/null 2> "$scratch/stderr"
test -s "$pdf" && head -c 5 "$pdf" | grep -q '%PDF-'
ok $? "report.pdf is written"
pages=$(pdfinfo "$pdf" 2> /dev/null | sed -n 's/^Pages: *//p')
pdftotext "$pdf" "$scratch/report.txt" 2> /dev/null
# A page starts with a form feed.
last_page=$(tr -cd '\f' < "$scratch/report.txt" | wc -c)
text=$(tr -d '\f' < "$scratch/report.txt")
[ -n "$pages" ] && [ "$pages" -ge 8 ] && [ "$pages" -le 30 ] &&
    [ "$last_page" -eq "$pages" ]
ok $? "the PDF's pages ($pages)"
missing=""
for heading in $(sed -n 's/^### //p' "$md" | tr ' ' '_'); do
    heading=$(echo "$heading" | tr '_' ' ')
    printf '%s' "$text" | grep -qxF "$heading" || missing="$missing [$heading]"
done
is "$missing" "" "the PDF has every section"
missing=""
for kind in Table Figure Listing; do
    eval "count=\$${kind}_count"
    for n in $(seq 1 "$count"); do
        printf '%s' "$text" | grep -q "^$kind $n: " || missing="$missing $kind-$n"
    done
done
is "$missing" "" "the PDF has every caption"
if command -v pdfimages > /dev/null 2>&1; then
    images=$(pdfimages -list "$pdf" 2> /dev/null | tail -n +3 | grep -vc ' smask ')
    is "$images" "$(ls "$doc/figures" | grep -c '\.png$')" \
        "the PDF has every picture"
else
    skip "the PDF has every picture" "pdfimages is not installed"
fi

# A page as a reader sees it: page 2 (Part A's first section) rendered
# at 60 dpi into $scratch/page-2.png is an A4 page (about 496x702) with ink on
# it; CNNLAB_REPORT_PAGE=FILE keeps it.
if command -v pdftoppm > /dev/null 2>&1; then
    pdftoppm -png -r 60 -f 2 -l 2 -singlefile "$pdf" "$scratch/page-2" \
        2> /dev/null
    size=$(od -An -tu1 -j16 -N8 "$scratch/page-2.png" 2> /dev/null |
        awk '{print $3 * 256 + $4 "x" $7 * 256 + $8}')
    bytes=$(wc -c < "$scratch/page-2.png" 2> /dev/null || echo 0)
    case $size in 49[5-7]x70[1-3]) a4=0 ;; *) a4=1 ;; esac
    [ $a4 -eq 0 ] && [ "$bytes" -gt 20000 ]
    ok $? "page 2 renders as an A4 page with ink on it ($size, $bytes bytes)"
    [ -n "${CNNLAB_REPORT_PAGE:-}" ] && cp "$scratch/page-2.png" "$CNNLAB_REPORT_PAGE"
else
    skip "page 2 renders" "pdftoppm is not installed"
fi

# A failing pdflatex: an error naming its log, and the earlier PDF kept.
cp "$pdf" "$scratch/before.pdf"
cat > "$scratch/bin/failing-pdflatex" <<'SH'
#!/bin/sh
for arg; do case $arg in -output-directory=*) dir=${arg#*=} ;; esac; done
printf 'This is a stand-in.\n! Undefined control sequence.\n' > "$dir/report.log"
exit 1
SH
chmod +x "$scratch/bin/failing-pdflatex"
PDFLATEX="$scratch/bin/failing-pdflatex" "$CNNLAB" report "$out" \
    --out "$doc" > /dev/null 2> "$scratch/stderr"
status=$?
is "$status" 1 "a failing pdflatex fails the report"
like "$(cat "$scratch/stderr")" "see $doc/report.log, which says: ! Undefined control sequence." \
    "the error names the log and its first error"
cmp -s "$pdf" "$scratch/before.pdf" && test -s "$doc/report.log"
ok $? "the earlier report.pdf is kept, the log beside it"
"$CNNLAB" report "$out" --out "$doc" > /dev/null 2>&1
test ! -e "$doc/report.log"
ok $? "a good build removes the failed build's log"
# An experiment with seeds: its table in the report is the seeded one, a
# row per variant with n and mean ± std and the comparison, not a row per
# run; and the document still compiles.
seeded="$scratch/seeded"
mkdir -p "$seeded"
cat > "$seeded/s.yaml" <<'YAML'
name: s
description: a seeded experiment
seeds: [1, 2]
threads: 1
data: {loader: synthetic, classes: 3, channels: 1, size: 8, train: 24, val: 6, test: 6}
model: {input: [1, 8, 8], layers: [flatten, {linear: {out: 3}}]}
train: {epochs: 1, batch: 8}
table: {compare: a}
analyses: [summary]
variants: [{name: a}, {name: b, train: {batch: 4}}]
YAML
"$CNNLAB" run --quiet --out "$seeded/results" "$seeded/s.yaml" > /dev/null 2>&1
"$CNNLAB" report "$seeded/results" --out "$seeded/doc" > /dev/null \
    2> "$scratch/stderr"
is "$?" 0 "a report of an experiment with seeds"
rows=$(grep -c '^| [ab] ' "$seeded/doc/report.md")
is "$rows" 2 "its table has a row per variant, not per run"
like "$(cat "$seeded/doc/report.md")" "| variant |   n |" "with the seeds' n"
like "$(cat "$seeded/doc/report.md")" "reference" "and the comparison to a"
like "$(cat "$seeded/doc/report.md")" "the mean ± sample std over each variant's n complete seeds" \
    "its caption says what the numbers are"
if [ "$have_pdflatex" -eq 1 ]; then
    test -s "$seeded/doc/report.pdf"
    ok $? "the seeded table compiles with pdflatex"
else
    skip "the seeded table compiles with pdflatex" "pdflatex is not installed"
fi
done_testing
