#!/usr/bin/env python3
"""Trains the same small CNN twice from the same weights: with PyTorch's own Conv2d and with colconv's, and
prints the loss and the time of every step for both.

    PYTHONPATH=build/python:python /usr/bin/python3 examples/train_tiny_cnn.py [--steps 200] [--channels-last]
"""
import argparse
import time

import torch
import torch.nn as nn

import colconv.torch


def make_model(conv):
    """Three convolutions (one strided, one grouped, one dilated) and a classifier; conv is nn.Conv2d or
    colconv.torch.Conv2d, which take the same arguments."""
    return nn.Sequential(
        conv(3, 16, 3, padding=1), nn.ReLU(),
        conv(16, 32, 3, stride=2, padding=1, groups=2), nn.ReLU(),
        conv(32, 32, 3, padding=2, dilation=2), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 4))


def synthetic_data(seed, count=256, size=16):
    """Images whose class is where their brightest quadrant is, plus noise: learnable, not trivial."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(count, 3, size, size, generator=g)
    labels = torch.randint(0, 4, (count,), generator=g)
    h = size // 2
    for i, label in enumerate(labels.tolist()):
        r, c = divmod(label, 2)
        images[i, :, r * h:(r + 1) * h, c * h:(c + 1) * h] += 0.25
    return images, labels


def train(model, images, labels, steps, batch=32, lr=0.05, channels_last=False):
    """SGD over fixed batches; returns [(loss, seconds)] per step."""
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = []
    for step in range(steps):
        start = (step * batch) % images.shape[0]
        x, y = images[start:start + batch], labels[start:start + batch]
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        t0 = time.perf_counter()
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        history.append((loss.item(), time.perf_counter() - t0))
    return history


def twin_models(seed):
    """A PyTorch model and a colconv model holding the very same weights."""
    torch.manual_seed(seed)
    reference = make_model(nn.Conv2d)
    twin = make_model(colconv.torch.Conv2d)
    twin.load_state_dict(reference.state_dict())
    return reference, twin


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--channels-last", action="store_true", help="NHWC activations (colconv runs NHWC)")
    args = parser.parse_args()
    torch.set_num_threads(colconv.get_num_threads())  # the same threads for both
    images, labels = synthetic_data(seed=1)
    reference, twin = twin_models(seed=0)
    torch_run = train(reference, images, labels, args.steps, channels_last=args.channels_last)
    colconv_run = train(twin, images, labels, args.steps, channels_last=args.channels_last)
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), colconv {colconv.__version__} "
          f"({colconv.get_num_threads()} threads), {'channels_last' if args.channels_last else 'NCHW'}")
    print(f"{'step':>5} {'loss torch':>11} {'loss colconv':>13} {'ms torch':>9} {'ms colconv':>11}")
    for step, ((lt, tt), (lc, tc)) in enumerate(zip(torch_run, colconv_run)):
        print(f"{step:5d} {lt:11.6f} {lc:13.6f} {tt * 1e3:9.2f} {tc * 1e3:11.2f}")
    # The first steps include one-time set-up (plans, thread pools): the means leave out the first 10%.
    skip = max(1, args.steps // 10)
    mean = lambda run: sum(t for _, t in run[skip:]) / len(run[skip:]) * 1e3
    print(f"mean ms per step after step {skip}: torch {mean(torch_run):.2f}, colconv {mean(colconv_run):.2f}")
    print(f"final loss: torch {torch_run[-1][0]:.6f}, colconv {colconv_run[-1][0]:.6f}")


if __name__ == "__main__":
    main()
