#!/bin/sh
# Special files where a file is read (docs/reliability.md, "Special
# files"): a FIFO, a device, a folder or a broken symbolic link given as
# an image, an IDX file, a checkpoint (--weights, model.weights), a
# manifest, a cache, a results file or a plugin module is refused with a
# message naming it and its kind, never opened in a way that blocks.
# Every command runs under `timeout`, so a regression fails (status 124)
# instead of hanging the test suite. data.on_error: skip leaves FIFOs and
# dangling or looping symbolic links out of an image folder.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

tool=$(cd "${CNNLAB_BUILDDIR:-.}" && pwd)/tools/make-imagefolder
[ -x "$tool" ] || skip_all "tools/make-imagefolder is not built"
command -v mkfifo > /dev/null || skip_all "mkfifo is not installed"
command -v timeout > /dev/null || skip_all "timeout (coreutils) is not installed"
CNNLAB=$(cd "$(dirname "$CNNLAB")" && pwd)/cnnlab
cd "$scratch" || exit 1
limit=60

run() { # run ARGS...: cnnlab under timeout; out/err in last.out/last.err
    timeout "$limit" "$CNNLAB" "$@" > last.out 2> last.err
}

# refused STATUS WHAT NEEDLE...: the last command exited with STATUS and
# its message holds each NEEDLE
refused() {
    got=$1 expected=$2 what=$3
    shift 3
    is "$got" "$expected" "$what: refused with status $expected (124: it hung)"
    for needle in "$@"; do
        like "$(cat last.err)" "$needle" "$what: the message says '$needle'"
    done
}

"$tool" --source synthetic --classes 3 --train 4 --val 2 --test 2 --size 12 \
    --output data > make.log 2>&1
ok $? "a small JPEG folder is made"
cat > images.yaml <<'YAML'
name: images
seed: 1
threads: 1
data: {loader: imagefolder, root: data, size: 12, mean: [0.5], std: [0.5],
       cache: none}
model:
  input: [3, 12, 12]
  layers:
    - conv2d: {out: 4, kernel: 3, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 3}
train: {epochs: 1, batch: 4}
YAML
class=$(find data/train -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort | head -1)

# A FIFO named .jpg in a class folder.
mkfifo "$class/pipe.jpg"
run run --quiet --out r1 images.yaml
refused $? 1 "a FIFO named .jpg" "$class/pipe.jpg" "is a FIFO" \
    "not a regular file" "data.on_error: skip"
run run --quiet --out r2 images.yaml data.on_error=skip
is $? 0 "a FIFO named .jpg with data.on_error: skip: the run completes"
rm "$class/pipe.jpg"

# A character device named .jpg (a symbolic link to /dev/zero, whose
# reads never end).
if [ -c /dev/zero ]; then
    ln -s /dev/zero "$class/zero.jpg"
    run run --quiet --out r3 images.yaml
    refused $? 1 "a link to /dev/zero named .jpg" "$class/zero.jpg" \
        "character device"
    rm "$class/zero.jpg"
fi

# A dangling and a looping symbolic link named .jpg.
ln -s nowhere.jpg "$class/dangling.jpg"
run run --quiet --out r4 images.yaml
refused $? 1 "a dangling symbolic link" "$class/dangling.jpg" \
    "symbolic link" "data.on_error: skip"
run run --quiet --out r5 images.yaml data.on_error=skip
is $? 0 "a dangling symbolic link with data.on_error: skip: the run completes"
rm "$class/dangling.jpg"
ln -s loop-b.jpg "$class/loop-a.jpg"
ln -s loop-a.jpg "$class/loop-b.jpg"
run run --quiet --out r6 images.yaml
refused $? 1 "looping symbolic links" "$class/loop-a.jpg" "symbolic link"
run run --quiet --out r7 images.yaml data.on_error=skip
is $? 0 "looping symbolic links with data.on_error: skip: the run completes"
rm "$class/loop-a.jpg" "$class/loop-b.jpg"

# A FIFO as data.cache.
mkfifo cache.pipe
run run --quiet --out r8 images.yaml data.cache=cache.pipe
refused $? 1 "a FIFO as data.cache" "cache.pipe" "is a FIFO"
rm cache.pipe

# A FIFO as an IDX file: the training labels, the first file the loader
# reads (the other three are empty files, never reached).
mkdir idx
mkfifo idx/train-labels-idx1-ubyte
for base in train-images-idx3-ubyte t10k-images-idx3-ubyte \
    t10k-labels-idx1-ubyte; do
    : > "idx/$base"
done
cat > idx.yaml <<'YAML'
name: idx
seed: 1
data: {loader: idx, root: idx}
model:
  input: [1, 28, 28]
  layers: [flatten, {linear: {out: 10}}]
train: {epochs: 1, batch: 4}
YAML
run run --quiet --out r9 idx.yaml
refused $? 1 "a FIFO as an IDX file" "idx/train-labels-idx1-ubyte" "is a FIFO"

# A FIFO as a checkpoint: cnnlab eval --weights and model.weights.
cat > ck.yaml <<'YAML'
name: ck
seed: 1
threads: 1
data: {loader: synthetic, classes: 3, channels: 3, size: 8, train: 48,
       val: 24, test: 24, mean: [0.5], std: [0.5]}
model:
  input: [3, 8, 8]
  layers: [flatten, {linear: {out: 3}}]
train: {epochs: 1, batch: 16}
YAML
mkfifo weights.safetensors
run eval ck.yaml --weights weights.safetensors --out e
refused $? 2 "a FIFO as eval --weights" "weights.safetensors" "is a FIFO"
run run --quiet --out r10 ck.yaml model.weights=weights.safetensors
refused $? 1 "a FIFO as model.weights" "weights.safetensors" "is a FIFO"
[ ! -e r10/ck/main/run.json ]
ok $? "a FIFO as model.weights: nothing was written"
run eval ck.yaml --weights . --out e
refused $? 2 "a folder as eval --weights" "is a folder"

# A FIFO as the manifest.
mkfifo pipe.yaml
run check pipe.yaml
refused $? 2 "a FIFO as the manifest" "pipe.yaml" "is a FIFO"

# A FIFO named .so in a plugin folder.
mkdir plugins
mkfifo plugins/pipe.so
CNNLAB_PLUGIN_PATH=$PWD/plugins run plugins
refused $? 2 "a FIFO named .so in CNNLAB_PLUGIN_PATH" "pipe.so" "is a FIFO"
cat > plug.yaml <<'YAML'
name: plug
plugins: [plugins/pipe.so]
data: {loader: synthetic, classes: 3, channels: 3, size: 8, train: 48,
       val: 24, test: 24}
model:
  input: [3, 8, 8]
  layers: [flatten, {linear: {out: 3}}]
YAML
run check plug.yaml
refused $? 2 "a FIFO named .so in plugins:" "pipe.so" "is a FIFO"

# FIFOs among a run's results: the table and the comparison do not block.
run run --quiet --out res ck.yaml
is $? 0 "a run for the results cases completes"
rm res/ck/main/metrics.csv res/ck/main/run.json
mkfifo res/ck/main/metrics.csv res/ck/main/run.json
run table res/ck
got=$?
[ "$got" -ne 124 ]
ok $? "a FIFO as run.json and metrics.csv: cnnlab table ends (status $got)"
run compare res/ck/main res/ck/main
got=$?
[ "$got" -ne 124 ]
ok $? "a FIFO as run.json and metrics.csv: cnnlab compare ends (status $got)"
run run --quiet --out res ck.yaml
got=$?
[ "$got" -ne 124 ]
ok $? "a FIFO as run.json: a rerun into the directory ends (status $got)"

done_testing
