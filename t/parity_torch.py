"""PyTorch's side of t/parity-torch.sh: cnnlab and PyTorch must compute the
same network. For each model below, t/parity-driver (cnnlab, CPU) writes
its initial weights, the eval-mode logits of a batch, the gradients of one
training step and the losses of 20 SGD steps (5 for the costly A.7 model)
and the weights after them; the same model built in
PyTorch from the same weights and batches must agree:

  logits       max |cnnlab - torch| <= 1e-5 * max |torch logit|
  gradients    per tensor, max |difference| <= 1e-4 * max |torch gradient|
               (or 1e-4 * 1e-2 * the model's largest gradient, when that
               is more: a bias before batch norm has a zero gradient but
               for rounding)
  losses       every step, |difference| <= 1e-4 * |torch loss|
  weights      after the last step, per tensor, max |difference|
               <= 1e-4 * max |torch weight|

(float32 on both sides; the tolerances leave room for the two libraries
summing in different orders, nothing more.) SGD: lr 0.01, momentum 0.9,
batches of inputs uniform in [-2, 2) and random labels.

The weights travel both ways: for some models cnnlab's seeded
initialisation is loaded into PyTorch (load_state_dict, strict), for the
others PyTorch's initialisation is saved as safetensors with PyTorch's
state_dict keys and no metadata, named by the manifest's `model.weights`
(relative to the manifest), and cnnlab must start from exactly it.

The PyTorch model is an nn.Sequential with ONE module per cnnlab layer, so
its state_dict keys ("0.weight", "5.bias") are cnnlab's tensor names:
a fused `activation: relu` is a Conv2d/Linear subclass that applies it,
cnnlab's linear flattens its input, `relu` is nn.ReLU, `globalpool` is
nn.AdaptiveAvgPool2d(1) / nn.AdaptiveMaxPool2d(1), `flatten` nn.Flatten,
`dropout` nn.Dropout (p=0 here: masks are not comparable), `maxpool2d`
nn.MaxPool2d, `avgpool2d` nn.AvgPool2d, `leaky-relu` nn.LeakyReLU,
`batchnorm2d`/`batchnorm1d` nn.BatchNorm2d/nn.BatchNorm1d (with the fused
ReLU); `padding: same` is PyTorch's padding='same'.

Batch norm's buffers travel with the weights (num_batches_tracked as
I64): after the steps its running statistics must agree,

  running_mean, running_var   per tensor, max |difference|
                              <= 1e-4 * max |torch value|
  num_batches_tracked         exactly,

and so must the eval-mode logits of the first batch, which use them
(1e-5, as the first logits).

    parity_torch.py DRIVER SRCDIR WORKDIR

Prints TAP. safetensors is read and written with json + numpy: the
safetensors package is not needed.
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import torch
from torch import nn

STEPS = 20
BEST_STEPS = 5
LR = 0.01
MOMENTUM = 0.9
LOGIT_TOLERANCE = 1e-5
GRADIENT_TOLERANCE = 1e-4
LOSS_TOLERANCE = 1e-4
WEIGHT_TOLERANCE = 1e-4
BUFFER_TOLERANCE = 1e-4
ZERO_GRADIENT = 1e-2

count = 0
failures = 0


def ok(passed, what, detail=None):
    global count, failures
    count += 1
    failures += 0 if passed else 1
    print("%sok %d - %s" % ("" if passed else "not ", count, what))
    if not passed and detail:
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)
    sys.stdout.flush()
    return passed


# ---- safetensors with json + numpy ------------------------------------

DTYPES = {"F32": "<f4", "I64": "<i8"}


def read_safetensors(path):
    """{name: array} in header order (and the metadata): float32, or int64
    for I64 tensors (batch norm's num_batches_tracked)."""
    with open(path, "rb") as stream:
        raw = stream.read()
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + length].decode("utf-8"))
    data = raw[8 + length:]
    metadata = header.pop("__metadata__", None)
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] not in DTYPES:
            raise ValueError("%s: %s is %s" % (path, name, entry["dtype"]))
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(
            data[begin:end], dtype=DTYPES[entry["dtype"]]).reshape(
            entry["shape"]).copy()
    return tensors, metadata


def write_safetensors(path, tensors):
    """As safetensors.torch.save_file(state_dict, path) writes: tensors
    sorted by name, no __metadata__, the header padded with spaces to a
    multiple of 8."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        integer = np.asarray(tensors[name]).dtype == np.int64
        blob = np.ascontiguousarray(
            tensors[name], dtype="<i8" if integer else "<f4").tobytes()
        header[name] = {"dtype": "I64" if integer else "F32",
                        "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as stream:
        stream.write(len(text).to_bytes(8, "little"))
        stream.write(text)
        stream.write(b"".join(blobs))


# ---- cnnlab layers as PyTorch modules ---------------------------------

def fused_relu(base, flatten=False):
    """cnnlab's layer as PyTorch's `base`, with its fused ReLU when
    activation: relu; `flatten`: its input flattened to (N, features)
    first, as cnnlab's linear and batchnorm1d take (N, C, 1, 1)."""

    class Fused(base):
        def __init__(self, *args, relu=False, **kwargs):
            super().__init__(*args, **kwargs)
            self.relu = relu

        def forward(self, x):
            y = super().forward(x.flatten(1) if flatten else x)
            return torch.relu(y) if self.relu else y

    Fused.__name__ = Fused.__qualname__ = base.__name__
    return Fused


Conv2d = fused_relu(nn.Conv2d)
Linear = fused_relu(nn.Linear, flatten=True)
BatchNorm2d = fused_relu(nn.BatchNorm2d)
BatchNorm1d = fused_relu(nn.BatchNorm1d, flatten=True)


def torch_module(layer, shape):
    """The module for one cnnlab layer (model.json's entry) whose input
    is `shape` (C, H, W)."""
    kind, p = layer["type"], layer["params"]
    relu = p.get("activation") == "relu"
    if kind == "conv2d":
        padding = p["padding"]  # [ph, pw], or the text "same"
        return Conv2d(shape[0], p["out"], tuple(p["kernel"]),
                      stride=tuple(p["stride"]),
                      padding=padding if isinstance(padding, str)
                      else tuple(padding),
                      dilation=tuple(p["dilation"]), bias=p["bias"],
                      relu=relu)
    if kind == "linear":
        return Linear(int(np.prod(shape)), p["out"], bias=p["bias"],
                      relu=relu)
    if kind == "maxpool2d":
        stride = tuple(s or k for s, k in zip(p["stride"], p["kernel"]))
        return nn.MaxPool2d(tuple(p["kernel"]), stride=stride,
                            padding=tuple(p["padding"]))
    if kind == "avgpool2d":
        stride = tuple(s or k for s, k in zip(p["stride"], p["kernel"]))
        return nn.AvgPool2d(tuple(p["kernel"]), stride=stride,
                            padding=tuple(p["padding"]),
                            count_include_pad=p["count_include_pad"])
    if kind == "globalpool":
        return (nn.AdaptiveMaxPool2d(1) if p["mode"] == "max"
                else nn.AdaptiveAvgPool2d(1))
    if kind == "relu":
        return nn.ReLU()
    if kind == "leaky-relu":
        return nn.LeakyReLU(p["slope"])
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dropout":
        return nn.Dropout(p["p"])
    if kind in ("batchnorm2d", "batchnorm1d"):
        module = BatchNorm2d if kind == "batchnorm2d" else BatchNorm1d
        return module(shape[0], eps=p["eps"], momentum=p["momentum"],
                      affine=p["affine"], relu=relu)
    raise ValueError("no PyTorch module for cnnlab layer %r" % kind)


def torch_sequential(model):
    shape = list(model["input"])
    modules = []
    for layer in model["layers"]:
        modules.append(torch_module(layer, shape))
        shape = layer["output"]
    return nn.Sequential(*modules)


# ---- one model --------------------------------------------------------

def run_driver(driver, manifest, directory, steps, overrides):
    os.makedirs(directory, exist_ok=True)
    run = subprocess.run([driver, manifest, directory, str(steps)]
                         + overrides, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError("parity-driver failed:\n" + run.stderr)
    with open(os.path.join(directory, "model.json")) as stream:
        return json.load(stream)


def relative_error(got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    difference = float(np.max(np.abs(got - want))) if want.size else 0.0
    return difference / scale if scale > 0 else difference


def torch_initialised(name, driver, manifest, directory, overrides):
    """PyTorch initialises; its state_dict, saved beside the manifest as
    torch-init.safetensors (which the manifest names), is what cnnlab
    starts from. Returns those weights."""
    described = run_driver(driver, manifest, directory + "-describe", 1,
                           overrides + ["model.weights=null"])
    torch.manual_seed(12345)
    sequential = torch_sequential(described)
    # PyTorch starts batch norm at cnnlab's own values (ones, zeros, a
    # count of 0): other values show that each tensor is the one loaded.
    with torch.no_grad():
        for module in sequential.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                if module.affine:
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.uniform_(-0.5, 0.5)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.fill_(7)
    state = {key: value.detach().numpy().copy()
             for key, value in sequential.state_dict().items()}
    cnnlab_names = [n for layer in described["layers"]
                    for n in layer["tensors"]]
    ok(sorted(state) == sorted(cnnlab_names),
       "%s: the Sequential's state_dict keys are cnnlab's tensor names"
       % name, "torch %s\ncnnlab %s" % (sorted(state), sorted(cnnlab_names)))
    write_safetensors(os.path.join(os.path.dirname(manifest),
                                   "torch-init.safetensors"), state)
    return state


def compare_model(name, driver, manifest, work, overrides, from_torch,
                  steps):
    directory = os.path.join(work, name)
    expected_initial = None
    if from_torch:
        expected_initial = torch_initialised(name, driver, manifest,
                                             directory, overrides)
    model_info = run_driver(driver, manifest, directory, steps, overrides)
    initial, _ = read_safetensors(os.path.join(directory,
                                               "initial.safetensors"))
    if from_torch:
        ok(sorted(initial) == sorted(expected_initial) and all(
            np.array_equal(initial[k], expected_initial[k])
            for k in expected_initial),
           "%s: cnnlab starts from PyTorch's weights (model.weights), "
           "bit for bit" % name)

    model = torch_sequential(model_info)
    try:
        model.load_state_dict({k: torch.from_numpy(v)
                               for k, v in initial.items()}, strict=True)
        loaded = True
    except RuntimeError as error:
        loaded = False
        ok(False, "%s: PyTorch loads cnnlab's weights" % name, error)
        return
    if not from_torch:
        ok(loaded, "%s: PyTorch loads cnnlab's initial weights (strict "
           "load_state_dict)" % name)

    batch = model_info["batch"]
    shape = [steps, batch] + model_info["input"]
    inputs = np.fromfile(os.path.join(directory, "inputs.f32"),
                         dtype="<f4").reshape(shape)
    labels = np.fromfile(os.path.join(directory, "labels.i32"),
                         dtype="<i4").reshape(steps, batch)
    classes = model_info["classes"]

    model.eval()
    with torch.no_grad():
        want = model(torch.from_numpy(inputs[0])).reshape(batch, classes)
    got = np.fromfile(os.path.join(directory, "logits.f32"),
                      dtype="<f4").reshape(batch, classes)
    error = relative_error(got, want.numpy())
    ok(error <= LOGIT_TOLERANCE,
       "%s: eval-mode logits (max |diff| / max |logit| = %.2g <= %g)"
       % (name, error, LOGIT_TOLERANCE))

    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR,
                                momentum=MOMENTUM)
    loss_function = nn.CrossEntropyLoss()
    parameters = dict(model.named_parameters())
    torch_losses = []
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        logits = model(torch.from_numpy(inputs[step])).reshape(batch,
                                                               classes)
        loss = loss_function(logits, torch.from_numpy(
            labels[step].astype(np.int64)))
        loss.backward()
        torch_losses.append(float(loss))
        if step == 0:
            gradients, _ = read_safetensors(
                os.path.join(directory, "gradients.safetensors"))
            # A gradient that is zero but for rounding (a bias followed by
            # batch norm, whose mean subtraction removes it) is judged
            # against the model's largest gradient, times ZERO_GRADIENT.
            largest = max(float(p.grad.abs().max())
                          for p in parameters.values())
            for key, parameter in parameters.items():
                want = parameter.grad.numpy()
                scale = max(float(np.max(np.abs(want))),
                            ZERO_GRADIENT * largest)
                error = float(np.max(np.abs(gradients[key] - want))) / scale
                ok(error <= GRADIENT_TOLERANCE,
                   "%s: gradient of %s %s (max |diff| / max |grad| = %.2g "
                   "<= %g)" % (name, key, list(parameter.shape), error,
                               GRADIENT_TOLERANCE))
        optimizer.step()

    with open(os.path.join(directory, "losses.txt")) as stream:
        cnnlab_losses = [float(line) for line in stream]
    errors = [abs(c - t) / abs(t) for c, t in zip(cnnlab_losses,
                                                  torch_losses)]
    worst = max(errors) if errors else float("inf")
    ok(len(cnnlab_losses) == steps and worst <= LOSS_TOLERANCE,
       "%s: losses of %d SGD steps (worst relative diff %.2g <= %g)"
       % (name, steps, worst, LOSS_TOLERANCE),
       "cnnlab %r\ntorch  %r" % (cnnlab_losses, torch_losses))

    final, _ = read_safetensors(os.path.join(directory, "final.safetensors"))
    errors = {key: relative_error(final[key], value.detach().numpy())
              for key, value in parameters.items()}
    worst_key = max(errors, key=errors.get)
    ok(errors[worst_key] <= WEIGHT_TOLERANCE,
       "%s: weights after %d steps (worst: %s, %.2g <= %g)"
       % (name, steps, worst_key, errors[worst_key], WEIGHT_TOLERANCE))

    buffers = dict(model.named_buffers())
    if buffers:
        compare_buffers(name, steps, final, buffers)
        model.eval()
        with torch.no_grad():
            want = model(torch.from_numpy(inputs[0])).reshape(batch,
                                                              classes)
        got = np.fromfile(os.path.join(directory, "final-logits.f32"),
                          dtype="<f4").reshape(batch, classes)
        error = relative_error(got, want.numpy())
        ok(error <= LOGIT_TOLERANCE,
           "%s: eval-mode logits after %d steps, from the running "
           "statistics (%.2g <= %g)" % (name, steps, error,
                                        LOGIT_TOLERANCE))


def compare_buffers(name, steps, final, buffers):
    """Batch norm's running statistics after the steps: the float ones
    within BUFFER_TOLERANCE, num_batches_tracked exactly and as int64."""
    errors = {key: relative_error(final[key], value.numpy())
              for key, value in buffers.items()
              if value.dtype != torch.int64}
    worst_key = max(errors, key=errors.get)
    ok(errors[worst_key] <= BUFFER_TOLERANCE,
       "%s: running statistics after %d steps (worst: %s, %.2g <= %g)"
       % (name, steps, worst_key, errors[worst_key], BUFFER_TOLERANCE))
    counters = [key for key, value in buffers.items()
                if value.dtype == torch.int64]
    ok(all(final[key].dtype == np.int64 and
           int(final[key]) == int(buffers[key]) for key in counters),
       "%s: num_batches_tracked is int64 and PyTorch's (%s)"
       % (name, ", ".join("%s=%d" % (key, int(final[key]))
                          for key in counters)))


# ---- the models -------------------------------------------------------

def write_manifest(path, name, shape, classes, batch, layers):
    """A manifest as JSON (which is YAML): synthetic data (never loaded
    by the driver), the layers given, torch-init.safetensors as weights."""
    manifest = {
        "name": name, "seed": 3, "threads": 2,
        "data": {"loader": "synthetic", "classes": classes,
                 "channels": shape[0], "size": shape[1:]},
        "model": {"weights": "torch-init.safetensors", "input": shape,
                  "layers": layers},
        "train": {"batch": batch,
                  "optimizer": {"sgd": {"lr": LR, "momentum": MOMENTUM}}},
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as stream:
        json.dump(manifest, stream, indent=1)


# REPORT-SPEC-like: strided, padded, dilated and bias-free convs, a
# separate relu, maxpool 3/2 (with and without padding), global average
# and max pooling, flatten, dropout, a non-square kernel.
REPORT_AVG = [
    {"conv2d": {"out": 8, "kernel": 5, "activation": "relu"}},
    {"conv2d": {"out": 12, "kernel": 3, "stride": 2, "padding": 1,
                "bias": False}},
    "relu",
    {"maxpool2d": {"kernel": 3, "stride": 2}},
    {"conv2d": {"out": 16, "kernel": 3, "padding": 2, "dilation": 2,
                "activation": "relu"}},
    {"globalpool": {"mode": "avg"}},
    {"dropout": {"p": 0}},
    {"linear": {"out": 24, "activation": "relu"}},
    {"linear": {"out": 5}},
]
REPORT_MAX = [
    {"conv2d": {"out": 8, "kernel": 3, "activation": "relu"}},
    {"maxpool2d": {"kernel": 3, "stride": 2, "padding": 1}},
    {"conv2d": {"out": 16, "kernel": [3, 5], "stride": 2,
                "padding": [1, 2], "bias": False}},
    "relu",
    {"globalpool": {"mode": "max"}},
    "flatten",
    {"dropout": {"p": 0}},
    {"linear": {"out": 16, "activation": "relu"}},
    {"linear": {"out": 12, "bias": False}},
    "relu",
    {"linear": {"out": 4}},
]
# Layers added after the study (issue 21): padding: same with an even
# kernel (the extra zero at the bottom and right, as PyTorch puts it) and
# with a dilated odd one; average pooling, overlapping and padded with
# and without the padding in the divisor; leaky ReLU.
ADDED = [
    {"conv2d": {"out": 6, "kernel": 4, "padding": "same",
                "activation": "relu"}},
    {"avgpool2d": {"kernel": 3, "stride": 1, "padding": 1}},
    {"conv2d": {"out": 8, "kernel": [3, 2], "padding": "same",
                "dilation": [2, 1]}},
    {"leaky-relu": {"slope": 0.2}},
    {"avgpool2d": {"kernel": [3, 2], "stride": 2, "padding": 1,
                   "count_include_pad": False}},
    {"linear": {"out": 3}},
]

# Batch normalisation (issue 21): conv → batchnorm2d with the fused ReLU,
# one without affine, and linear → batchnorm1d, trained in train mode
# (batch statistics, running statistics updated) and evaluated with the
# running statistics.
BATCHNORM = [
    {"conv2d": {"out": 6, "kernel": 3, "bias": False}},
    {"batchnorm2d": {"activation": "relu"}},
    {"maxpool2d": {"kernel": 2}},
    {"conv2d": {"out": 8, "kernel": 3, "padding": 1}},
    {"batchnorm2d": {"affine": False, "momentum": 0.3, "eps": 1e-3}},
    "relu",
    {"linear": {"out": 10}},
    {"batchnorm1d": {"activation": "relu"}},
    {"linear": {"out": 4}},
]


def main():
    driver, source, work = sys.argv[1], sys.argv[2], sys.argv[3]
    # PyTorch warns that an even kernel's 'same' copies the input padded:
    # what it does, and what is compared here.
    warnings.filterwarnings("ignore", message="Using padding='same'")
    torch.set_num_threads(2)
    torch.set_default_dtype(torch.float32)
    sgd = "train.optimizer={sgd: {lr: %g, momentum: %g}}" % (LR, MOMENTUM)
    common = ["threads=2", sgd]

    avg = os.path.join(work, "report-avg", "manifest.yaml")
    write_manifest(avg, "report-avg", [3, 20, 20], 5, 6, REPORT_AVG)
    biggest = os.path.join(work, "report-max", "manifest.yaml")
    write_manifest(biggest, "report-max", [3, 24, 24], 4, 5, REPORT_MAX)
    added = os.path.join(work, "added", "manifest.yaml")
    write_manifest(added, "added", [3, 11, 10], 3, 4, ADDED)
    batchnorm = os.path.join(work, "batchnorm", "manifest.yaml")
    write_manifest(batchnorm, "batchnorm", [3, 12, 12], 4, 6, BATCHNORM)
    cases = [
        # name, manifest, overrides, PyTorch initialises, steps
        ("quickstart", os.path.join(source, "experiments", "quickstart.yaml"),
         common + ["train.batch=8"], False, STEPS),
        ("report-avg", avg, common, True, STEPS),
        ("report-max", biggest, common + ["model.weights=null"], False,
         STEPS),
        ("added", added, common, True, STEPS),
        # PyTorch's BatchNorm state_dict (num_batches_tracked int64 and
        # all) loads into cnnlab, and cnnlab's loads into PyTorch.
        ("batchnorm", batchnorm, common, True, STEPS),
        ("batchnorm-cnnlab-init", batchnorm,
         common + ["model.weights=null"], False, STEPS),
        # REPORT-SPEC A.7 itself, at the smallest input its three pools
        # take (44x44) and for fewer steps: it costs ten times the others.
        ("best", os.path.join(source, "experiments", "part-a", "best.yaml"),
         common + ["train.batch=1", "model.input=[3, 44, 44]"], False,
         BEST_STEPS),
    ]
    for name, manifest, overrides, from_torch, steps in cases:
        try:
            compare_model(name, driver, manifest, os.path.join(work, "runs"),
                          overrides, from_torch, steps)
        except Exception as error:  # a crash is one failure, then go on
            ok(False, "%s: the comparison runs" % name,
               "%s: %s" % (type(error).__name__, error))
    print("1..%d" % count)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
