#!/bin/sh
# The command line's habits (docs/cli.md): `run --json` events, --quiet,
# colour and NO_COLOR, the progress line on a terminal, `cnnlab compare`.
. "${CNNLAB_SRCDIR:-.}/t/tap.sh"

cat > "$scratch/tiny.yaml" <<'YAML'
name: tiny
seed: 3
threads: 1
data:
  loader: synthetic
  classes: 3
  channels: 1
  size: 8
  train: 96
  val: 32
  test: 32
model:
  input: [1, 8, 8]
  layers:
    - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu}
    - globalpool: {mode: avg}
    - linear: {out: 3}
train:
  epochs: 2
  batch: 16
  optimizer: {sgd: {lr: 0.05}}
analyses:
  - curves
YAML

# --- --json: one object a line, in order, nothing else on stdout ---
"$CNNLAB" run --json --out "$scratch/a" "$scratch/tiny.yaml" \
    > "$scratch/json.out" 2> "$scratch/json.err"
is "$?" 0 "run --json succeeds"
is "$(cat "$scratch/json.err")" "" "run --json: nothing on stderr"
python=/usr/bin/python3
if [ -x "$python" ]; then
    events=$("$python" -c '
import json, sys
names = []
for line in open(sys.argv[1]):
    event = json.loads(line)
    assert isinstance(event["elapsed"], float), line
    names.append(event["event"])
    if event["event"] == "epoch_end":
        assert 0 <= event["val_accuracy"] <= 100 and event["epochs"] == 2
    if event["event"] == "run_end":
        assert event["status"] == "complete", line
        assert event["result"]["epochs_run"] == 2, line
    if event["event"] == "analysis":
        assert (event["name"], event["outcome"]) == ("curves", "ok"), line
    if event["event"] == "exit":
        assert event["status"] == 0, line
print(" ".join(names))' "$scratch/json.out" 2>&1)
    is "$events" "run_start epoch_end epoch_end analysis run_end table exit" \
        "--json: every line parses and the events come in order"
else
    echo "ok 3 # SKIP no /usr/bin/python3 to parse the events"
    tap_count=$((tap_count + 1))
fi

# A complete run is skipped: run_end says so; a manifest error is an
# "error" event (and the usual line on stderr), then "exit" with status 2.
"$CNNLAB" run --json --out "$scratch/a" "$scratch/tiny.yaml" \
    > "$scratch/skip.out" 2> /dev/null
like "$(cat "$scratch/skip.out")" '"event":"run_end","elapsed"' \
    "--json: a skipped variant still ends with run_end"
like "$(cat "$scratch/skip.out")" '"status":"skipped"' \
    "--json: run_end says skipped"
"$CNNLAB" run --json --out "$scratch/a" "$scratch/tiny.yaml" \
    train.epochs=zero > "$scratch/bad.out" 2> "$scratch/bad.err"
is "$?" 2 "--json: a manifest error exits 2"
like "$(head -1 "$scratch/bad.out")" '{"event":"error"' \
    "--json: the error is an event"
like "$(tail -1 "$scratch/bad.out")" '"event":"exit"' \
    "--json: the last event is exit"
like "$(tail -1 "$scratch/bad.out")" '"status":2}' \
    "--json: exit carries the status"
like "$(cat "$scratch/bad.err")" "cnnlab: " "--json: the error is on stderr too"
"$CNNLAB" run --json --jobs 2 --out "$scratch/a" "$scratch/tiny.yaml" \
    > /dev/null 2> "$scratch/jobs.err"
is "$?" 2 "--json with --jobs is refused"
like "$(cat "$scratch/jobs.err")" "does not go with --jobs" \
    "--json with --jobs: the error says why"
"$CNNLAB" check --json "$scratch/tiny.yaml" > /dev/null 2> "$scratch/check.err"
is "$?" 2 "--json belongs to run only"

# --- --quiet: nothing on stderr when all goes well; errors still ---
"$CNNLAB" run --quiet --force --out "$scratch/a" "$scratch/tiny.yaml" \
    > "$scratch/quiet.out" 2> "$scratch/quiet.err"
is "$?" 0 "run --quiet succeeds"
is "$(cat "$scratch/quiet.err")" "" "--quiet: stderr is empty"
like "$(cat "$scratch/quiet.out")" "a/tiny/main" \
    "--quiet: the summary (the result) is still on stdout"
"$CNNLAB" run --quiet --out "$scratch/a" "$scratch/missing.yaml" \
    > /dev/null 2> "$scratch/quiet-bad.err"
like "$(cat "$scratch/quiet-bad.err")" "missing.yaml" \
    "--quiet: errors are still printed"

# --- colour: only on a terminal, never with NO_COLOR ---
esc=$(printf '\033')
"$CNNLAB" run --out "$scratch/a" "$scratch/missing.yaml" 2> "$scratch/plain.err"
case "$(cat "$scratch/plain.err")" in
*"$esc"*) ok 1 "no escape codes when stderr is a file" ;;
*) ok 0 "no escape codes when stderr is a file" ;;
esac
if command -v script > /dev/null 2>&1; then
    tty_run() { # tty_run OUTPUT COMMAND: COMMAND on a pseudo-terminal
        out=$1
        shift
        script -qec "$*" /dev/null > "$out" 2>&1 < /dev/null
    }
    (unset NO_COLOR; TERM=xterm; export TERM
     tty_run "$scratch/colour.tty" "'$CNNLAB' run --out '$scratch/a' '$scratch/missing.yaml'")
    like "$(cat "$scratch/colour.tty")" "${esc}[1;31mcnnlab:${esc}[0m" \
        "on a terminal the error's 'cnnlab:' is red"
    (NO_COLOR=1 TERM=xterm; export NO_COLOR TERM
     tty_run "$scratch/nocolour.tty" "'$CNNLAB' run --out '$scratch/a' '$scratch/missing.yaml'")
    case "$(cat "$scratch/nocolour.tty")" in
    *"${esc}["*) ok 1 "NO_COLOR: no colour on a terminal" ;;
    *cnnlab:*) ok 0 "NO_COLOR: no colour on a terminal" ;;
    *) ok 1 "NO_COLOR: the error is there"; cat "$scratch/nocolour.tty" ;;
    esac

    # --- the progress line: a bar and ETAs, on a terminal only ---
    sed 's/train: 96/train: 4000/' "$scratch/tiny.yaml" > "$scratch/long.yaml"
    tty_run "$scratch/progress.tty" "stty cols 100; '$CNNLAB' run --out '$scratch/p' '$scratch/long.yaml'"
    tr '\r' '\n' < "$scratch/progress.tty" > "$scratch/progress.lines"
    grep -Eq '^tiny/main epoch 1/2 \[=*>? *\] +[0-9]+% .*ETA +([0-9]+:[0-9]{2}|--:--) run +([0-9]+:[0-9]{2}|--:--)' \
        "$scratch/progress.lines"
    ok $? "on a terminal: a progress line with a bar and the ETAs"
    grep -Eq 'ETA +[0-9]+:[0-9]{2} run +[0-9]+:[0-9]{2}' "$scratch/progress.lines"
    ok $? "on a terminal: the ETAs are measured"
    width=$(grep -E '^tiny/main epoch [0-9]/2 \[' "$scratch/progress.lines" |
        sed "s/${esc}\[K//" | awk '{ if (length > m) m = length } END { print m + 0 }')
    [ "$width" -gt 0 ] && [ "$width" -lt 100 ]
    ok $? "the progress line fits 100 columns ($width)"
    "$CNNLAB" run --force --out "$scratch/p" "$scratch/long.yaml" \
        > /dev/null 2> "$scratch/progress.log"
    grep -q 'ETA' "$scratch/progress.log"
    is "$?" 1 "not a terminal: no progress line"
    is "$(grep -c 'epoch [12]/2: train loss' "$scratch/progress.log")" 2 \
        "not a terminal: a log line per epoch"
else
    for what in colour no-colour progress progress-eta width plain-log plain-epochs; do
        tap_count=$((tap_count + 1))
        echo "ok $tap_count # SKIP $what: no script(1) for a pseudo-terminal"
    done
fi

# --- compare: two runs that differ in lr ---
"$CNNLAB" run --quiet --out "$scratch/b" "$scratch/tiny.yaml" \
    train.optimizer.sgd.lr=0.1 > /dev/null 2>&1
"$CNNLAB" compare "$scratch/a/tiny/main" "$scratch/b/tiny/main" \
    > "$scratch/compare.md" 2> "$scratch/compare.err"
is "$?" 0 "compare succeeds"
grep -q '^| train.optimizer.sgd.lr | 0.05 | 0.1 |$' "$scratch/compare.md"
ok $? "compare: the lr row, both values"
is "$(sed -n '/^## Manifest/,/^## Metrics/p' "$scratch/compare.md" |
    grep -c '^| [^-]')" 2 "compare: the header and one differing key only"
for metric in "test accuracy (%)" "selected val accuracy (%)" \
    "final train accuracy (%)" "epochs run | 2 | 2 | +0" \
    "parameters | 55 | 55 | +0" "seconds per epoch"; do
    grep -qF "| $metric" "$scratch/compare.md"
    ok $? "compare: metric row '$metric'"
done
"$CNNLAB" compare "$scratch/a/tiny/main" "$scratch/a/tiny/main" \
    > "$scratch/same.md"
like "$(cat "$scratch/same.md")" "The resolved manifests are the same." \
    "compare: a run with itself has no manifest differences"
"$CNNLAB" compare "$scratch/a/tiny/main" "$scratch/a/tiny" \
    > /dev/null 2> "$scratch/nomanifest.err"
is "$?" 2 "compare: a directory that is no run is an error"
like "$(cat "$scratch/nomanifest.err")" "$scratch/a/tiny: manifest.yaml is missing" \
    "compare: the error names the directory and the missing file"
rm "$scratch/b/tiny/main/run.json"
"$CNNLAB" compare "$scratch/a/tiny/main" "$scratch/b/tiny/main" \
    > /dev/null 2> "$scratch/norun.err"
like "$(cat "$scratch/norun.err")" "$scratch/b/tiny/main: run.json is missing" \
    "compare: a missing run.json is named"
"$CNNLAB" compare "$scratch/a/tiny/main" > /dev/null 2> "$scratch/one.err"
is "$?" 2 "compare: one directory is a usage error"

done_testing
