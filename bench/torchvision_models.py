#!/usr/bin/env python3
"""End-to-end inference time of torchvision models (random weights, eval mode, torch.no_grad()), PyTorch's own CPU
convolution against the same model after colconv.torch.convert, in alternating rounds; prints a Markdown table of
colconv's speed relative to PyTorch's (above 1: colconv faster) and checks that the outputs agree.

    OPENBLAS_CORETYPE=SkylakeX PYTHONPATH=build/python:python /usr/bin/python3 bench/torchvision_models.py \\
        [--models resnet50,mobilenet_v2] [--batch 1] [--threads 1] [--rounds 5] [--size 224]

--models all runs every torchvision classification model that has convolutions.
"""
import argparse
import copy
import os
import sys
import time


def threads_argument():
    """--threads, read before torch loads: its OpenMP pool (PyTorch's own convolutions) takes OMP_NUM_THREADS
    from the environment, and torch.set_num_threads alone left a second thread busy in them (measured)."""
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


os.environ["OMP_NUM_THREADS"] = threads_argument()

import torch  # noqa: E402
import torchvision  # noqa: E402

import colconv  # noqa: E402
import colconv.torch  # noqa: E402

DEFAULT_MODELS = "resnet50,mobilenet_v2,resnext50_32x4d,efficientnet_b0,convnext_tiny"


def classification_models():
    names = torchvision.models.list_models(module=torchvision.models) if hasattr(torchvision.models, "list_models") \
        else [n for n, f in vars(torchvision.models).items()
              if callable(f) and n[0].islower() and not n.startswith("get") and n not in ("list_models",)]
    return sorted(n for n in names if not n.startswith(("vit_", "swin_", "maxvit")) and "quantized" not in n)


def best_time(model, x, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model(x)
        best = min(best, time.perf_counter() - start)
    return best


def measure(name, batch, size, rounds, repeats):
    torch.manual_seed(0)
    reference = getattr(torchvision.models, name)(weights=None).eval()
    converted = colconv.torch.convert(copy.deepcopy(reference))
    row = {"model": name}
    x = torch.randn(batch, 3, size, size)
    for fmt in ("nchw", "channels_last"):
        memory_format = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
        ref = reference.to(memory_format=memory_format)
        ours = converted.to(memory_format=memory_format)
        xx = x.contiguous(memory_format=memory_format)
        with torch.no_grad():
            want, got = ref(xx), ours(xx)  # warm-up: plans, packed weights, workspaces
            err = float((got - want).abs().max() / max(1e-30, float(want.abs().max())))
            t_ref, t_ours = float("inf"), float("inf")
            for _ in range(rounds):
                t_ref = min(t_ref, best_time(ref, xx, repeats))
                t_ours = min(t_ours, best_time(ours, xx, repeats))
        row[fmt] = (t_ref, t_ours, err)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    if os.environ.get("OPENBLAS_CORETYPE") != "SkylakeX":
        print("note: OPENBLAS_CORETYPE is not SkylakeX: colconv's GEMMs run OpenBLAS's slower kernels", file=sys.stderr)
    torch.set_num_threads(args.threads)
    colconv.set_num_threads(args.threads)
    names = classification_models() if args.models == "all" else args.models.split(",")
    print(f"batch {args.batch}, {args.threads} thread(s), {args.size}x{args.size}, best of {args.rounds} alternating "
          f"rounds of {args.repeats}; speed = PyTorch time / colconv time")
    print("| model | NCHW: PyTorch ms | colconv ms | speed | channels_last: PyTorch ms | colconv ms | speed | max rel. error |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        row = measure(name, args.batch, args.size, args.rounds, args.repeats)
        cells = []
        for fmt in ("nchw", "channels_last"):
            t_ref, t_ours, _ = row[fmt]
            cells += [f"{t_ref * 1e3:.1f}", f"{t_ours * 1e3:.1f}", f"{t_ref / t_ours:.2f}x"]
        err = max(row["nchw"][2], row["channels_last"][2])
        print(f"| {name} | " + " | ".join(cells) + f" | {err:.1e} |", flush=True)


if __name__ == "__main__":
    main()
