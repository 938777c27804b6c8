"""Training-step throughput of the Fashion-MNIST benchmark CNN in PyTorch on CPU.

Run by bench/wasm-threads.ts (never by the tests or CI); Debian's python3-torch:

    /usr/bin/python3 bench/torch-fmnist-step.py --threads 2 --batch 128 --steps 10

Same model as bench/models/fmnist-cnn.ts (three blocks of Conv2d 3x3 same 32/64/128 + BatchNorm +
ReLU + MaxPool 2, Flatten, Linear 128 ReLU, Linear 10), same step (forward, softmax cross-entropy,
backward, Adam), seeded random data, NCHW (PyTorch's native layout). Prints one JSON line:
samples/s of each timed run, after one warm-up step, plus an optional per-operator profile.
"""
import argparse
import json
import time

import torch
from torch import nn


def build() -> nn.Module:
    layers = []
    channels = 1
    for filters in (32, 64, 128):
        layers += [nn.Conv2d(channels, filters, 3, padding=1), nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01), nn.ReLU(), nn.MaxPool2d(2)]
        channels = filters
    layers += [nn.Flatten(), nn.Linear(128 * 3 * 3, 128), nn.ReLU(), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(args.batch, 1, 28, 28)
    y = torch.randint(0, 10, (args.batch,))

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    step()  # warm-up
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        rates.append(args.batch * args.steps / (time.perf_counter() - start))
    out = {"threads": torch.get_num_threads(), "batch": args.batch, "samplesPerSecond": rates, "torch": torch.__version__}
    if args.profile:
        with torch.autograd.profiler.profile() as prof:
            for _ in range(3):
                step()
        ops = {}
        for e in prof.key_averages():
            ops[e.key] = e.self_cpu_time_total / 1000 / 3  # ms per step
        out["profileMsPerStep"] = dict(sorted(ops.items(), key=lambda kv: -kv[1])[:12])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
