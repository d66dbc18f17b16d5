#!/bin/sh
# Parity with PyTorch (TAP): the quickstart model, two REPORT-SPEC-like
# models, one of the layers added later (padding: same) and the A.7 best
# model (at 44x44) give the same logits, gradients,
# losses over 20 SGD steps and final weights in cnnlab (t/parity-driver)
# and in PyTorch (t/parity_torch.py states the tolerances), with weights
# passed both ways as safetensors. Skips when /usr/bin/python3 cannot
# import torch and numpy (Debian: apt-get install python3-torch).
python=/usr/bin/python3
if [ ! -x "$python" ]; then
    echo "1..0 # SKIP $python not found"
    exit 0
fi
if ! "$python" -c 'import numpy, torch' >/dev/null 2>&1; then
    echo "1..0 # SKIP torch or numpy is not importable by $python"
    exit 0
fi
driver="${CNNLAB_BUILDDIR:-.}/t/parity-driver"
work=$(mktemp -d "${TMPDIR:-/tmp}/cnnlab-parity-XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT HUP INT TERM
"$python" "${CNNLAB_SRCDIR:-.}/t/parity_torch.py" "$driver" \
    "${CNNLAB_SRCDIR:-.}" "$work"
