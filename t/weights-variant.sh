#!/bin/sh
# model: {weights: {variant: V}} (a run starts from the weights variant V
# of the same experiment ended with, the same seed) and model.new_head
# (its head starts afresh even when the checkpoint's fits): what check
# refuses, at which file:line:column; the seed pairing; the order under
# --jobs; --variant alone training V first; the Slurm array's refusal.
# experiments/part-c/transfer.yaml's use of it is t/part-c-smoke.sh's.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

manifest() { # manifest EXTRA-VARIANT-LINES: two seeds, pretrain first
    cat <<YAML
name: wv
repeats: 2
data: {loader: synthetic, classes: 4, channels: 1, size: 8, train: 8, val: 4, test: 4}
model: {input: [1, 8, 8], layers: [{conv2d: {out: 2, kernel: 3}}, flatten, {linear: {out: 4}}]}
train: {epochs: 1, batch: 4, optimizer: {sgd: {lr: 0.1}}}
variants:
  - name: pretrain
$1
YAML
}

check() { # check VARIANT-LINES: sets $status and $output
    manifest "$1" > "$scratch/wv.yaml"
    output=$("$CNNLAB" check "$scratch/wv.yaml" 2>&1)
    status=$?
}

check "  - {name: tune, model: {weights: {variant: pretrain}, new_head: true}}"
is "$status" 0 "weights: {variant: pretrain} with new_head passes"
like "$output" "weights from variant pretrain, the same seed: results/wv/pretrain/seed-<s>/model.safetensors" \
    "check: each seed starts from pretrain's run of that seed"
check "  - {name: tune, model: {weights: {variant: pretrian}}}"
is "$status" 2 "an unknown variant is refused"
like "$output" "wv.yaml:8:45: variant tune: model.weights: this experiment has no variant 'pretrian'; did you mean 'pretrain'?" \
    "unknown variant: at its place, with a did-you-mean"
check "  - {name: tune, model: {weights: {variant: tune}}}"
like "$output" "cannot start from its own weights" "its own weights are refused"
manifest "" | sed 's/^  - name: pretrain$/  - {name: tune, model: {weights: {variant: pretrain}}}\n  - name: pretrain/' \
    > "$scratch/wv.yaml"
output=$("$CNNLAB" check "$scratch/wv.yaml" 2>&1)
like "$output" "which is listed after it: move pretrain above tune" \
    "a variant listed after is refused, saying what to move"
check "  - {name: tune, model: {weights: {variant: pretrain, seed: 1}}}"
like "$output" "model.weights: unknown key 'seed'" "{variant: V} takes nothing else"
check "  - {name: tune, model: {new_head: true}}"
is "$status" 2 "new_head without starting weights is refused"
like "$output" "wv.yaml:8:36: variant tune/seed-1: model.new_head starts the head afresh" \
    "new_head without weights: at its place"
check "  - {name: tune, model: {weights: {variant: pretrain}, new_head: yes please}}"
like "$output" "model.new_head is true or false" "new_head must be a bool"

# Training: --jobs 4 starts pretrain's seeds first; a tune seed waits for
# its own pretrain seed.
manifest "  - {name: tune, model: {weights: {variant: pretrain}, new_head: true}, train: {freeze: [conv1]}}" \
    > "$scratch/wv.yaml"
"$CNNLAB" run --out "$scratch/jobs" --jobs 4 "$scratch/wv.yaml" \
    > "$scratch/jobs.out" 2> "$scratch/jobs.err"
ok $? "run --jobs 4 succeeds"
for seed in 1 2; do
    first_tune=$(grep -n "^\[tune/seed-$seed\]" "$scratch/jobs.err" | head -1 | cut -d: -f1)
    done_line=$(grep -n "^\[pretrain/seed-$seed\] done" "$scratch/jobs.err" | cut -d: -f1)
    [ -n "$first_tune" ] && [ -n "$done_line" ] && [ "$first_tune" -gt "$done_line" ]
    ok $? "--jobs: tune/seed-$seed starts once pretrain/seed-$seed is done"
done
for seed in 1 2; do
    like "$(cat "$scratch/jobs/wv/tune/seed-$seed/run.json")" \
        "\"weights\": \"$scratch/jobs/wv/pretrain/seed-$seed/model.safetensors\"" \
        "tune/seed-$seed: run.json's weights_from is pretrain's seed $seed"
    like "$(cat "$scratch/jobs/wv/tune/seed-$seed/run.json")" "\"new_head\"" \
        "tune/seed-$seed: run.json records the new head"
done
# --variant tune alone, nothing trained: pretrain's seed trains first.
"$CNNLAB" run --quiet --out "$scratch/alone" --variant tune --seed 2 \
    "$scratch/wv.yaml" > "$scratch/alone.out" 2> "$scratch/alone.err"
ok $? "run --variant tune --seed 2 alone succeeds"
like "$(cat "$scratch/alone.err")" "is missing: training variant pretrain/seed-2 first" \
    "--variant alone: a note says pretrain's seed trains first"
test -s "$scratch/alone/wv/pretrain/seed-2/model.safetensors" &&
    test ! -e "$scratch/alone/wv/pretrain/seed-1"
ok $? "--variant alone: only that seed of pretrain is trained"

# Slurm: an array would run both at once; refused, saying what to submit.
"$CNNLAB" run --out "$scratch/slurm" --executor slurm --dry-run \
    "$scratch/wv.yaml" > "$scratch/slurm.out" 2> "$scratch/slurm.err"
is "$?" 2 "slurm: a plan with tune and its pretrain is refused"
like "$(cat "$scratch/slurm.err")" "submit variant pretrain first" \
    "slurm: says what to submit first"
"$CNNLAB" run --out "$scratch/jobs" --executor slurm --dry-run \
    "$scratch/wv.yaml" > "$scratch/slurm.out" 2> "$scratch/slurm.err"
is "$?" 0 "slurm: with pretrain complete there is nothing to wait for"
done_testing
