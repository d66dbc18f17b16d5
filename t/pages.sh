#!/bin/sh
# Report pages: `cnnlab run` writes results/<experiment>/index.html (the
# table, each variant's run.json metadata, analyses' outcomes, tables and
# pictures) and results/index.html; `cnnlab table DIR` rewrites the same
# bytes without training and picks up new analysis files; everything from
# files is HTML-escaped; every picture and link resolves (t/pages-check);
# headless Chromium loads the pages with no broken picture and renders a
# screenshot (skipped when chromium is missing or CNNLAB_WITH_CHROMIUM=0).
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"
check="${CNNLAB_BUILDDIR:-.}/t/pages-check"

cat > "$scratch/tiny.yaml" <<'YAML'
name: tiny
seed: 3
threads: 1
data: {loader: synthetic, classes: 3, channels: 3, size: 8, train: 96,
       val: 48, test: 48, mean: [0.5], std: [0.5]}
model:
  input: [3, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 3}
train: {epochs: 2, batch: 16, optimizer: {sgd: {lr: 0.05, momentum: 0.9}}}
variants:
  - {name: a_b}
  - {name: wide, model: {layers: [{conv2d: {out: 12, kernel: 3, activation: relu}},
                                  {globalpool: {mode: avg}}, {linear: {out: 3}}]}}
analyses: [summary, classwise, curves]
YAML

out="$scratch/results"
dir="$out/tiny"
page="$dir/index.html"
"$CNNLAB" run --quiet --out "$out" "$scratch/tiny.yaml" \
    > "$scratch/stdout" 2> "$scratch/stderr"
status=$?
is "$status" 0 "the smoke manifest runs"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/stderr"
test -s "$page"
ok $? "run writes results/tiny/index.html"
test -s "$out/index.html"
ok $? "run writes results/index.html"

html=$(cat "$page" 2>/dev/null)
like "$html" '<th class="r">test (%)</th>' "the page has the experiment's table"
like "$html" '<a href="table.csv">table.csv</a>' "the page links table.csv"
for variant in a_b wide; do
    like "$html" "<h2>$variant</h2>" "a section for variant $variant"
    like "$html" "<a href=\"$variant/run.json\">run.json</a>" \
        "the page links $variant/run.json"
done
for field in device threads seed 'cnnlab version' 'git revision' started \
    finished 'test accuracy (%)' plugins; do
    like "$html" "<tr><th>$field</th><td>" "run metadata: $field"
done
like "$html" '<tr><th>profile</th><td>none</td></tr>' \
    "run metadata: no --profile shows as none"
like "$html" '<tr><td>curves</td><td>ok</td></tr>' "the analyses' outcomes"
for analysis in summary classwise curves; do
    is "$(grep -c "<h3>$analysis</h3>" "$page")" 2 \
        "a $analysis section for each variant"
done
like "$html" '<td><strong>all</strong></td>' "classwise.md as an HTML table"
like "$html" 'Conv2d-1' "summary.txt as preformatted text"

pngs=$(ls "$dir"/*/*.png | wc -l | tr -d ' ')
is "$pngs" 4 "the run wrote four curves PNGs"
"$check" "$page" "$out/index.html" > "$scratch/check.out"
status=$?
ok "$status" "t/pages-check: every picture and link of both pages resolves"
sed 's/^/# /' "$scratch/check.out"
like "$(cat "$scratch/check.out")" "$page: $pngs images ($pngs embedded, 0 linked)" \
    "every PNG is on the page, embedded"
like "$(cat "$out/index.html")" '<a href="tiny/index.html">tiny</a></td><td class="r">2</td><td class="r">2</td>' \
    "results/index.html lists the experiment: 2 variants, 2 complete"

# The checker can fail: a corrupt embedded picture, a missing file, a
# missing anchor, something loaded from elsewhere.
bad="$dir/bad.html"
sed 's/base64,iVBOR/base64,AAAAA/' "$page" > "$bad"
"$check" "$bad" > "$scratch/bad.out"
is "$?" 1 "t/pages-check rejects a data: URI that is not a PNG"
for extra in '<a href="wide/nothing.csv">x</a>' '<a href="#nowhere">x</a>' \
    '<img src="https://example.org/x.png">'; do
    sed "s|<h1>|$extra<h1>|" "$page" > "$bad"
    "$check" "$bad" > "$scratch/bad.out"
    is "$?" 1 "t/pages-check rejects $extra"
done
rm -f "$bad"

# Regenerated from the results alone: the same bytes.
cp "$page" "$scratch/page.before"
cp "$out/index.html" "$scratch/index.before"
rm -f "$page" "$out/index.html"
"$CNNLAB" table "$dir" > "$scratch/stdout" 2> "$scratch/stderr"
is "$?" 0 "cnnlab table succeeds"
cmp -s "$page" "$scratch/page.before"
ok $? "cnnlab table rewrites the experiment's page byte for byte"
cmp -s "$out/index.html" "$scratch/index.before"
ok $? "cnnlab table rewrites results/index.html byte for byte"

# A new analysis's files appear without code changes, grouped by name,
# escaped, and linked with their names percent-encoded.
cp "$dir/a_b/curves-loss.png" "$dir/a_b/extra-plot #1.png"
printf '# <b>Extra</b>\n\n| name | value |\n|---|---:|\n| <script>x</script> | a&b |\n' \
    > "$dir/a_b/extra.md"
"$CNNLAB" table "$dir" > "$scratch/stdout" 2> "$scratch/stderr"
html=$(cat "$page")
like "$html" '<h3>extra</h3>' "an unknown analysis gets its own section"
like "$html" '<td>&lt;script&gt;x&lt;/script&gt;</td><td class="r">a&amp;b</td>' \
    "its table is HTML-escaped"
like "$html" '<h4>&lt;b&gt;Extra&lt;/b&gt;</h4>' "its heading is HTML-escaped"
case "$html" in *'<script>'*|*'<b>Extra'*) ok 1 "no markup from files" ;;
*) ok 0 "no markup from files" ;; esac
like "$html" 'href="a_b/extra-plot%20%231.png"' "file names are percent-encoded"
"$check" "$page" > "$scratch/check.out"
status=$?
ok "$status" "t/pages-check passes with the new files"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/check.out"
like "$(cat "$scratch/check.out")" "5 images (5 embedded" "the new PNG is embedded"

# A picture too large to embed is linked; a .png that is not one is a
# note, never a broken picture (in a copy, kept out of the browser test).
cp -R "$out" "$scratch/copy"
copy="$scratch/copy/tiny"
{ printf '\211PNG\r\n\032\n'; head -c 5000000 /dev/zero; } > "$copy/wide/big-x.png"
echo "not a picture" > "$copy/wide/bogus-x.png"
"$CNNLAB" table "$copy" > "$scratch/stdout" 2> "$scratch/stderr"
html=$(cat "$copy/index.html")
like "$html" '<img alt="big-x.png" src="wide/big-x.png">' \
    "a PNG over 4 MiB is linked, not embedded"
like "$html" 'not a PNG picture: <a href="wide/bogus-x.png">' \
    "a .png that is not a PNG is a note"
"$check" "$copy/index.html" > "$scratch/check.out"
status=$?
ok "$status" "t/pages-check passes with a linked picture"
[ "$status" -eq 0 ] || sed 's/^/# /' "$scratch/check.out"
like "$(cat "$scratch/check.out")" "(5 embedded, 1 linked)" "the checker saw the link"

# ---- headless Chromium ------------------------------------------------
chromium=$(command -v chromium || command -v chromium-browser)
why=""
if [ "${CNNLAB_WITH_CHROMIUM:-1}" = 0 ]; then
    why="CNNLAB_WITH_CHROMIUM=0"
    chromium=""
elif [ -z "$chromium" ]; then
    why="no chromium (scripts/install-deps installs it)"
fi
if [ -n "$why" ]; then
    for check in "Chromium renders every picture of the experiment's page" \
        "Chromium loads results/index.html" \
        "the probe counts a broken picture" \
        "the screenshot is a PNG of the window's size" \
        "the screenshot is not blank"; do
        tap_count=$((tap_count + 1))
        echo "ok $tap_count - $check # SKIP $why"
    done
fi
browse() { # browse OPTIONS... URL: headless chromium, its log in $scratch
    HOME="$scratch" timeout 120 "$chromium" --headless --no-sandbox \
        --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
        --user-data-dir="$scratch/chromium" "$@" 2> "$scratch/chromium.log"
}
# After the load event (every picture decoded or failed), count the
# pictures that did not render: the page itself needs no script.
probe='<script>window.addEventListener("load",function(){var n=document.images.length,bad=0;for(var i=0;i<n;i++){var m=document.images[i];if(!m.complete||m.naturalWidth===0)bad++;}document.body.setAttribute("data-check","images "+n+" broken "+bad);});</script>'
rendered() { # rendered PAGE: "images N broken M" as Chromium saw PAGE
    probe_page="$(dirname "$1")/.probe.html"
    sed "s#</body>#$probe</body>#" "$1" > "$probe_page"
    browse --virtual-time-budget=10000 --dump-dom "file://$probe_page" |
        sed -n 's/.*data-check="\([^"]*\)".*/\1/p'
    rm -f "$probe_page"
}
png_size() { # png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk
    od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d", (($1*256+$2)*256+$3)*256+$4, (($5*256+$6)*256+$7)*256+$8 }'
}
if [ -n "$chromium" ]; then
    got=$(rendered "$page")
    is "$got" "images 5 broken 0" \
        "Chromium renders every picture of the experiment's page"
    [ "$got" = "images 5 broken 0" ] ||
        tail -5 "$scratch/chromium.log" | sed 's/^/# /'
    is "$(rendered "$out/index.html")" "images 0 broken 0" \
        "Chromium loads results/index.html"
    # The probe itself can fail: a picture that is not one.
    sed 's|<h1>|<img alt="x" src="data:image/png;base64,iVBORw0KGgoAAAAAAAAAAA=="><h1>|' \
        "$page" > "$dir/broken.html"
    is "$(rendered "$dir/broken.html")" "images 6 broken 1" \
        "the probe counts a broken picture"
    rm -f "$dir/broken.html"
    # A screenshot of the page next to one of an empty page of the same
    # size: the page's must be a PNG of the window's size and hold far
    # more (text, tables, curves) than a blank one compresses to.
    printf '<!DOCTYPE html><html><body></body></html>\n' > "$scratch/blank.html"
    browse --window-size=1200,3000 --screenshot="$scratch/blank.png" \
        "file://$scratch/blank.html" > /dev/null
    browse --window-size=1200,3000 --screenshot="$scratch/page.png" \
        "file://$page" > /dev/null
    is "$(png_size "$scratch/page.png" 2>/dev/null)" "1200x3000" \
        "the screenshot is a PNG of the window's size"
    page_bytes=$(wc -c < "$scratch/page.png" 2>/dev/null || echo 0)
    blank_bytes=$(wc -c < "$scratch/blank.png" 2>/dev/null || echo 0)
    [ "$blank_bytes" -gt 0 ] && [ "$page_bytes" -gt $((blank_bytes * 5)) ]
    ok $? "the screenshot is not blank ($page_bytes bytes, blank $blank_bytes)"
    [ -n "${CNNLAB_PAGES_SCREENSHOT:-}" ] && cp "$scratch/page.png" "$CNNLAB_PAGES_SCREENSHOT"
fi

done_testing
