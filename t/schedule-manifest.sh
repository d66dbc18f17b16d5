#!/bin/sh
# train.schedule in manifests and overrides: good ones pass `cnnlab check`;
# bad ones are refused with exit status 2 and file:line:column.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

manifest() { # manifest SCHEDULE-LINE: a tiny manifest with that schedule
    cat <<YAML
name: sched
data: {loader: synthetic, classes: 2, channels: 1, size: 8, train: 16, val: 8, test: 8}
model: {input: [1, 8, 8], layers: [flatten, {linear: {out: 2}}]}
train:
  epochs: 4
  optimizer: {adam: {lr: 0.01}}
$1
YAML
}

check() { # check NAME SCHEDULE-LINE [OVERRIDES...]
    name=$1
    manifest "$2" > "$scratch/$name.yaml"
    shift 2
    output=$("$CNNLAB" check "$scratch/$name.yaml" "$@" 2>&1)
    status=$?
}

check none "  schedule: none"
is "$status" 0 "schedule: none passes"
check cosine "  schedule: {cosine: {min: 0.01, warmup: 1}}"
is "$status" 0 "a cosine schedule passes"
check multistep "  schedule: {multistep: {milestones: [1, 3], gamma: 0.5}}"
is "$status" 0 "a multistep schedule passes"
check step "  schedule:
    step: {every: 2}"
is "$status" 0 "a step schedule in block style passes"

check typo "  schedule: {cosin: {min: 0}}"
is "$status" 2 "misspelt kind: exit status 2"
like "$output" "typo.yaml:7:14:" "misspelt kind: file:line:column of the kind"
like "$output" "did you mean 'cosine'?" "misspelt kind: did-you-mean"

check param "  schedule: {step: {every: 2, gama: 0.5}}"
is "$status" 2 "misspelt parameter: exit status 2"
like "$output" "param.yaml:7:31:" "misspelt parameter: file:line:column"
like "$output" "did you mean 'gamma'?" "misspelt parameter: did-you-mean"

check order "  schedule: {multistep: {milestones: [3, 2]}}"
is "$status" 2 "decreasing milestones: exit status 2"
like "$output" "order.yaml:7:42:" "decreasing milestones: the element's place"
like "$output" "milestones must increase" "decreasing milestones: says so"

check range "  schedule: {cosine: {min: 2}}"
is "$status" 2 "min out of range: exit status 2"
like "$output" "range.yaml:7:28:" "min out of range: file:line:column"

check missing "  schedule: step"
is "$status" 2 "step without every: exit status 2"
like "$output" "every" "step without every: names the parameter"

check override "  schedule: none" 'train.schedule={cosine: {warmpu: 1}}'
is "$status" 2 "a bad override: exit status 2"
like "$output" "command line" "a bad override: names the command line"
like "$output" "did you mean 'warmup'?" "a bad override: did-you-mean"

check bad-adam "  schedule: none" 'train.optimizer={adam: {betas: [0.9]}}'
is "$status" 2 "adam with one beta: exit status 2"
like "$output" "betas takes two values" "adam with one beta: says so"

check bad-eps "  schedule: none" 'train.optimizer={adam: {eps: 0}}'
is "$status" 2 "adam with eps 0: exit status 2"
like "$output" "bad-eps.yaml" "adam with eps 0: names the manifest"

# The linear scaling rule: lr 0.01 at reference batch 4, trained at batch
# 16, is lr 0.04 (a factor of 4 is exact in float: the same bytes), and
# metrics.csv's lr column shows the rate used.
scaling() { # scaling OUT OVERRIDES...: trains the tiny manifest with sgd
    out=$1
    shift
    manifest "" > "$scratch/scaling.yaml"
    "$CNNLAB" run --quiet --out "$scratch/$out" "$scratch/scaling.yaml" \
        'train.optimizer={sgd: {lr: 0.01, momentum: 0.9}}' train.epochs=2 \
        train.batch=16 "$@" > "$scratch/$out.out" 2>&1 ||
        sed 's/^/# /' "$scratch/$out.out"
}
scaling scaled train.lr_reference_batch=4
scaling explicit 'train.optimizer={sgd: {lr: 0.04}}'
cmp -s "$scratch/scaled/sched/main/model.safetensors" \
    "$scratch/explicit/sched/main/model.safetensors"
ok $? "lr 0.01 scaled from batch 4 to 16 trains as lr 0.04"
like "$(sed -n 2p "$scratch/scaled/sched/main/metrics.csv")" ",0.04" \
    "metrics.csv shows the scaled rate 0.04"
scaling unscaled
cmp -s "$scratch/scaled/sched/main/model.safetensors" \
    "$scratch/unscaled/sched/main/model.safetensors"
[ $? -ne 0 ]
ok $? "without lr_reference_batch the rate stays 0.01 (other weights)"
check negative "  schedule: none" train.lr_reference_batch=-1
is "$status" 2 "a negative lr_reference_batch is refused"

done_testing
