# Sourced by t/part-c-smoke.sh once every Part C manifest has run under
# --profile smoke into $scratch/results: what transfer.yaml and
# kernel-size.yaml are about shows in their outputs. (Not a test of its
# own: it needs those runs.)
results="$scratch/results"

# tensors FILE: "name sha256" per tensor of a safetensors file, sorted.
tensors() {
    python3 - "$1" <<'PY'
import hashlib, json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
header.pop("__metadata__", None)
for name in sorted(header):
    a, b = header[name]["data_offsets"]
    print(name, hashlib.sha256(raw[8 + n + a:8 + n + b]).hexdigest())
PY
}
# pick NAMES: the lines of the tensors named (prefixes "0." "2." ...).
pick() {
    pattern=$(echo "$1" | sed 's/ /|/g; s/\./\\./g')
    grep -E "^($pattern)"
}

transfer="$results/transfer"
table=$(cat "$transfer/table.md" 2> /dev/null)
for variant in pretrain scratch fine-tune-frozen fine-tune-all; do
    like "$table" "| $variant " "transfer: the table has a row for $variant"
done
like "$table" "Δ test vs scratch" "transfer: the table compares to scratch"
like "$(grep '^| pretrain ' "$transfer/table.md")" "other test images" \
    "transfer: pretrain (task A) gets no difference to scratch (task B)"
like "$(cat "$transfer/pretrain/seed-1/classwise.md")" "| class-4 |" \
    "transfer/pretrain: task A is classes 0-4"
like "$(cat "$transfer/scratch/seed-1/classwise.md")" "| class-9 |" \
    "transfer/scratch: task B is classes 5-9"
fingerprint() { sed -n 's/.*"fingerprint": "\([^"]*\)".*/\1/p' "$1" | head -1; }
a=$(fingerprint "$transfer/pretrain/seed-1/run.json")
b=$(fingerprint "$transfer/scratch/seed-1/run.json")
[ -n "$a" ] && [ "$a" != "$b" ]
ok $? "transfer: the two tasks' splits differ (fingerprints $a, $b)"

if command -v python3 > /dev/null 2>&1; then
    convs="0. 2. 4."
    for seed in 1 2; do
        pre=$(tensors "$transfer/pretrain/seed-$seed/model.safetensors")
        frozen=$(tensors "$transfer/fine-tune-frozen/seed-$seed/model.safetensors")
        all=$(tensors "$transfer/fine-tune-all/seed-$seed/model.safetensors")
        is "$(echo "$frozen" | pick "$convs")" "$(echo "$pre" | pick "$convs")" \
            "transfer/fine-tune-frozen/seed-$seed: the convs are pretrain's seed $seed, bit for bit"
        [ "$(echo "$frozen" | pick "9.")" != "$(echo "$pre" | pick "9.")" ]
        ok $? "transfer/fine-tune-frozen/seed-$seed: its head is not pretrain's"
        [ "$(echo "$all" | pick "$convs")" != "$(echo "$pre" | pick "$convs")" ]
        ok $? "transfer/fine-tune-all/seed-$seed: its convs learned"
    done
    # fine-tune-all's starting weights, saved by a run that only
    # evaluates them (no new head then): pretrain's of the same seed,
    # from a copy of the results (the override would retrain pretrain
    # with no epochs were its checkpoint missing).
    mkdir -p "$scratch/start/transfer/pretrain"
    cp -R "$transfer/pretrain/seed-2" "$scratch/start/transfer/pretrain/"
    "$CNNLAB" run --quiet --out "$scratch/start" \
        "${CNNLAB_SRCDIR:-.}/experiments/part-c/transfer.yaml" --profile smoke \
        --variant fine-tune-all --seed 2 train.epochs=0 model.new_head=false \
        > "$scratch/start.out" 2>&1 || sed 's/^/#   /' "$scratch/start.out"
    is "$(tensors "$scratch/start/transfer/fine-tune-all/seed-2/model.safetensors")" \
        "$(tensors "$transfer/pretrain/seed-2/model.safetensors")" \
        "transfer/fine-tune-all/seed-2 starts from pretrain/seed-2's weights"
else
    for what in "frozen convs are pretrain's" "fine-tune-all starts from pretrain's"; do
        skip "transfer: $what" "python3 reads the safetensors files"
    done
fi
like "$(cat "$transfer/fine-tune-all/seed-1/run.json")" \
    "pretrain/seed-1/model.safetensors" \
    "transfer/fine-tune-all/seed-1: run.json's weights_from names pretrain's seed 1"

# transfer --profile fashion: Fashion-MNIST's classes 5-9 by name, a few
# images, when the dataset is installed.
fashion=/usr/share/datasets/fashion-mnist
if [ -r "$fashion/train-images-idx3-ubyte.gz" ]; then
    "$CNNLAB" run --quiet --out "$scratch/fashion" \
        "${CNNLAB_SRCDIR:-.}/experiments/part-c/transfer.yaml" \
        --profile fashion --variant scratch --seed 1 data.limit=10 \
        data.val=5 train.epochs=1 train.eval_batch=10 'analyses=[classwise]' \
        > "$scratch/fashion.out" 2>&1 || sed 's/^/#   /' "$scratch/fashion.out"
    like "$(cat "$scratch/fashion/transfer/scratch/seed-1/classwise.md")" \
        "| Ankle boot |" "transfer --profile fashion: task B's classes by name"
else
    skip "transfer --profile fashion: task B's classes by name" \
        "Fashion-MNIST is not installed ($fashion)"
fi

# kernel-size: each variant's kernel, and the comparison to 5x5.
for pair in kernel-3:3 kernel-5:5 kernel-7:7; do
    variant=${pair%%:*} k=${pair#*:}
    like "$(cat "$results/kernel-size/$variant/summary.txt")" \
        "kernel_size=($k, $k)" "kernel-size/$variant: ${k}x$k convs"
done
