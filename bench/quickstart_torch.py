"""PyTorch's side of bench/quickstart.sh: times training steps of the
quickstart model (experiments/quickstart.yaml) on synthetic data, the same
steps bench/train-steps times for cnnlab: forward, cross-entropy, backward,
SGD (lr 0.05, momentum 0.9).

    python3 bench/quickstart_torch.py [--batch N] [--steps N] [--warmup N]
                                      [--threads N]

Prints one line "pytorch batch B steps S threads T: X images/s (Y ms/step)".
"""
import argparse
import time

import torch
from torch import nn


def quickstart_model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = quickstart_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_function = nn.CrossEntropyLoss()
    # Inputs uniform in [-1, 1), labels uniform, as in bench/train_steps.c.
    x = torch.rand(args.batch, 1, 28, 28) * 2 - 1
    labels = torch.randint(0, 10, (args.batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_function(model(x), labels)
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - started
    print("pytorch batch %d steps %d threads %d: %.1f images/s (%.3f ms/step)"
          % (args.batch, args.steps, args.threads,
             args.batch * args.steps / seconds, 1e3 * seconds / args.steps))


if __name__ == "__main__":
    main()
