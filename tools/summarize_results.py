#!/usr/bin/env python3
"""Prints the README's performance tables from the CSV files in bench/results, which bench/peers_rounds.sh and the
commands in the README make. Files measured in rounds (NAME.r1.csv, NAME.r2.csv, ...) count each implementation's
best round per layer: the machine is shared and drifts by 5-10% over minutes, and colconv and its peers run one
after another. A conv / GEMM ratio comes from the round where colconv was fastest (its GEMM roof timed in the same
run, after the convolutions). Usage: tools/summarize_results.py [RESULTS_DIR] [resnet50|thin|threads|kernels ...]"""
import collections
import csv
import glob
import math
import os
import sys

DIRS = ("FWD", "BWD_D", "BWD_W")
DIR_NAMES = {"FWD": "forward", "BWD_D": "backprop-input", "BWD_W": "backprop-filter"}


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
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")


def gflops(results, d, impl, layers=None):
    """Geometric mean GFLOP/s of one implementation over a direction (and a subset of layers)."""
    return geomean(v[impl][1] for (n, dd), v in results.items()
                   if dd == d and impl in v and (layers is None or n in layers))


def conv_over_gemm(results, d, layers=None):
    return geomean(v["colconv"][0] / v["gemm-roof"][0] for (n, dd), v in results.items()
                   if dd == d and "gemm-roof" in v and (layers is None or n in layers))


def openblas_core(folder):
    """The OpenBLAS core the ResNet-50 rounds ran on, from their first file's header line (", core NAME)")."""
    name = os.path.join(folder, "resnet50-colconv-openblas")
    first = (sorted(glob.glob(name + ".r*.csv")) or [name + ".csv"])[0]
    header = open(first).readline()
    return header.rsplit(", core ", 1)[1].split(")")[0] if ", core " in header else "default"


def resnet50(folder):
    ob, od = load_rounds(folder, "resnet50-colconv-openblas"), load_rounds(folder, "resnet50-colconv-onednn")
    nchw, peers = load_rounds(folder, "resnet50-colconv-nchw"), load_rounds(folder, "resnet50-peers")
    print("| direction | colconv NHWC, OpenBLAS | colconv NHWC, oneDNN sgemm | colconv NCHW, OpenBLAS | oneDNN 2.6 NHWC "
          "| oneDNN 2.6 NCHW | PyTorch 1.13 default | PyTorch 1.13 im2col | oneDNN-backend / oneDNN NHWC | "
          "/ PyTorch im2col | conv / GEMM, OpenBLAS | conv / GEMM, oneDNN |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for d in DIRS:
        a, b = gflops(ob, d, "colconv"), gflops(od, d, "colconv")
        dnnl, native = gflops(peers, d, "dnnl-nhwc"), gflops(peers, d, "torch-native")
        print(f"| {DIR_NAMES[d]} | {a:.0f} | {b:.0f} | {gflops(nchw, d, 'colconv'):.0f} | {dnnl:.0f} | "
              f"{gflops(peers, d, 'dnnl-nchw'):.0f} | {gflops(peers, d, 'torch-mkldnn'):.0f} | {native:.0f} | "
              f"{b / dnnl:.2f}x | {b / native:.2f}x | {conv_over_gemm(ob, d):.3f} | {conv_over_gemm(od, d):.3f} |")

    print("\n| GEMM on ResNet-50's shapes (the gemm-roof rows) | forward | backprop-input | backprop-filter |")
    print("|---|---|---|---|")
    openblas = f"OpenBLAS 0.3.21, {openblas_core(folder)} core"
    for label, results in ((openblas, ob), ("oneDNN 2.6 dnnl_sgemm", od)):
        cells = " | ".join(f"{gflops(results, d, 'gemm-roof'):.0f}" for d in DIRS)
        print(f"| {label} | {cells} |")

    print("\n| layer | forward, OpenBLAS / oneDNN | backprop-input | backprop-filter |\n|---|---|---|---|")
    for layer in dict.fromkeys(n for n, _ in ob):
        cells = []
        for d in DIRS:
            x, y = ob[(layer, d)], od[(layer, d)]
            cells.append(f"{x['colconv'][1]:.0f} ({x['colconv'][0] / x['gemm-roof'][0]:.2f}) / "
                         f"{y['colconv'][1]:.0f} ({y['colconv'][0] / y['gemm-roof'][0]:.2f})")
        print(f"| {layer.split(':')[-1]} | " + " | ".join(cells) + " |")


def thin_layers(suite):
    """{name: class} of the layers of a benchdnn-style suite, by shape: 1-D when the input is one row high,
    depthwise when groups = input channels, grouped when groups > 1, else few input channels."""
    import re
    classes = {}
    for line in open(suite):
        if not line.strip() or line.startswith("#"):
            continue
        get = lambda key, default=None: int(re.search(key + r"(\d+)", line).group(1)) if re.search(key + r"(\d+)", line) else default
        name = re.search(r'n"([^"]+)"', line).group(1)
        g, ic, ih = get("g", 1), get("ic"), get("ih")
        classes[name] = "1-D" if ih == 1 else "depthwise" if g == ic > 1 else "grouped" if g > 1 else "few channels"
    return classes


def thin(folder):
    suite = os.path.join(os.path.dirname(__file__), "..", "bench", "thin")
    classes = thin_layers(suite)
    nhwc, onednn = load_rounds(folder, "thin-colconv-openblas"), load_rounds(folder, "thin-colconv-onednn")
    nchw, peers = load_rounds(folder, "thin-colconv-nchw"), load_rounds(folder, "thin-peers")
    prepacked = load_rounds(folder, "thin-colconv-prepacked")
    for cls in ("depthwise", "grouped", "few channels", "1-D"):
        layers = {n for n, c in classes.items() if c == cls}
        print(f"\n{cls} ({len(layers)} layers), GFLOP/s, geometric mean\n")
        print("| direction | colconv NHWC | colconv NHWC prepacked | colconv NCHW | oneDNN 2.6 NHWC | oneDNN 2.6 NCHW | "
              "PyTorch default | PyTorch im2col | colconv NHWC / oneDNN NHWC | / best peer | prepacked / oneDNN NHWC | "
              "colconv NCHW / PyTorch default |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for d in DIRS:
            c, cp = gflops(nhwc, d, "colconv", layers), gflops(prepacked, d, "colconv-prepacked", layers)
            cn = gflops(nchw, d, "colconv", layers)
            peer = {impl: gflops(peers, d, impl, layers) for impl in PEERS}
            print(f"| {DIR_NAMES[d]} | {c:.1f} | {cp:.1f} | {cn:.1f} | " + " | ".join(f"{peer[i]:.1f}" for i in PEERS) +
                  f" | {ratio(nhwc, peers, d, layers, ['dnnl-nhwc']):.2f}x | {ratio(nhwc, peers, d, layers, PEERS):.2f}x"
                  f" | {ratio(prepacked, peers, d, layers, ['dnnl-nhwc'], 'colconv-prepacked'):.2f}x"
                  f" | {ratio(nchw, peers, d, layers, ['torch-mkldnn']):.2f}x |")


PEERS = ("dnnl-nhwc", "dnnl-nchw", "torch-mkldnn", "torch-native")


def ratio(ours, peers, d, layers, impls, impl="colconv"):
    """Geometric mean over the layers of `impl`'s speed over the best of `impls` on that layer (layers a peer
    does not run, such as PyTorch on asymmetric pads, count the others)."""
    values = []
    for layer in layers:
        rivals = [peers[(layer, d)][i][1] for i in impls if i in peers.get((layer, d), {})]
        if rivals and impl in ours.get((layer, d), {}):
            values.append(ours[(layer, d)][impl][1] / max(rivals))
    return geomean(values)


def threads(folder):
    one, two = load(os.path.join(folder, "resnet50-nhwc-mb4-1t.csv")), load(os.path.join(folder, "resnet50-nhwc-mb4-2t.csv"))
    print("| direction | colconv | OpenBLAS's own 2-thread GEMM, same shapes | colconv / OpenBLAS | worst layer |")
    print("|---|---|---|---|---|")
    for d in DIRS:
        keys = [k for k in one if k[1] == d]
        conv = [one[k]["colconv"][0] / two[k]["colconv"][0] for k in keys]
        gemm = [one[k]["gemm-roof"][0] / two[k]["gemm-roof"][0] for k in keys]
        worst = min(c / g for c, g in zip(conv, gemm))
        print(f"| {DIR_NAMES[d]} | {geomean(conv):.2f}x | {geomean(gemm):.2f}x | {geomean(conv) / geomean(gemm):.2f} | "
              f"{worst:.2f} |")


def kernels(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "kernels-x86-avx512.csv"))))
    names = ("im2col_nhwc", "col2im_nhwc", "im2col_nchw", "col2im_nchw")
    at = {(r["kernel"], r["shape"]): r for r in rows if r["target"] == "AVX3"}
    print("| shape | tile (px x K) | im2col NHWC | col2im NHWC | im2col NCHW | col2im NCHW |\n|---|---|---|---|---|---|")
    for shape in dict.fromkeys(r["shape"] for r in rows):
        if (names[0], shape) not in at:
            continue
        cells = [f"{float(at[(k, shape)]['GB/s']):.0f} GB/s, {float(at[(k, shape)]['vs_memcpy']):.2f}x memcpy, "
                 f"{float(at[(k, shape)]['vs_scalar']):.1f}x scalar" for k in names]
        print(f"| {shape.split(':')[-1]} | {at[(names[0], shape)]['tile']} | " + " | ".join(cells) + " |")


TABLES = {"resnet50": resnet50, "thin": thin, "threads": threads, "kernels": kernels}


def main(folder, which):
    for i, name in enumerate(which):
        if i:
            print()
        TABLES[name](folder)


if __name__ == "__main__":
    args = sys.argv[1:]
    folder = args.pop(0) if args and os.path.isdir(args[0]) else os.path.join(os.path.dirname(__file__), "..", "bench", "results")
    main(folder, args or list(TABLES))
