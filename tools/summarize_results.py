#!/usr/bin/env python3
"""Prints the README's performance tables from the CSV files in bench/results (see the README for the commands
that make them). Files measured in rounds (NAME.r1.csv, NAME.r2.csv, ...) count each implementation's best
round per layer: the machine is shared and drifts by 5-10% over minutes, and colconv and its peers run one
after another. A conv / GEMM ratio comes from the round where colconv was fastest (there the two were timed
call by call, interleaved). Usage: tools/summarize_results.py [RESULTS_DIR]"""
import collections
import csv
import glob
import math
import os
import sys


def load(path):
    """{(layer, dir): {impl family: (ms, gflops)}} from a name,dir,impl,threads,ms,gflops CSV."""
    by = collections.defaultdict(dict)
    for row in csv.reader(open(path)):
        if len(row) != 6 or row[0].startswith("#") or row[0] == "name":
            continue
        by[(row[0], row[1])][row[2].split("[")[0]] = (float(row[4]), float(row[5]))
    return by


def load_rounds(folder, name):
    """load() of NAME.csv, or of the best round of NAME.r*.csv per layer and implementation; colconv keeps the
    gemm-roof of its own round."""
    files = sorted(glob.glob(os.path.join(folder, name + ".r*.csv"))) or [os.path.join(folder, name + ".csv")]
    rounds = [load(f) for f in files]
    best = collections.defaultdict(dict)
    for key in rounds[0]:
        for impl in rounds[0][key]:
            if impl == "gemm-roof":
                continue
            candidates = [r[key] for r in rounds if impl in r.get(key, {})]
            winner = min(candidates, key=lambda entry: entry[impl][0])
            best[key][impl] = winner[impl]
            if impl == "colconv" and "gemm-roof" in winner:
                best[key]["gemm-roof"] = winner["gemm-roof"]
    return best


def geomean(values):
    values = list(values)
    return math.exp(sum(map(math.log, values)) / len(values))


def main(folder):
    path = lambda name: os.path.join(folder, name)
    nhwc, nchw = load_rounds(folder, "resnet50-nhwc-mb1-1t"), load_rounds(folder, "resnet50-nchw-mb1-1t")
    peers = load_rounds(folder, "peers-resnet50-mb1-1t")
    dirs = ("FWD", "BWD_D", "BWD_W")
    names = {"FWD": "forward", "BWD_D": "backprop-input", "BWD_W": "backprop-filter"}

    print("| direction | colconv NHWC | colconv NCHW | oneDNN 2.6 NCHW (gemm) | oneDNN 2.6 NHWC (JIT) | PyTorch 1.13 "
          "native | colconv / PyTorch | colconv / oneDNN NCHW | colconv conv / GEMM |")
    print("|---|---|---|---|---|---|---|---|---|")
    for d in dirs:
        gm = lambda src, impl: geomean(v[impl][1] for (n, dd), v in src.items() if dd == d and impl in v)
        c, t, o = gm(nhwc, "colconv"), gm(peers, "torch-native"), gm(peers, "dnnl-nchw")
        ratio = geomean(v["colconv"][0] / v["gemm-roof"][0] for (n, dd), v in nhwc.items() if dd == d)
        print(f"| {names[d]} | {c:.0f} | {gm(nchw, 'colconv'):.0f} | {o:.0f} | {gm(peers, 'dnnl-nhwc'):.0f} | {t:.0f} | "
              f"{c / t:.2f}x | {c / o:.2f}x | {ratio:.3f} |")

    print("\n| layer | forward | backprop-input | backprop-filter |\n|---|---|---|---|")
    layers = list(dict.fromkeys(n for n, _ in nhwc))
    for layer in layers:
        cells = []
        for d in dirs:
            v = nhwc[(layer, d)]
            cells.append(f"{v['colconv'][1]:.0f} ({v['colconv'][0] / v['gemm-roof'][0]:.3f})")
        print(f"| {layer.split(':')[-1]} | " + " | ".join(cells) + " |")

    one, two = load(path("resnet50-nhwc-mb4-1t.csv")), load(path("resnet50-nhwc-mb4-2t.csv"))
    print("\n| direction | colconv | OpenBLAS's own 2-thread GEMM, same shapes | colconv / OpenBLAS | worst layer |")
    print("|---|---|---|---|---|")
    for d in dirs:
        keys = [k for k in one if k[1] == d]
        conv = [one[k]["colconv"][0] / two[k]["colconv"][0] for k in keys]
        gemm = [one[k]["gemm-roof"][0] / two[k]["gemm-roof"][0] for k in keys]
        worst = min(c / g for c, g in zip(conv, gemm))
        print(f"| {names[d]} | {geomean(conv):.2f}x | {geomean(gemm):.2f}x | {geomean(conv) / geomean(gemm):.2f} | "
              f"{worst:.2f} |")

    rows = list(csv.DictReader(open(path("kernels-x86-avx512.csv"))))
    kernels = ("im2col_nhwc", "col2im_nhwc", "im2col_nchw", "col2im_nchw")
    at = {(r["kernel"], r["shape"]): r for r in rows if r["target"] == "AVX3"}
    print("\n| shape | tile (px x K) | im2col NHWC | col2im NHWC | im2col NCHW | col2im NCHW |\n|---|---|---|---|---|---|")
    for shape in dict.fromkeys(r["shape"] for r in rows):
        cells = [f"{float(at[(k, shape)]['GB/s']):.0f} GB/s, {float(at[(k, shape)]['vs_memcpy']):.2f}x memcpy, "
                 f"{float(at[(k, shape)]['vs_scalar']):.1f}x scalar" for k in kernels]
        print(f"| {shape.split(':')[-1]} | {at[(kernels[0], shape)]['tile']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "bench", "results"))
