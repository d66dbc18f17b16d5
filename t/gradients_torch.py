"""PyTorch's side of t/gradients-torch.sh: the analysis API's gradients
(cnn_analysis_gradient) against autograd on the same weights. For each
model below, `t/parity-driver --gradients` (cnnlab, CPU) writes its
weights, a seeded batch (inputs uniform in [-2, 2), one class per
sample) and, for the class's logit and its softmax probability, the
gradient with respect to the input and to every layer's output; the same
model in PyTorch (t/parity_torch.py builds it: one module per cnnlab
layer), in eval mode, must agree:

  gradients    per place, max |cnnlab - torch| <= 1e-4 * max |torch|
  activations  per place, max |cnnlab - torch| <= 1e-5 * max |torch|
  outputs      the differentiated logits and probabilities, the same

(float32 on both sides: the tolerances of t/parity_torch.py, room for
the two libraries summing in different orders and nothing more.)

Max pooling ties are NOT avoided: the inputs pass convolutions with a
fused ReLU before each pool, so many windows hold only zeros. cnnlab
breaks them as PyTorch's CPU kernel does (the first maximum in the
window's row-major order wins), so the gradient with respect to a pool's
input must agree there too. One model has dropout p = 0.5: eval mode must
leave it off (a single dropped value would fail the comparison).

    gradients_torch.py DRIVER SRCDIR WORKDIR

Prints TAP."""
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity_torch as parity  # noqa: E402

GRADIENT_TOLERANCE = 1e-4
VALUE_TOLERANCE = 1e-5
KINDS = ("logit", "probability")

# Dropout on (p 0.5) between padded 3/2 pooling and a 2x2 pool, a
# separate relu and max global pooling: what eval mode and tie-breaking
# must get right.
DROPOUT_MODEL = [
    {"conv2d": {"out": 6, "kernel": 3, "padding": 1,
                "activation": "relu"}},
    {"maxpool2d": {"kernel": 3, "stride": 2, "padding": 1}},
    {"dropout": {"p": 0.5}},
    {"conv2d": {"out": 8, "kernel": 3, "padding": 1}},
    "relu",
    {"maxpool2d": {"kernel": 2}},
    {"globalpool": {"mode": "max"}},
    {"linear": {"out": 12, "activation": "relu"}},
    {"dropout": {"p": 0.5}},
    {"linear": {"out": 5}},
]


def read_f32(directory, name, shape):
    return np.fromfile(os.path.join(directory, name),
                       dtype="<f4").reshape(shape)


def torch_places(model, inputs, labels, kind):
    """Every place's activation and gradient (place -1: the input) and the
    differentiated outputs, by autograd."""
    x = torch.from_numpy(inputs).clone().requires_grad_(True)
    places, h = [x], x
    for module in model:
        h = module(h)
        h.retain_grad()
        places.append(h)
    logits = h.reshape(len(labels), -1)
    index = torch.from_numpy(labels.astype(np.int64)).unsqueeze(1)
    chosen = (logits if kind == "logit"
              else torch.softmax(logits, dim=1)).gather(1, index)
    chosen.sum().backward()
    return places, chosen.detach().numpy().reshape(-1)


def compare_kind(name, directory, info, model, inputs, labels, kind):
    batch = info["batch"]
    places, values = torch_places(model, inputs, labels, kind)
    got = read_f32(directory, "value-%s.f32" % kind, [batch])
    error = parity.relative_error(got, values)
    parity.ok(error <= VALUE_TOLERANCE,
              "%s: the %ss differentiated (%.2g <= %g)"
              % (name, kind, error, VALUE_TOLERANCE))
    for place, tensor in enumerate(places, start=-1):
        shape = [batch] + list(info["input"] if place < 0 else
                               info["layers"][place]["output"])
        what = ("the input" if place < 0 else "layer %d (%s)" % (
            place, info["layers"][place]["type"]))
        want = tensor.grad.detach().numpy().reshape(shape)
        grad = read_f32(directory, "gradient-%s-%d.f32" % (kind, place),
                        shape)
        error = parity.relative_error(grad, want)
        parity.ok(error <= GRADIENT_TOLERANCE,
                  "%s: d %s / d %s (max |diff| / max |grad| = %.2g <= %g)"
                  % (name, kind, what, error, GRADIENT_TOLERANCE))
        if kind == "logit" and place >= 0:
            act = read_f32(directory, "activation-%d.f32" % place, shape)
            error = parity.relative_error(
                act, tensor.detach().numpy().reshape(shape))
            parity.ok(error <= VALUE_TOLERANCE,
                      "%s: %s's output (%.2g <= %g)"
                      % (name, what, error, VALUE_TOLERANCE))


def compare_model(name, driver, manifest, work, overrides):
    directory = os.path.join(work, name)
    os.makedirs(directory, exist_ok=True)
    run = subprocess.run([driver, "--gradients", manifest, directory]
                         + overrides, capture_output=True, text=True)
    if not parity.ok(run.returncode == 0,
                     "%s: parity-driver --gradients runs" % name,
                     run.stderr):
        return
    with open(os.path.join(directory, "model.json")) as stream:
        info = json.load(stream)
    initial, _ = parity.read_safetensors(
        os.path.join(directory, "initial.safetensors"))
    model = parity.torch_sequential(info)
    model.load_state_dict({k: torch.from_numpy(v)
                           for k, v in initial.items()}, strict=True)
    model.eval()
    batch = info["batch"]
    inputs = read_f32(directory, "inputs.f32", [batch] + info["input"])
    labels = np.fromfile(os.path.join(directory, "labels.i32"), dtype="<i4")
    for kind in KINDS:
        compare_kind(name, directory, info, model, inputs, labels, kind)


def main():
    driver, source, work = sys.argv[1], sys.argv[2], sys.argv[3]
    torch.set_num_threads(2)
    common = ["threads=2", "train.optimizer={sgd: {lr: 0.01}}"]
    dropout = os.path.join(work, "dropout", "manifest.yaml")
    parity.write_manifest(dropout, "dropout", [3, 20, 20], 5, 3,
                          DROPOUT_MODEL)
    cases = [
        ("quickstart", os.path.join(source, "experiments", "quickstart.yaml"),
         common + ["train.batch=4"]),
        ("dropout", dropout, common + ["model.weights=null"]),
        # REPORT-SPEC A.7 at the smallest input its three pools take.
        ("best", os.path.join(source, "experiments", "part-a", "best.yaml"),
         common + ["train.batch=2", "model.input=[3, 44, 44]"]),
    ]
    for name, manifest, overrides in cases:
        try:
            compare_model(name, driver, manifest, os.path.join(work, "runs"),
                          overrides)
        except Exception as error:  # a crash is one failure, then go on
            parity.ok(False, "%s: the comparison runs" % name,
                      "%s: %s" % (type(error).__name__, error))
    print("1..%d" % parity.count)
    return 1 if parity.failures else 0


if __name__ == "__main__":
    sys.exit(main())
