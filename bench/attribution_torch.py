"""PyTorch's side of bench/attribution: the attribution methods per image,
written directly with autograd and, when it imports, with Captum, on one
seeded random 84x84x3 image through the study's best model
(bench/gpu_torch.py's, PyTorch's default initialisation), in evaluation
mode, explaining the predicted class's logit:

(Gradients by torch.autograd.grad with respect to what each method
needs, so no parameter gradient is computed, as Captum does.)

  saliency              one gradient with respect to the input; |g| of the
                        largest channel and the sum over channels of x g
  gradcam               the gradient with respect to the last conv's
                        output (after its ReLU, as cnnlab's fused conv6),
                        channel weights, ReLU, bilinear upsampling to 84x84
  integrated-gradients  `steps` midpoints from a black image, `batch` per
                        gradient pass, and the two end forwards

Captum (0.6: Saliency, LayerGradCam + LayerAttribution.interpolate,
IntegratedGradients with method riemann_middle and internal_batch_size)
is timed when `import captum` works; its column is left out otherwise.

    python3 bench/attribution_torch.py [--steps 32] [--batch 16]
        [--threads 2] [--repeats 5]

Prints "pytorch <method>: X ms" and "captum <method>: X ms" lines, each
the median of `repeats` calls after one warm-up call.
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_torch import MODELS  # noqa: E402  (the same models as bench/gpu)


class Best(torch.nn.Module):
    """bench/gpu_torch.py's best model with the last conv's activation
    kept, for Grad-CAM."""

    def __init__(self):
        super().__init__()
        self.net = MODELS["best"]()
        self.last = None

    def forward(self, x):
        net = self.net
        for i, conv in enumerate(net.convs):
            x = F.relu(conv(x))
            if i == len(net.convs) - 1:
                self.last = x
            if i in net.pools:
                kernel, stride = net.pools[i]
                x = F.max_pool2d(x, kernel, stride)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        for linear in net.linears[:-1]:
            x = F.relu(linear(x))
        return net.linears[-1](x)


def saliency(model, x, k):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(x)[0, k], x)
    return g[0].abs().amax(0), (x.detach()[0] * g[0]).sum(0)


def gradcam(model, x, k):
    y = model(x)[0, k]
    activation = model.last
    (g,) = torch.autograd.grad(y, activation)
    alpha = g[0].mean((1, 2))
    cam = F.relu((alpha[:, None, None] * activation.detach()[0]).sum(0))
    return F.interpolate(cam[None, None], size=x.shape[2:],
                         mode="bilinear", align_corners=False)[0, 0]


def integrated(model, x, k, steps, batch):
    base = torch.full_like(x, -1.0)  # black, normalised by 0.5 / 0.5
    total = torch.zeros_like(x[0])
    for first in range(0, steps, batch):
        alphas = (torch.arange(first, min(first + batch, steps)) + 0.5) / steps
        points = (base + alphas[:, None, None, None] * (x - base))
        points.requires_grad_(True)
        (g,) = torch.autograd.grad(model(points)[:, k].sum(), points)
        total += g.sum(0)
    attribution = ((x - base)[0] * total / steps).sum(0)
    with torch.no_grad():
        model(torch.cat([x, base]))
    return attribution


def captum_methods(model, x, k, steps, batch):
    try:
        from captum.attr import (IntegratedGradients, LayerAttribution,
                                 LayerGradCam, Saliency)
    except Exception:  # not installed, or its imports fail: no column
        return {}
    conv6 = model.net.convs[-1]
    base = torch.full_like(x, -1.0)
    return {
        "saliency": lambda: Saliency(model).attribute(x, target=k, abs=True),
        "gradcam": lambda: LayerAttribution.interpolate(
            LayerGradCam(model, conv6).attribute(x, target=k), (84, 84)),
        "integrated-gradients": lambda: IntegratedGradients(model).attribute(
            x, base, target=k, n_steps=steps, method="riemann_middle",
            internal_batch_size=batch),
    }


def median_ms(function, repeats):
    function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(1e3 * (time.perf_counter() - started))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = Best().eval()
    x = torch.rand(1, 3, 84, 84) * 2 - 1
    with torch.no_grad():
        k = int(model(x).argmax())
    ours = {
        "saliency": lambda: saliency(model, x, k),
        "gradcam": lambda: gradcam(model, x, k),
        "integrated-gradients": lambda: integrated(model, x, k, args.steps,
                                                   args.batch),
    }
    for name, function in ours.items():
        print("pytorch %s: %.2f ms" % (name, median_ms(function,
                                                        args.repeats)))
    for name, function in captum_methods(model, x, k, args.steps,
                                         args.batch).items():
        print("captum %s: %.2f ms" % (name, median_ms(function,
                                                       args.repeats)))


if __name__ == "__main__":
    main()
