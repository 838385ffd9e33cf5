#!/usr/bin/python3
"""Draws bench/results/thin.png: GFLOP/s per layer of bench/thin for colconv and its peers, one panel per
direction, on a log scale, with the GEMM roof (OpenBLAS on the layer's im2col GEMM, same M, N and K, measured in
colconv's run) as a line. Reads the CSV files bench/peers_rounds.sh writes, crediting each implementation with its
best round, as tools/summarize_results.py does. Needs python3-matplotlib.
Usage: tools/plot_thin.py [RESULTS_DIR] [OUTPUT.png]"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from summarize_results import DIR_NAMES, DIRS, load_rounds, thin_layers  # noqa: E402

SERIES = (  # (file, implementation, label, colour)
    ("thin-colconv-openblas", "colconv", "colconv NHWC", "#d62728"),
    ("thin-colconv-nchw", "colconv", "colconv NCHW", "#ff9896"),
    ("thin-peers", "dnnl-nhwc", "oneDNN 2.6 NHWC", "#1f77b4"),
    ("thin-peers", "dnnl-nchw", "oneDNN 2.6 NCHW", "#aec7e8"),
    ("thin-peers", "torch-mkldnn", "PyTorch 1.13 default", "#2ca02c"),
    ("thin-peers", "torch-native", "PyTorch 1.13 im2col", "#98df8a"),
)
CLASSES = ("depthwise", "grouped", "few channels", "1-D")


def round_count(folder):
    """How many rounds bench/peers_rounds.sh wrote into folder."""
    return len([f for f in os.listdir(folder) if f.startswith("thin-colconv-openblas.r") and f.endswith(".csv")])


def machine(folder):
    """The Highway target colconv's rounds ran, from the first CSV's header line (the CPU's model is not in it)."""
    with open(os.path.join(folder, "thin-colconv-openblas.r1.csv")) as f:
        header = f.readline()
    target = header.split("Highway target ")[1].split(",")[0] if "Highway target " in header else "?"
    return f"AMD EPYC VM, Highway target {target}"


def main(folder, output):
    suite = os.path.join(os.path.dirname(__file__), "..", "bench", "thin")
    classes = thin_layers(suite)
    layers = [n for cls in CLASSES for n, c in classes.items() if c == cls]  # the suite's order within a class
    results = {name: load_rounds(folder, name) for name in {s[0] for s in SERIES}}
    roof = results["thin-colconv-openblas"]
    fig, axes = plt.subplots(len(DIRS), 1, figsize=(16, 13), sharex=True)
    width = 0.8 / len(SERIES)
    for ax, d in zip(axes, DIRS):
        for i, (name, impl, label, colour) in enumerate(SERIES):
            xs, ys = [], []
            for x, layer in enumerate(layers):
                entry = results[name].get((layer, d), {})
                if impl in entry:
                    xs.append(x - 0.4 + (i + 0.5) * width)
                    ys.append(entry[impl][1])
            ax.bar(xs, ys, width, label=label, color=colour)
        rx = [x for x, layer in enumerate(layers) if "gemm-roof" in roof.get((layer, d), {})]
        ry = [roof[(layers[x], d)]["gemm-roof"][1] for x in rx]
        for x, y in zip(rx, ry):
            ax.hlines(y, x - 0.45, x + 0.45, colors="black", linewidth=1.5, label="GEMM roof" if x == rx[0] else None)
        ax.set_yscale("log")
        ax.set_ylabel(f"{DIR_NAMES[d]}\nGFLOP/s")
        ax.grid(axis="y", which="both", alpha=0.3)
        # Class boundaries.
        start = 0
        for cls in CLASSES:
            count = sum(1 for layer in layers if classes[layer] == cls)
            if start:
                ax.axvline(start - 0.5, color="grey", linewidth=0.8)
            if d == DIRS[0]:
                ax.text(start + count / 2 - 0.5, 1.02, cls, transform=ax.get_xaxis_transform(), ha="center")
            start += count
    axes[0].legend(ncol=7, loc="lower center", bbox_to_anchor=(0.5, 1.08), fontsize=9)
    axes[-1].set_xticks(range(len(layers)))
    axes[-1].set_xticklabels(layers, rotation=60, ha="right", fontsize=8)
    fig.suptitle(f"bench/thin: batch 1, one thread, {machine(folder)}, best of {round_count(folder)} alternating rounds",
                 y=0.995)
    fig.tight_layout()
    fig.savefig(output, dpi=80)
    print(f"wrote {output}")


if __name__ == "__main__":
    args = sys.argv[1:]
    folder = args.pop(0) if args and os.path.isdir(args[0]) else os.path.join(os.path.dirname(__file__), "..", "bench", "results")
    main(folder, args[0] if args else os.path.join(folder, "thin.png"))
