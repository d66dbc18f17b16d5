#!/bin/sh
# Batch norm in a whole run (the layers' numbers are
# t/test-layers-batchnorm's, PyTorch's are t/parity-torch.sh's): a model
# with batchnorm2d and batchnorm1d trains; model.safetensors holds the
# running statistics and num_batches_tracked (I64, one count per training
# batch) beside the parameters; run.json counts parameters only;
# `cnnlab eval` of the saved file gives the run's test accuracy (the
# running statistics are loaded); and the timing analysis, whose training
# forwards would move the running statistics, leaves them as they were
# for the analyses after it (saliency maps and classwise results equal a
# run without timing, byte for byte).
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cat > "$scratch/bn.yaml" <<'YAML'
name: bn
seed: 3
threads: 2
data: {loader: synthetic, classes: 4, channels: 3, size: 12, train: 96, val: 32, test: 32}
model:
  input: [3, 12, 12]
  layers:
    - conv2d: {out: 6, kernel: 3, padding: 1, bias: false}
    - batchnorm2d: {activation: relu}
    - maxpool2d: {kernel: 2}
    - flatten
    - linear: {out: 16}
    - batchnorm1d: {activation: relu}
    - linear: {out: 4}
train: {epochs: 2, batch: 16, optimizer: {sgd: {lr: 0.05, momentum: 0.9}}}
variants:
  - {name: plain, analyses: [classwise, saliency]}
  - {name: timed, analyses: [timing, classwise, saliency]}
YAML

"$CNNLAB" run --quiet --out "$scratch/results" "$scratch/bn.yaml" \
    > "$scratch/run.out" 2>&1
status=$?
is "$status" 0 "a model with batchnorm2d and batchnorm1d trains"
[ "$status" -eq 0 ] || sed 's/^/#   /' "$scratch/run.out" | tail -20
runs="$scratch/results/bn"

header=$(head -c 2000 "$runs/plain/model.safetensors" | tr -d '\000')
like "$header" '"1.running_mean":{"dtype":"F32","shape":[6]' \
    "model.safetensors: 1.running_mean, F32 [6]"
like "$header" '"5.running_var":{"dtype":"F32","shape":[16]' \
    "model.safetensors: 5.running_var, F32 [16]"
like "$header" '"1.num_batches_tracked":{"dtype":"I64","shape":[]' \
    "model.safetensors: num_batches_tracked, an I64 scalar"
field() { # field FILE KEY: a number of run.json or eval.json, as written
    sed -n "s/.*\"$2\": \([-0-9.e]*\).*/\1/p" "$1" | head -1
}
# conv 6*3*3*3 + bn 2*6 + linear 16*(6*6*6)+16 + bn 2*16 + linear 4*16+4
is "$(field "$runs/plain/run.json" parameters)" \
    $((162 + 12 + 3472 + 32 + 68)) \
    "run.json counts the parameters, not the running statistics"

"$CNNLAB" eval "$scratch/bn.yaml" --variant plain \
    --weights "$runs/plain/model.safetensors" --out "$scratch/eval" \
    > "$scratch/eval.out" 2>&1
is "$?" 0 "cnnlab eval takes the saved weights and running statistics"
[ -f "$scratch/eval/bn/plain/eval-test/eval.json" ] ||
    sed 's/^/#   /' "$scratch/eval.out"
eval_json="$scratch/eval/bn/plain/eval-test/eval.json"
is "$(field "$eval_json" accuracy)" "$(field "$runs/plain/run.json" test_accuracy)" \
    "eval's accuracy is the run's test accuracy"
is "$(field "$eval_json" loss)" "$(field "$runs/plain/run.json" test_loss)" \
    "eval's loss is the run's test loss (the running statistics loaded)"

for file in classwise.csv confusion.csv; do
    cmp "$runs/plain/$file" "$runs/timed/$file"
    ok $? "after the timing analysis: $file as without it"
done
saliency=$(cd "$runs/plain" && find . -path '*saliency*' -type f | sort)
ok "$([ -n "$saliency" ] && echo 0 || echo 1)" "saliency writes files"
same=0
for file in $saliency; do
    cmp -s "$runs/plain/$file" "$runs/timed/$file" || same=1
done
ok $same "after the timing analysis: every saliency file as without it"

done_testing
