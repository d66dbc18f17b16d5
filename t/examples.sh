#!/bin/sh
# The plugin author's path (docs/plugin-guide.md) end to end: install
# cnnlab, build the three example plugins of examples/plugins with their own
# Makefiles against it through pkg-config, load them through
# CNNLAB_PLUGIN_PATH, check the hardtanh layer numerically (forward and
# backward against float64, gradients by central differences, and [0, a
# bound no input reaches] training bit for bit as relu), train a manifest
# with it and run the
# weight-norms analysis, whose L2 norms are checked against the weights
# the run saved, and train with the clip-sgd optimizer (clip 0 is sgd, bit
# for bit).
#
# Two ways to run: under `make check` it installs the build tree with
# DESTDIR into a scratch directory (so the installed cnnlab is pointed at
# its plugins with CNNLAB_BUILD_PLUGIN_DIR, and at its library with
# LD_LIBRARY_PATH); under `make installcheck` (CNNLAB_INSTALLED=yes, which
# distcheck runs on a real --prefix) it uses the installed tree as it is,
# so it also checks that the installed cnnlab finds its own plugins.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

for tool in pkg-config make cc nm; do
    command -v "$tool" > /dev/null 2>&1 || skip_all "$tool is not installed"
done
[ -n "${CNNLAB_LIBDIR:-}" ] || skip_all "CNNLAB_LIBDIR is not set (run through make check)"

# Where everything is once installed (root is the DESTDIR, or empty).
if [ "${CNNLAB_INSTALLED:-no}" = yes ]; then
    root=
else
    root="$scratch/root"
    # The test runs inside `make check`: the nested make must not inherit
    # the outer one's job server or flags.
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
        make -C "$CNNLAB_BUILDDIR" install DESTDIR="$root" \
        > "$scratch/install.log" 2>&1
    status=$?
    is "$status" 0 "make install DESTDIR=... succeeds"
    [ "$status" -eq 0 ] || sed 's/^/#   /' "$scratch/install.log" | tail -20
fi
bindir="$root$CNNLAB_BINDIR"
libdir="$root$CNNLAB_LIBDIR"
plugindir="$root$CNNLAB_PKGLIBDIR"

for file in "$bindir/cnnlab" "$libdir/libcnnlab.so" "$libdir/pkgconfig/cnnlab.pc" \
    "$root$CNNLAB_INCLUDEDIR/cnnlab/plugin.h" "$root$CNNLAB_INCLUDEDIR/cnnlab/cnnlab.h" \
    "$plugindir/layers.so" "$plugindir/analyses.so" \
    "$root$CNNLAB_MANDIR/man1/cnnlab.1" "$root$CNNLAB_MANDIR/man5/cnnlab-manifest.5" \
    "$root$CNNLAB_PKGDATADIR/experiments/quickstart.yaml" \
    "$root$CNNLAB_PKGDATADIR/experiments/part-a/best.yaml" \
    "$root$CNNLAB_DOCDIR/reference.md" "$root$CNNLAB_DOCDIR/plugin-guide.md" \
    "$root$CNNLAB_DOCDIR/examples/plugins/hardtanh/Makefile" \
    "$root$CNNLAB_DOCDIR/examples/plugins/weight-norms/weight_norms.c"; do
    test -s "$file"
    ok $? "installed: ${file#"$root"}"
done

# pkg-config as a plugin author uses it; PKG_CONFIG_SYSROOT_DIR maps the
# installed paths into the DESTDIR (empty: the paths themselves).
PKG_CONFIG_PATH="$libdir/pkgconfig"
PKG_CONFIG_SYSROOT_DIR="$root"
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
is "$(pkg-config --variable=plugindir cnnlab)" "$plugindir" \
    "pkg-config: plugindir is the installed plugin directory"
like "$(pkg-config --cflags --libs cnnlab)" "-I$root$CNNLAB_INCLUDEDIR" \
    "pkg-config: --cflags names the installed headers"
like "$(pkg-config --cflags --libs cnnlab)" "-L$libdir -lcnnlab" \
    "pkg-config: --libs links the installed libcnnlab"

# The installed cnnlab, never the build tree's plugins.
unset CNNLAB_PLUGIN_PATH
if [ -n "$root" ]; then
    installed() {
        LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
            CNNLAB_BUILD_PLUGIN_DIR="$plugindir" "$bindir/cnnlab" "$@"
    }
else
    installed() { env -u CNNLAB_BUILD_PLUGIN_DIR "$bindir/cnnlab" "$@"; }
fi
listing=$(installed plugins 2>&1)
like "$listing" "$plugindir/layers.so" \
    "the installed cnnlab loads its plugins from $CNNLAB_PKGLIBDIR"

# Build the examples as a plugin author would: a copy of the installed
# examples, their own Makefiles, warnings as errors.
examples="$scratch/examples"
mkdir -p "$examples"
cp -R "$root$CNNLAB_DOCDIR/examples/plugins/hardtanh" \
    "$root$CNNLAB_DOCDIR/examples/plugins/weight-norms" \
    "$root$CNNLAB_DOCDIR/examples/plugins/clip-sgd" "$examples/"
chmod -R u+w "$examples"
for name in hardtanh weight-norms clip-sgd; do
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$examples/$name" \
        CFLAGS="-O2 -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes" \
        > "$scratch/$name.log" 2>&1
    status=$?
    is "$status" 0 "examples/plugins/$name builds with its Makefile and pkg-config"
    [ "$status" -eq 0 ] || sed 's/^/#   /' "$scratch/$name.log"
    is "$(nm -D --defined-only "$examples/$name/$name.so" 2>&1 | awk '$3 !~ /^_/ { print $3 }')" \
        cnn_plugin_entry "$name.so exports cnn_plugin_entry only"
done
hardtanh="$examples/hardtanh"
norms="$examples/weight-norms"

# Without CNNLAB_PLUGIN_PATH the layer is unknown, at its place in the
# manifest; with it both plugins are listed.
installed check "$hardtanh/hardtanh.yaml" > "$scratch/unknown.out" 2>&1
is "$?" 2 "without CNNLAB_PLUGIN_PATH the manifest does not check"
like "$(cat "$scratch/unknown.out")" "hardtanh.yaml:" \
    "the error names the manifest's file"
like "$(cat "$scratch/unknown.out")" "unknown layer 'hardtanh'" \
    "the error names the layer"
CNNLAB_PLUGIN_PATH="$hardtanh:$norms"
export CNNLAB_PLUGIN_PATH
listing=$(installed plugins 2>&1)
like "$listing" "$hardtanh/hardtanh.so (hardtanh 1.0.0)" \
    "cnnlab plugins lists the layer from CNNLAB_PLUGIN_PATH"
like "$listing" "$norms/weight-norms.so (weight-norms 1.0.0)" \
    "cnnlab plugins lists the analysis from CNNLAB_PLUGIN_PATH"
like "$(installed plugins --markdown 2>&1)" \
    '| `max_val` | float | `1` | any | upper bound, above min\_val' \
    "cnnlab plugins --markdown documents the plugin's keys"
# Its setup's check, before anything trains, at the layer's place.
sed 's/{min_val: 0, max_val: 6}/{min_val: 6, max_val: 0}/' \
    "$hardtanh/hardtanh.yaml" > "$hardtanh/bounds.yaml"
installed check "$hardtanh/bounds.yaml" > "$scratch/bounds.out" 2>&1
is "$?" 2 "hardtanh {min_val: 6, max_val: 0} is refused by cnnlab check"
like "$(cat "$scratch/bounds.out")" "bounds.yaml:44:13: variant relu6: layer hardtanh1 (hardtanh): min_val 6 is not below max_val 0; lower min_val or raise max_val" \
    "the refusal is the plugin's setup message, at the layer"

# The layer's numbers, through the core's layer harness.
check="$CNNLAB_BUILDDIR/t/plugin-layer-check"
if [ -x "$check" ]; then
    "$check" "$hardtanh/hardtanh.so" > "$scratch/check.out" 2>&1
    status=$?
    sed 's/^/#   /' "$scratch/check.out" | grep -v '^#   ok '
    failures=$(grep -c '^not ok' "$scratch/check.out")
    passes=$(grep -c '^ok' "$scratch/check.out")
    [ "$status" -eq 0 ] && [ "$failures" -eq 0 ] && [ "$passes" -ge 10 ]
    ok $? "hardtanh: forward, backward and central differences ($passes checks, $failures failed)"
else
    echo "ok $((tap_count += 1)) - hardtanh numeric checks # SKIP t/plugin-layer-check is not built"
fi

# Training with the layer: both variants of the example manifest.
results="$scratch/results"
installed run --quiet --out "$results" "$hardtanh/hardtanh.yaml" \
    > "$scratch/hardtanh.out" 2>&1
status=$?
is "$status" 0 "the hardtanh example manifest trains"
[ "$status" -eq 0 ] || sed 's/^/#   /' "$scratch/hardtanh.out" | tail -20
accuracy=$(sed -n 's/.*"test_accuracy": \([0-9.]*\).*/\1/p' "$results/hardtanh/relu6/run.json")
awk -v a="${accuracy:-0}" 'BEGIN { exit !(a >= 60) }'
ok $? "the relu6 variant learns: test accuracy ${accuracy:-?}% (chance 25%, at least 60 expected)"
like "$(cat "$results/hardtanh/relu6/summary.txt" 2>&1)" \
    "Hardtanh(min_val=0.0, max_val=6.0)" "summary.txt shows the plugin's PyTorch repr"

# [0, 1e30] is relu: no input reaches the upper bound, so training must
# give the same bytes as the relu variant (the same seed, data, initial
# weights and float operations).
sed 's/max_val: 6}/max_val: 1e30}/' "$hardtanh/hardtanh.yaml" > "$hardtanh/relu.yaml"
installed run --quiet --out "$scratch/as-relu" --variant relu6 "$hardtanh/relu.yaml" \
    > "$scratch/as-relu.out" 2>&1
status=$?
is "$status" 0 "the relu6 variant trains with max_val 1e30"
[ "$status" -eq 0 ] || sed 's/^/#   /' "$scratch/as-relu.out" | tail -20
is "$(grep -c 'max_val: 1e30' "$scratch/as-relu/hardtanh/relu6/manifest.yaml" 2>&1)" 2 \
    "the resolved manifest has max_val 1e30 in both hardtanh layers"
cmp "$results/hardtanh/relu/metrics.csv" "$scratch/as-relu/hardtanh/relu6/metrics.csv"
ok $? "[0, 1e30]: metrics.csv is byte-identical to relu's"
cmp "$results/hardtanh/relu/model.safetensors" \
    "$scratch/as-relu/hardtanh/relu6/model.safetensors"
ok $? "[0, 1e30]: model.safetensors is byte-identical to relu's"
cmp -s "$results/hardtanh/relu/model.safetensors" \
    "$results/hardtanh/relu6/model.safetensors"
is "$?" 1 "[0, 6] trains other weights than relu"

# The analysis: its files, its outcome in run.json, its numbers.
installed run --quiet --out "$results" "$norms/weight-norms.yaml" \
    > "$scratch/norms.out" 2>&1
status=$?
is "$status" 0 "the weight-norms example manifest trains and analyses"
[ "$status" -eq 0 ] || sed 's/^/#   /' "$scratch/norms.out" | tail -20
run_dir="$results/weight-norms/main"
like "$(cat "$run_dir/run.json" 2>&1)" '"weight-norms": "ok"' \
    "run.json records the analysis as ok"
is "$(sed -n 1p "$run_dir/weight-norms.csv" 2>&1)" \
    "tensor,layer,type,shape,count,sum,mean,l2,max_abs" "weight-norms.csv: header"
is "$(sed 1d "$run_dir/weight-norms.csv" 2>&1 | cut -d, -f1 | tr '\n' ' ')" \
    "0.weight 0.bias 2.weight 2.bias 4.weight 4.bias " \
    "weight-norms.csv: a row per parameter tensor, in model order"
like "$(cat "$run_dir/weight-norms.md" 2>&1)" "| 2.weight | conv2 | conv2d | [16, 8, 3, 3] | 1152 |" \
    "weight-norms.md: a Markdown row per tensor"

# The L2 norm of each tensor from model.safetensors itself: the JSON
# header gives each tensor's byte range, od prints its float32 values.
# Relative tolerance 1e-6: the analysis sums in double, od prints 9 digits.
safetensors="$run_dir/model.safetensors"
header_length=$(od -An -tu8 -N8 "$safetensors" | tr -d ' ')
header=$(head -c $((8 + header_length)) "$safetensors" | tail -c "$header_length")
for key in 0.weight 2.bias 4.weight; do
    range=$(printf '%s' "$header" | sed -n "s/.*\"$key\":{[^}]*\"data_offsets\":\[\([0-9]*\),\([0-9]*\)\].*/\1 \2/p")
    set -- $range
    if [ $# -ne 2 ]; then
        ok 1 "$key: L2 norm matches model.safetensors"
        echo "#   no data_offsets for $key in the header: $header"
        continue
    fi
    want=$(od -An -v -tf4 -j $((8 + header_length + $1)) -N $(($2 - $1)) "$safetensors" |
        awk '{ for (i = 1; i <= NF; i++) s += $i * $i } END { printf "%.9g", sqrt(s) }')
    got=$(awk -F, -v k="$key" '$1 == k { print $(NF - 1) }' "$run_dir/weight-norms.csv")
    awk -v g="${got:-nan}" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(w > 0 && d <= 1e-6 * w) }'
    ok $? "$key: L2 norm $got matches $want from model.safetensors"
done

# Its parameter is checked like every other: out of range, before training.
installed check "$norms/weight-norms.yaml" 'analyses=[{weight-norms: {digits: 12}}]' \
    > "$scratch/digits.out" 2>&1
is "$?" 2 "weight-norms {digits: 12} is refused"
like "$(cat "$scratch/digits.out")" "digits" "the error names the parameter"

# The optimizer example (ABI 3.0: a definition that parses its settings
# once, a CPU kernel that reads them). Its parse refuses a clip that would
# freeze every weight, in cnnlab check, at the optimizer's entry; with
# clip 0 it trains exactly as the built-in sgd without momentum; with a
# small clip it trains differently.
clip="$examples/clip-sgd"
CNNLAB_PLUGIN_PATH="$clip" installed check "$clip/clip-sgd.yaml" \
    'train.optimizer={clip-sgd: {lr: 0.05, clip: 1e-9}}' \
    > "$scratch/clip-check.out" 2>&1
is "$?" 2 "clip-sgd: a clip below lr * 1e-6 is refused by cnnlab check"
like "$(cat "$scratch/clip-check.out")" "clip-sgd.yaml:" \
    "clip-sgd: the refusal names the manifest"
like "$(cat "$scratch/clip-check.out")" "clip 1e-09 is below lr * 1e-6" \
    "clip-sgd: the refusal is the plugin's parse message"
CNNLAB_PLUGIN_PATH="$clip" installed run --quiet --out "$scratch/clip" \
    "$clip/clip-sgd.yaml" > "$scratch/clip.out" 2>&1
status=$?
is "$status" 0 "the clip-sgd example manifest trains both variants"
[ "$status" -eq 0 ] || sed 's/^/#   /' "$scratch/clip.out" | tail -20
sed 's/optimizer: {clip-sgd: {lr: 0.05, clip: 0.001}}/optimizer: {sgd: {lr: 0.05}}/' \
    "$clip/clip-sgd.yaml" | sed '/^variants:/,$d' > "$clip/plain-sgd.yaml"
echo "variants: [{name: unclipped}]" >> "$clip/plain-sgd.yaml"
installed run --quiet --out "$scratch/plain" "$clip/plain-sgd.yaml" \
    > "$scratch/plain.out" 2>&1
status=$?
is "$status" 0 "the same model trains with the built-in sgd"
[ "$status" -eq 0 ] || sed 's/^/#   /' "$scratch/plain.out" | tail -20
cmp "$scratch/clip/clip-sgd/unclipped/model.safetensors" \
    "$scratch/plain/clip-sgd/unclipped/model.safetensors"
ok $? "clip 0: model.safetensors is byte-identical to sgd's"
cmp "$scratch/clip/clip-sgd/unclipped/metrics.csv" \
    "$scratch/plain/clip-sgd/unclipped/metrics.csv"
ok $? "clip 0: metrics.csv is byte-identical to sgd's"
cmp -s "$scratch/clip/clip-sgd/clipped/model.safetensors" \
    "$scratch/clip/clip-sgd/unclipped/model.safetensors"
is "$?" 1 "clip 0.001 trains other weights than clip 0"

# The same layer with its CUDA kernels (make cuda, with nvcc): it builds
# against the installed headers with pkg-config, exports only its entry,
# and registers kernels for cuda. Running them needs a GPU: there, a run on
# cuda must complete; elsewhere that check is a skip.
if [ -z "${CNNLAB_NVCC:-}" ] || [ ! -x "$CNNLAB_NVCC" ]; then
    skip "examples/plugins/hardtanh builds with make cuda" \
        "no nvcc (configure found no CUDA)"
else
    cuda_hardtanh="$scratch/hardtanh-cuda"
    cp -R "$root$CNNLAB_DOCDIR/examples/plugins/hardtanh" "$cuda_hardtanh"
    chmod -R u+w "$cuda_hardtanh"
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$cuda_hardtanh" cuda \
        NVCC="$CNNLAB_NVCC" CUDA_HOME="$(dirname "$(dirname "$CNNLAB_NVCC")")" \
        CFLAGS="-O2 -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes" \
        > "$scratch/hardtanh-cuda.log" 2>&1
    status=$?
    is "$status" 0 "examples/plugins/hardtanh builds with make cuda (nvcc, pkg-config)"
    [ "$status" -eq 0 ] || sed 's/^/#   /' "$scratch/hardtanh-cuda.log" | tail -20
    is "$(nm -D --defined-only "$cuda_hardtanh/hardtanh-cuda.so" 2>&1 | awk '$3 !~ /^_/ { print $3 }')" \
        cnn_plugin_entry "hardtanh-cuda.so exports cnn_plugin_entry only"
    listing=$(CNNLAB_PLUGIN_PATH="$cuda_hardtanh" installed plugins 2>&1)
    like "$listing" "kernels  hardtanh       cuda  $cuda_hardtanh/hardtanh-cuda.so" \
        "its CUDA kernels are registered"
    like "$listing" "kernels  hardtanh       cpu   $cuda_hardtanh/hardtanh-cuda.so" \
        "beside its CPU kernels"
    if CNNLAB_PLUGIN_PATH="$cuda_hardtanh" installed check "$cuda_hardtanh/hardtanh.yaml" \
        device=cuda > "$scratch/cuda-check.out" 2>&1; then
        CNNLAB_PLUGIN_PATH="$cuda_hardtanh" installed run --quiet --out "$scratch/cuda-run" \
            "$cuda_hardtanh/hardtanh.yaml" device=cuda > "$scratch/cuda-run.out" 2>&1
        ok $? "the hardtanh manifest trains on cuda with the plugin's kernels"
    else
        skip "the hardtanh manifest trains on cuda with the plugin's kernels" \
            "no usable GPU: $(tail -1 "$scratch/cuda-check.out")"
    fi
fi

done_testing
