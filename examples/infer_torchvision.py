#!/usr/bin/env python3
"""Converts torchvision models (random weights: nothing is downloaded) to colconv with colconv.torch.convert, checks
that each gives PyTorch's output, and prints both times; exits with status 1 if an output differs.

    OPENBLAS_CORETYPE=SkylakeX PYTHONPATH=build/python:python /usr/bin/python3 examples/infer_torchvision.py \\
        [--models resnet18,efficientnet_b0] [--size 224] [--channels-last] [--threads 1]
"""
import argparse
import copy
import os
import sys
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--models", default="resnet18,efficientnet_b0")
parser.add_argument("--size", type=int, default=224)
parser.add_argument("--batch", type=int, default=1)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--channels-last", action="store_true")
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()
# PyTorch's OpenMP pool reads this when torch loads; set_num_threads alone left it a second thread.
os.environ["OMP_NUM_THREADS"] = str(args.threads)

import torch  # noqa: E402
import torchvision  # noqa: E402

import colconv  # noqa: E402
import colconv.torch  # noqa: E402


def best_ms(model, x):
    best = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        model(x)
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def main():
    torch.set_num_threads(args.threads)
    colconv.set_num_threads(args.threads)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    failures = 0
    for name in args.models.split(","):
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(weights=None).eval().to(memory_format=memory_format)
        ours = colconv.torch.convert(copy.deepcopy(model))
        x = torch.randn(args.batch, 3, args.size, args.size).contiguous(memory_format=memory_format)
        with torch.no_grad():
            want, got = model(x), ours(x)
            ok = torch.allclose(got, want, rtol=1e-4, atol=1e-4 * float(want.abs().max()))
            converted = sum(isinstance(m, (colconv.torch.Conv2d, colconv.torch.ConvTranspose2d)) for m in ours.modules())
            print(f"{name}: {converted} convolutions on colconv, output {'matches' if ok else 'DIFFERS FROM'} PyTorch's "
                  f"(max difference {float((got - want).abs().max()):.2e}); PyTorch {best_ms(model, x):.1f} ms, "
                  f"colconv {best_ms(ours, x):.1f} ms", flush=True)
        failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
