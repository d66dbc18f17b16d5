"""PyTorch's side of bench/vs-pytorch: times training steps (forward,
cross-entropy, backward, SGD lr 0.001 momentum 0.9, as the manifests train)
or evaluation-mode forwards (torch.inference_mode) of the study's best or
baseline model (bench/gpu_torch.py defines both, as cnnlab builds
experiments/part-a/best.yaml and the baseline of conv-layers.yaml) on
synthetic 84x84x3 images in 33 classes, plain eager on the CPU.

    python3 bench/vs_pytorch_torch.py --model best|baseline
        [--mode train|infer] [--batch N] [--steps N] [--warmup N]
        [--threads N] [--profile] [--cpu-clock]

Prints one line "pytorch MODE batch B steps S threads T: X images/s
(Y ms/step)", the same format as bench/train-steps; --profile then runs
the timed steps again under torch.profiler and prints its table of
operators (self CPU time per step), to set beside train-steps --layers.
--cpu-clock times with the process's CPU time instead of the wall clock
(as train-steps --cpu-clock does: on a shared machine, CPU time of a
1-thread run still compares kernels fairly).
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_torch import MODELS  # noqa: E402  (the same models as bench/gpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), required=True)
    parser.add_argument("--mode", choices=["train", "infer"],
                        default="train")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--cpu-clock", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = MODELS[args.model]()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    # Inputs uniform in [-1, 1), labels uniform, as in bench/train_steps.c.
    x = torch.rand(args.batch, 3, 84, 84) * 2 - 1
    labels = torch.randint(0, 33, (args.batch,))

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()

    def infer_step():
        with torch.inference_mode():
            model(x)

    if args.mode == "infer":
        model.eval()
        step = infer_step
    else:
        step = train_step
    for _ in range(args.warmup):
        step()
    clock = time.process_time if args.cpu_clock else time.perf_counter
    started = clock()
    for _ in range(args.steps):
        step()
    seconds = clock() - started
    print("pytorch %s batch %d steps %d threads %d: %.1f images/s "
          "(%.3f ms/step)"
          % ("inference" if args.mode == "infer" else "training", args.batch,
             args.steps, args.threads, args.batch * args.steps / seconds,
             1e3 * seconds / args.steps))
    if args.profile:
        with torch.profiler.profile(
                activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            for _ in range(args.steps):
                step()
        print("(profiler times are totals over %d steps)" % args.steps)
        print(prof.key_averages().table(sort_by="self_cpu_time_total",
                                        row_limit=25))


if __name__ == "__main__":
    main()
