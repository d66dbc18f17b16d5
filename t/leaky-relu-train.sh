#!/bin/sh
# leaky-relu in training (the layer's numbers are t/test-layers-leaky's):
# with slope 0 it is relu, so a model that has it where another has relu
# trains to the same bytes (metrics.csv and model.safetensors: the same
# seed, data, initial weights and float operations); with slope 0.1 it
# trains other weights, and summary.txt shows PyTorch's repr.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cat > "$scratch/leaky.yaml" <<'YAML'
name: leaky
seed: 3
threads: 2
data: {loader: synthetic, classes: 4, channels: 3, size: 12, train: 128, val: 32, test: 32}
model:
  input: [3, 12, 12]
  layers:
    - conv2d: {out: 6, kernel: 3, padding: 1}
    - relu
    - maxpool2d: {kernel: 2}
    - conv2d: {out: 8, kernel: 3}
    - relu
    - flatten
    - linear: {out: 4}
train: {epochs: 2, batch: 16, optimizer: {sgd: {lr: 0.05, momentum: 0.9}}}
variants:
  - {name: relu}
  - {name: slope0, model: {layers: {1: {leaky-relu: {slope: 0}}, 4: {leaky-relu: {slope: 0}}}}}
  - {name: slope01, model: {layers: {1: {leaky-relu: {slope: 0.1}}, 4: {leaky-relu: {slope: 0.1}}}}}
analyses: [summary]
YAML

"$CNNLAB" run --quiet --out "$scratch/results" "$scratch/leaky.yaml" \
    > "$scratch/run.out" 2>&1
status=$?
is "$status" 0 "the relu and leaky-relu variants train"
[ "$status" -eq 0 ] || sed 's/^/#   /' "$scratch/run.out" | tail -20
runs="$scratch/results/leaky"
is "$(grep -c '^ *slope: 0$' "$runs/slope0/manifest.yaml" 2>&1)" 2 \
    "the slope0 variant has leaky-relu with slope 0 in both places"
cmp "$runs/relu/metrics.csv" "$runs/slope0/metrics.csv"
ok $? "slope 0: metrics.csv is byte-identical to relu's"
cmp "$runs/relu/model.safetensors" "$runs/slope0/model.safetensors"
ok $? "slope 0: model.safetensors is byte-identical to relu's"
cmp -s "$runs/relu/model.safetensors" "$runs/slope01/model.safetensors"
is "$?" 1 "slope 0.1 trains other weights than relu"
like "$(cat "$runs/slope01/summary.txt" 2>&1)" \
    "  (leaky): LeakyReLU(negative_slope=0.1)" \
    "summary.txt: one shared LeakyReLU module, as PyTorch prints it"
like "$(cat "$runs/slope01/summary.txt" 2>&1)" \
    "         LeakyReLU-2            [-1, 6, 12, 12]               0" \
    "summary.txt: its torchsummary row"

done_testing
