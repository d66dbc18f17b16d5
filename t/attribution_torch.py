"""PyTorch's side of t/attribution-torch.sh: the maps of the `saliency`,
`gradcam` and `integrated-gradients` analyses against the same maps
computed with autograd from the run's own model.safetensors.

For each model (the quickstart's layers at 28x28, and A.7 best's at
44x44 on three channels) the script writes IDX files of seeded random
images (so both sides read the same bytes), a manifest that trains one
short epoch and lists the three analyses on test images 0..2, runs
`cnnlab run`, and recomputes every map in PyTorch (eval mode; the
predicted class read from the analysis's CSV, which must be PyTorch's
arg-max too):

  saliency              max over channels of |dy/dx|, and sum over
                        channels of x dy/dx
  gradcam               ReLU(sum_k mean(dy/dA_k) A_k) on the layer's grid,
                        then on the input's pixels: bilinear between the
                        layer positions' receptive-field centres (start +
                        i jump + (size - 1) / 2, from the layers' kernel,
                        stride, padding and dilation, computed here
                        independently of cnnlab), clamped at the edges
  integrated-gradients  (x - x') times the mean gradient at the path's
                        midpoints x' + (k + 1/2)/steps (x - x'), summed
                        over channels, and y(x), y(x') in the CSV

Tolerance: per map, max |cnnlab - torch| <= 1e-4 * max |torch| (float32
on both sides, summed in different orders); values in the CSVs
(printed with 7 digits) within 1e-5 relative. Max pooling ties are met,
not avoided: cnnlab breaks them as PyTorch's CPU kernel does (t/
gradients_torch.py).

    attribution_torch.py CNNLAB WORKDIR

Prints TAP."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity_torch as parity  # noqa: E402

MAP_TOLERANCE = 1e-4
VALUE_TOLERANCE = 1e-5
MEAN, STD = 0.25, 0.5
IMAGES = [0, 1, 2]
IG_STEPS = 8

QUICKSTART = [
    {"conv2d": {"out": 32, "kernel": 3, "padding": 1, "activation": "relu"}},
    {"maxpool2d": {"kernel": 2}},
    {"conv2d": {"out": 64, "kernel": 3, "padding": 1, "activation": "relu"}},
    {"maxpool2d": {"kernel": 2}},
    "flatten",
    {"linear": {"out": 128, "activation": "relu"}},
    {"linear": {"out": 10}},
]
BEST = [
    {"conv2d": {"out": 64, "kernel": 3, "activation": "relu"}},
    {"conv2d": {"out": 64, "kernel": 3, "activation": "relu"}},
    {"maxpool2d": {"kernel": 3, "stride": 2}},
    {"conv2d": {"out": 128, "kernel": 3, "activation": "relu"}},
    {"conv2d": {"out": 128, "kernel": 3, "activation": "relu"}},
    {"maxpool2d": {"kernel": 3, "stride": 2}},
    {"conv2d": {"out": 256, "kernel": 3, "activation": "relu"}},
    {"conv2d": {"out": 256, "kernel": 3, "activation": "relu"}},
    {"maxpool2d": {"kernel": 3, "stride": 2}},
    "globalpool",
    {"linear": {"out": 256, "activation": "relu"}},
    {"linear": {"out": 256, "activation": "relu"}},
    {"linear": {"out": 10}},
]


# ---- the data and the run ---------------------------------------------

def write_idx(root, side, seed):
    """Seeded random gray images of side x side and labels, as the four
    IDX files of the idx loader."""
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    for prefix, count in (("train", 48), ("t10k", 16)):
        images = rng.integers(0, 256, (count, side, side), dtype=np.uint8)
        labels = rng.integers(0, 10, count, dtype=np.uint8)
        with open(os.path.join(root, prefix + "-images-idx3-ubyte"),
                  "wb") as stream:
            stream.write(np.array([0x803, count, side, side],
                                  dtype=">u4").tobytes())
            stream.write(images.tobytes())
        with open(os.path.join(root, prefix + "-labels-idx1-ubyte"),
                  "wb") as stream:
            stream.write(np.array([0x801, count], dtype=">u4").tobytes())
            stream.write(labels.tobytes())
    return images


def write_manifest(path, name, root, shape, layers, baseline, output):
    analyses = [
        {"saliency": {"images": IMAGES}},
        {"gradcam": {"images": IMAGES}},
        {"integrated-gradients": {"images": IMAGES, "steps": IG_STEPS,
                                  "batch": 3, "baseline": baseline,
                                  "output": output}},
    ]
    manifest = {
        "name": name, "seed": 5, "threads": 2, "device": "cpu",
        "data": {"loader": "idx", "root": root, "val": 16,
                 "channels": shape[0], "mean": [MEAN], "std": [STD]},
        "model": {"input": shape, "layers": layers},
        "train": {"epochs": 1, "batch": 16,
                  "optimizer": {"sgd": {"lr": 0.01}}},
        "analyses": analyses,
    }
    with open(path, "w") as stream:
        json.dump(manifest, stream, indent=1)


# ---- the model in PyTorch ---------------------------------------------

def pair(value):
    return list(value) if isinstance(value, list) else [value, value]


def resolve(entry):
    """A manifest layer entry as t/parity_torch.py's model.json has it."""
    kind, p = ((entry, {}) if isinstance(entry, str)
               else next(iter(entry.items())))
    if kind == "conv2d":
        p = {"out": p["out"], "kernel": pair(p["kernel"]),
             "stride": pair(p.get("stride", 1)),
             "padding": pair(p.get("padding", 0)),
             "dilation": pair(p.get("dilation", 1)),
             "bias": p.get("bias", True),
             "activation": p.get("activation", "none")}
    elif kind == "maxpool2d":
        p = {"kernel": pair(p["kernel"]), "stride": pair(p.get("stride", 0)),
             "padding": pair(p.get("padding", 0))}
    elif kind == "linear":
        p = {"out": p["out"], "bias": p.get("bias", True),
             "activation": p.get("activation", "none")}
    elif kind == "globalpool":
        p = {"mode": p.get("mode", "avg")}
    return {"type": kind, "params": p}


def build(layers, shape):
    """nn.Sequential of one module per layer, and each layer's resolved
    entry and output shape."""
    modules, resolved = [], []
    for entry in layers:
        layer = resolve(entry)
        module = parity.torch_module(layer, shape)
        with torch.no_grad():
            shape = list(module(torch.zeros([1] + shape)).shape[1:])
        layer["output"] = shape
        modules.append(module)
        resolved.append(layer)
    return torch.nn.Sequential(*modules), resolved


def normalise(pixels, channels):
    scale = np.float32(1.0 / (255.0 * STD))
    shift = np.float32(-MEAN / STD)
    x = pixels.astype(np.float32) * scale + shift
    return np.repeat(x[None], channels, axis=0)


def places(model, x, k, output, layer=None):
    """y (logit or probability of class k) of one image, the gradient
    with respect to the input, and layer `layer`'s output and gradient."""
    x = torch.from_numpy(x[None]).clone().requires_grad_(True)
    h, kept = x, None
    for i, module in enumerate(model):
        h = module(h)
        if i == layer:
            h.retain_grad()
            kept = h
    logits = h.reshape(1, -1)
    y = (logits if output == "logit" else torch.softmax(logits, 1))[0, k]
    y.backward()
    return (float(y), x.grad[0].numpy().astype(np.float64),
            None if kept is None else (kept.detach()[0].numpy(),
                                       kept.grad[0].numpy()))


# ---- the maps ---------------------------------------------------------

def receptive_field(resolved, layer):
    """(start, jump, size) per axis of layer `layer`'s output."""
    start, jump, size = [0, 0], [1, 1], [1, 1]
    for entry in resolved[:layer + 1]:
        p = entry["params"]
        if entry["type"] not in ("conv2d", "maxpool2d"):
            continue
        dilation = p.get("dilation", [1, 1])
        stride = [s or k for s, k in zip(p["stride"], p["kernel"])]
        for a in range(2):
            size[a] += (p["kernel"][a] - 1) * dilation[a] * jump[a]
            start[a] -= p["padding"][a] * jump[a]
            jump[a] *= stride[a]
    return start, jump, size


def upsample(cam, field, height, width):
    start, jump, size = field

    def weights(n_out, n_in, a):
        centre = start[a] + (size[a] - 1) / 2.0
        u = np.clip((np.arange(n_in) - centre) / jump[a], 0, n_out - 1)
        i0 = np.floor(u).astype(int)
        i1 = np.minimum(i0 + 1, n_out - 1)
        return i0, i1, u - i0

    r0, r1, ty = weights(cam.shape[0], height, 0)
    c0, c1, tx = weights(cam.shape[1], width, 1)
    top = (1 - tx) * cam[r0][:, c0] + tx * cam[r0][:, c1]
    bottom = (1 - tx) * cam[r1][:, c0] + tx * cam[r1][:, c1]
    return (1 - ty[:, None]) * top + ty[:, None] * bottom


def gradcam(model, resolved, x, k, layer):
    _, _, (activation, grad) = places(model, x, k, "logit", layer)
    alpha = grad.astype(np.float64).mean(axis=(1, 2))
    cam = np.maximum((alpha[:, None, None] * activation).sum(axis=0), 0)
    return cam, upsample(cam, receptive_field(resolved, layer),
                         x.shape[1], x.shape[2])


def integrated(model, x, base, k, output):
    total = np.zeros(x.shape)
    for step in range(IG_STEPS):
        alpha = (step + 0.5) / IG_STEPS
        point = (base + alpha * (x.astype(np.float64) - base))
        total += places(model, point.astype(np.float32), k, output)[1]
    attribution = (x.astype(np.float64) - base) * total / IG_STEPS
    y_x = places(model, x, k, output)[0]
    y_base = places(model, base.astype(np.float32), k, output)[0]
    return attribution.sum(axis=0), y_x, y_base


# ---- comparisons ------------------------------------------------------

def read_npy(path):
    return np.load(path).astype(np.float64)


def read_csv(path):
    with open(path) as stream:
        return {int(row["image"]): row for row in csv.DictReader(stream)}


def check_map(name, what, got_path, want):
    if not os.path.exists(got_path):
        return parity.ok(False, "%s: %s (%s missing)" % (name, what,
                                                         got_path))
    error = parity.relative_error(read_npy(got_path), want)
    return parity.ok(error <= MAP_TOLERANCE,
                     "%s: %s (max |diff| / max = %.2g <= %g)"
                     % (name, what, error, MAP_TOLERANCE))


def check_value(name, what, got, want):
    error = abs(got - want) / max(abs(want), 1e-6)
    parity.ok(error <= VALUE_TOLERANCE, "%s: %s %.7g, torch %.7g"
              % (name, what, got, want))


def compare_image(name, run, model, resolved, x, index, baseline_pixels,
                  output):
    rows = {kind: read_csv(os.path.join(run, kind + ".csv"))
            for kind in ("saliency", "gradcam", "integrated-gradients")}
    k = int(rows["saliency"][index]["predicted"])
    with torch.no_grad():
        logits = model(torch.from_numpy(x[None])).reshape(-1)
    parity.ok(int(torch.argmax(logits)) == k,
              "%s #%d: the predicted class %d is PyTorch's" % (name, index,
                                                               k))
    _, g, _ = places(model, x, k, "logit")
    check_map(name, "saliency of #%d" % index,
              os.path.join(run, "saliency-%d.npy" % index),
              np.abs(g).max(axis=0))
    check_map(name, "gradient x input of #%d" % index,
              os.path.join(run, "saliency-gradient-input-%d.npy" % index),
              (x * g).sum(axis=0))
    layer = max(i for i, e in enumerate(resolved) if e["type"] == "conv2d")
    cam, up = gradcam(model, resolved, x, k, layer)
    check_map(name, "Grad-CAM of #%d on layer %d's grid" % (index, layer),
              os.path.join(run, "gradcam-grid-%d.npy" % index), cam)
    check_map(name, "Grad-CAM of #%d on the input" % index,
              os.path.join(run, "gradcam-%d.npy" % index), up)
    base = normalise(baseline_pixels, x.shape[0]).astype(np.float64)
    attribution, y_x, y_base = integrated(model, x, base, k, output)
    check_map(name, "integrated gradients of #%d" % index,
              os.path.join(run, "integrated-gradients-%d.npy" % index),
              attribution)
    row = rows["integrated-gradients"][index]
    check_value(name, "#%d y(x)" % index, float(row["value"]), y_x)
    check_value(name, "#%d y(baseline)" % index,
                float(row["baseline_value"]), y_base)


def compare_model(name, cnnlab, work, shape, layers, baseline, output):
    root = os.path.join(work, name + "-data")
    test_images = write_idx(root, shape[1], 7)
    manifest = os.path.join(work, name + ".yaml")
    write_manifest(manifest, name, root, shape, layers, baseline, output)
    run = subprocess.run([cnnlab, "run", "--quiet", "--out",
                          os.path.join(work, "results"), manifest],
                         capture_output=True, text=True)
    if not parity.ok(run.returncode == 0, "%s: cnnlab run" % name,
                     run.stdout + run.stderr):
        return
    directory = os.path.join(work, "results", name, "main")
    with open(os.path.join(directory, "run.json")) as stream:
        outcomes = json.load(stream).get("analyses", {})
    parity.ok(all(outcomes.get(a) == "ok" for a in
                  ("saliency", "gradcam", "integrated-gradients")),
              "%s: the three analyses succeed" % name, outcomes)
    model, resolved = build(layers, list(shape))
    weights, _ = parity.read_safetensors(os.path.join(directory,
                                                      "model.safetensors"))
    model.load_state_dict({k: torch.from_numpy(v)
                           for k, v in weights.items()}, strict=True)
    model.eval()
    for index in IMAGES:
        pixels = test_images[index]
        base = (np.zeros_like(pixels) if baseline == "black"
                else np.full_like(pixels, 128))
        compare_image(name, directory, model, resolved,
                      normalise(pixels, shape[0]), index, base, output)


def main():
    cnnlab, work = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    cases = [
        ("quickstart", [1, 28, 28], QUICKSTART, "black", "logit"),
        ("best", [3, 44, 44], BEST, "gray", "probability"),
    ]
    for name, shape, layers, baseline, output in cases:
        try:
            compare_model(name, cnnlab, work, shape, layers, baseline,
                          output)
        except Exception as error:  # a crash is one failure, then go on
            parity.ok(False, "%s: the comparison runs" % name,
                      "%s: %s" % (type(error).__name__, error))
    print("1..%d" % parity.count)
    return 1 if parity.failures else 0


if __name__ == "__main__":
    sys.exit(main())
