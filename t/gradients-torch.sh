#!/bin/sh
# The analysis API's gradients against PyTorch's autograd (TAP): the
# gradient of a class's logit and of its softmax probability with respect
# to the input and to every layer's output, for the quickstart model, a
# model with dropout on and padded pooling, and the A.7 best model (at
# 44x44), in evaluation mode on the same weights (t/gradients_torch.py
# states the tolerances and how max pooling ties are met). Skips when
# /usr/bin/python3 cannot import torch and numpy.
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
work=$(mktemp -d "${TMPDIR:-/tmp}/cnnlab-gradients-XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT HUP INT TERM
"$python" "${CNNLAB_SRCDIR:-.}/t/gradients_torch.py" "$driver" \
    "${CNNLAB_SRCDIR:-.}" "$work"
