"""PyTorch's side of bench/occlusion: one occlusion map by brute force, the
way Captum's Occlusion computes it (every occluded image through the whole
model, `--batch` of them per forward, Captum's perturbations_per_eval), on
one seeded random 84x84x3 image through the study's best model
(bench/gpu_torch.py) with PyTorch's default initialisation, in evaluation
mode under torch.inference_mode. The window (gray 211, normalised by mean
and std 0.5 as the study's manifests do) is centred on every stride-th
pixel and cut at the border, as cnnlab's `border: clip`; the map holds the
clean prediction's softmax probability, or 0 where the occluded image is
predicted otherwise, as cnnlab's.

    python3 bench/occlusion_torch.py [--window 11] [--stride 1]
        [--batch 64] [--threads 2]

Prints "pytorch occlusion brute force RxC cells, ...: S s".
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_torch import MODELS  # noqa: E402  (the same models as bench/gpu)


def occlusion_map(model, image, fill, window, stride, batch):
    _, height, width = image.shape
    reach = (window - 1) // 2
    cells = [(i, j) for i in range(0, (height + stride - 1) // stride)
             for j in range(0, (width + stride - 1) // stride)]
    with torch.inference_mode():
        clean = model(image[None])[0]
        predicted = int(clean.argmax())
        values = torch.empty(len(cells))
        for start in range(0, len(cells), batch):
            chunk = cells[start:start + batch]
            occluded = image.repeat(len(chunk), 1, 1, 1)
            for k, (i, j) in enumerate(chunk):
                top = max(i * stride - reach, 0)
                left = max(j * stride - reach, 0)
                bottom = min(i * stride - reach + window, height)
                right = min(j * stride - reach + window, width)
                occluded[k, :, top:bottom, left:right] = fill
            logits = model(occluded)
            probability = torch.softmax(logits, 1)[:, predicted]
            keep = logits.argmax(1) == predicted
            values[start:start + len(chunk)] = torch.where(
                keep, probability, torch.zeros_like(probability))
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--window", type=int, default=11)
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = MODELS["best"]().eval()
    image = torch.rand(3, 84, 84) * 2 - 1
    fill = (211 / 255 - 0.5) / 0.5
    started = time.perf_counter()
    values = occlusion_map(model, image, fill, args.window, args.stride,
                           args.batch)
    seconds = time.perf_counter() - started
    side = (84 + args.stride - 1) // args.stride
    print("pytorch occlusion brute force %dx%d cells, window %d, stride %d, "
          "clip, batch %d, threads %d: %.3f s (map %.4f..%.4f)"
          % (side, side, args.window, args.stride, args.batch, args.threads,
             seconds, float(values.min()), float(values.max())))


if __name__ == "__main__":
    main()
