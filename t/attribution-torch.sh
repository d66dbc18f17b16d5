#!/bin/sh
# The attribution analyses against PyTorch (TAP): `saliency`, `gradcam`
# and `integrated-gradients` run by `cnnlab run` on the quickstart's
# layers and on A.7 best's (44x44, three channels), each map recomputed
# with autograd from the run's model.safetensors and the same IDX images
# (t/attribution_torch.py states the formulas and the tolerances). Skips
# when /usr/bin/python3 cannot import torch and numpy.
python=/usr/bin/python3
if [ ! -x "$python" ]; then
    echo "1..0 # SKIP $python not found"
    exit 0
fi
if ! "$python" -c 'import numpy, torch' >/dev/null 2>&1; then
    echo "1..0 # SKIP torch or numpy is not importable by $python"
    exit 0
fi
cnnlab=$(cd "${CNNLAB_BUILDDIR:-.}" && pwd)/cnnlab
work=$(mktemp -d "${TMPDIR:-/tmp}/cnnlab-attribution-XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT HUP INT TERM
"$python" "${CNNLAB_SRCDIR:-.}/t/attribution_torch.py" "$cnnlab" "$work"
