#!/usr/bin/env python3
"""End-to-end inference time of torchvision models (random weights, eval mode, torch.no_grad()): PyTorch's own CPU
path against the same model after colconv.torch.convert (the model's modules, colconv's convolutions) and
colconv.torch.freeze (BatchNorm folded, ReLU and residual adds fused), in alternating rounds; prints a Markdown
table of colconv's speed relative to PyTorch's (above 1: colconv faster) and the outputs' largest differences.

    OPENBLAS_CORETYPE=SkylakeX PYTHONPATH=build/python:python /usr/bin/python3 bench/torchvision_models.py \\
        [--models resnet50,mobilenet_v2] [--batch 1] [--threads 1] [--rounds 5] [--size 224] [--omp-passive]
        [--gemm openblas|onednn] [--pool tbb|openmp]

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
# --omp-passive: PyTorch's OpenMP threads sleep as soon as a parallel region ends instead of spinning, which at 2
# threads on 2 cores otherwise takes the core colconv's second TBB worker needs (measured: convnext_tiny NCHW 184 ms
# instead of 53). It changes PyTorch's own times too (ResNet-50 NCHW 49 -> 56 ms), so tables say which was used.
if "--omp-passive" in sys.argv:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

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
    """Per memory format: PyTorch's time, convert()'s and freeze()'s, and their largest relative errors."""
    torch.manual_seed(0)
    reference = getattr(torchvision.models, name)(weights=None).eval()
    converted = colconv.torch.convert(copy.deepcopy(reference))
    frozen = colconv.torch.freeze(reference)
    row = {"model": name}
    x = torch.randn(batch, 3, size, size)
    for fmt in ("nchw", "channels_last"):
        memory_format = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
        models = [m.to(memory_format=memory_format) for m in (reference, converted, frozen)]
        xx = x.contiguous(memory_format=memory_format)
        with torch.no_grad():
            outputs = [m(xx) for m in models]  # warm-up: plans, packed weights, workspaces
            scale = max(1e-30, float(outputs[0].abs().max()))
            errors = [float((y - outputs[0]).abs().max()) / scale for y in outputs[1:]]
            times = [float("inf")] * 3
            for _ in range(rounds):
                for i, m in enumerate(models):
                    times[i] = min(times[i], best_time(m, xx, repeats))
        row[fmt] = (times, errors)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--omp-passive", action="store_true", help="OMP_WAIT_POLICY=PASSIVE for PyTorch's threads")
    parser.add_argument("--gemm", default="", help="colconv's GEMM backend (colconv.gemm_backends()); default: "
                        "colconv.torch's (COLCONV_GEMM, else onednn where built)")
    parser.add_argument("--pool", default="", help="the threads colconv's tasks run on (colconv.set_parallel_runner):"
                        " tbb or openmp (PyTorch's own); default: colconv.torch's")
    args = parser.parse_args()
    if os.environ.get("OPENBLAS_CORETYPE") != "SkylakeX" and "avx512f" in open("/proc/cpuinfo").read().split():
        print("note: OPENBLAS_CORETYPE is not SkylakeX on this AVX-512 CPU: colconv's GEMMs run OpenBLAS's slower "
              "kernels", file=sys.stderr)
    torch.set_num_threads(args.threads)
    colconv.set_num_threads(args.threads)
    if args.gemm:
        colconv.set_gemm_backend(args.gemm)
    if args.pool:
        colconv.set_parallel_runner(args.pool)
    names = classification_models() if args.models == "all" else args.models.split(",")
    print(f"batch {args.batch}, {args.threads} thread(s), {args.size}x{args.size}, colconv's GEMM "
          f"{colconv.torch.gemm_backend()}{', on OpenMP threads' if args.pool == 'openmp' else ''}, best of "
          f"{args.rounds} alternating "
          f"rounds of {args.repeats}{', OMP_WAIT_POLICY=PASSIVE' if args.omp_passive else ''}; "
          f"speed = PyTorch's time / colconv's; convert() keeps the model's modules, "
          f"freeze() folds BatchNorm and fuses ReLU and residual adds (inference)")
    print("| model | layout | PyTorch ms | convert ms | speed | freeze ms | speed | max rel. error |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        row = measure(name, args.batch, args.size, args.rounds, args.repeats)
        for fmt in ("nchw", "channels_last"):
            (t_ref, t_convert, t_freeze), errors = row[fmt]
            print(f"| {name} | {fmt} | {t_ref * 1e3:.1f} | {t_convert * 1e3:.1f} | {t_ref / t_convert:.2f}x | "
                  f"{t_freeze * 1e3:.1f} | {t_ref / t_freeze:.2f}x | {max(errors):.1e} |", flush=True)


if __name__ == "__main__":
    main()
