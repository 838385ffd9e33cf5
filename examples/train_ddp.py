#!/usr/bin/env python3
"""Data-parallel training with torch.distributed (gloo backend, processes on 127.0.0.1) of a small CNN whose
convolutions are colconv's: colconv is a per-process kernel library inside an existing distributed engine, so
DistributedDataParallel averages its gradients like any other.

With --check, the first step's averaged gradients are compared on rank 0 with those of one process that runs the
same model on the concatenated batch; the script exits with status 1 if they differ.

    PYTHONPATH=build/python:python /usr/bin/python3 examples/train_ddp.py [--world-size 2] [--steps 20] [--check]
"""
import argparse
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel

import colconv
import colconv.torch


def make_model():
    """Three colconv convolutions (one strided and grouped, one with a fused ReLU) and a classifier."""
    torch.manual_seed(0)
    return nn.Sequential(
        colconv.torch.Conv2d(3, 16, 3, padding=1, activation="relu"),
        colconv.torch.Conv2d(16, 32, 3, stride=2, padding=1, groups=2), nn.ReLU(),
        colconv.torch.Conv2d(32, 32, 3, padding=2, dilation=2), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 4))


def batch(step, size):
    g = torch.Generator().manual_seed(1000 + step)
    return torch.randn(size, 3, 16, 16, generator=g), torch.randint(0, 4, (size,), generator=g)


def worker(rank, args, port, result):
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=args.world_size)
    torch.set_num_threads(1)
    colconv.set_num_threads(1)
    model = DistributedDataParallel(make_model())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    per_rank = args.batch // args.world_size
    for step in range(args.steps):
        images, labels = batch(step, args.batch)
        mine = slice(rank * per_rank, (rank + 1) * per_rank)  # each rank its share of the global batch
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(images[mine]), labels[mine])
        loss.backward()  # DDP all-reduces (averages) the gradients here
        if step == 0 and rank == 0:
            result["grads"] = [p.grad.clone() for p in model.parameters()]
        optimizer.step()
        if rank == 0 and (step % 5 == 0 or step == args.steps - 1):
            print(f"step {step}: rank 0 loss {loss.item():.4f}", flush=True)
    dist.destroy_process_group()


def single_process_grads(args):
    """The gradients of one process on the whole first batch: what DDP's averaged gradients must equal."""
    model = make_model()
    images, labels = batch(0, args.batch)
    nn.functional.cross_entropy(model(images), labels).backward()
    return [p.grad for p in model.parameters()]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--world-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16, help="the global batch, split evenly over the ranks")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.batch % args.world_size:
        parser.error(f"--batch {args.batch} must divide by --world-size {args.world_size}")
    with mp.Manager() as manager:
        result = manager.dict()
        mp.spawn(worker, args=(args, free_port(), result), nprocs=args.world_size, join=True)
        grads = list(result["grads"])
    if not args.check:
        return 0
    want = single_process_grads(args)
    worst = max(float((g - w).abs().max() / (w.abs().max() + 1e-12)) for g, w in zip(grads, want))
    ok = all(torch.allclose(g, w, rtol=1e-4, atol=1e-5) for g, w in zip(grads, want))
    print(f"gradients of {args.world_size} processes {'equal' if ok else 'DIFFER FROM'} one process's on the "
          f"concatenated batch (largest relative difference {worst:.1e})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
