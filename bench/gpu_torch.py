"""PyTorch's side of bench/gpu: the same models, data shape, batch size,
loss and optimizer as bench/gpu.yaml, in the strongest plain-eager form:
data already normalised in pinned host memory, copied per batch without
blocking, cuDNN autotuning on, TF32 off (cnnlab's default), and the running
loss kept on the GPU so no step waits for the host. Prints one line per
epoch: "epoch E: S seconds, R images/s".

    python3 bench/gpu_torch.py --model best|baseline --batch 4 [--epochs 2]
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    """A conv stack, global average pooling, then linear layers; every conv
    and hidden linear followed by ReLU, as in REPORT-SPEC."""

    def __init__(self, convs, pools, linears, classes=33):
        super().__init__()
        self.convs = nn.ModuleList()
        channels = 3
        for out, kernel in convs:
            self.convs.append(nn.Conv2d(channels, out, kernel))
            channels = out
        self.pools = pools  # conv index -> (kernel, stride) of a pool after it
        self.linears = nn.ModuleList()
        for out in linears + [classes]:
            self.linears.append(nn.Linear(channels, out))
            channels = out

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(x))
            if i in self.pools:
                kernel, stride = self.pools[i]
                x = F.max_pool2d(x, kernel, stride)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        for linear in self.linears[:-1]:
            x = F.relu(linear(x))
        return self.linears[-1](x)


MODELS = {
    "baseline": lambda: Net([(64, 5), (128, 5), (256, 5)],
                            {0: (2, 2), 1: (2, 2), 2: (2, 2)}, [256, 128]),
    "best": lambda: Net([(64, 3), (64, 3), (128, 3), (128, 3), (256, 3),
                         (256, 3)],
                        {1: (3, 2), 3: (3, 2), 5: (3, 2)}, [256, 256]),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(MODELS), required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--images", type=int, default=13200)
    parser.add_argument("--tf32", action="store_true",
                        help="allow TensorFloat-32 (cnnlab: cuda.tf32)")
    args = parser.parse_args()

    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    device = torch.device("cuda")
    torch.manual_seed(1)
    model = MODELS[args.model]().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    images = ((torch.randint(0, 256, (args.images, 3, 84, 84),
                             dtype=torch.uint8).float() / 255 - 0.5) / 0.5)
    images = images.pin_memory()
    labels = torch.randint(0, 33, (args.images,)).pin_memory()
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(args.images)
        torch.cuda.synchronize()
        started = time.perf_counter()
        running = torch.zeros((), device=device)
        for start in range(0, args.images, args.batch):
            index = order[start:start + args.batch]
            x = images[index].pin_memory().to(device, non_blocking=True)
            y = labels[index].pin_memory().to(device, non_blocking=True)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += loss.detach() * len(index)
        torch.cuda.synchronize()
        seconds = time.perf_counter() - started
        print(f"epoch {epoch}: {seconds:.3f} seconds, "
              f"{args.images / seconds:.1f} images/s, "
              f"mean loss {running.item() / args.images:.4f}", flush=True)


if __name__ == "__main__":
    main()
