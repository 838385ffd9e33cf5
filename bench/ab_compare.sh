#!/usr/bin/env bash
# Compares two colconv builds layer by layer in ABBA order (A, B, B, A per round: the machine drifts by 5-10% over
# minutes), one process per run; prints each layer's speed of B over A from each side's best time and from its
# median, and their geometric means. Read both: on the Zen 3 VM a layer's time was bimodal by process with one
# binary (fast in about a quarter of the processes, up to 1.8x slower in the rest), so a best-of over a few rounds
# read 0.6-1.6x on unchanged code; ten rounds or more let the medians settle.
#   bench/ab_compare.sh SUITE ROUNDS DIRS A B [REGEX]
# A and B are colconv binaries (or scripts that run one); DIRS as `colconv bench --dir`; REGEX picks suite lines.
# Options for both sides go in EXTRA (e.g. EXTRA="--prepacked --filter oihw"), the backend in COLCONV_GEMM.
# Batch 1, one thread, OpenBLAS on its SkylakeX core where the CPU has AVX-512 (bench/environment.sh).
set -euo pipefail
suite=$1 rounds=$2 dirs=$3 a=$4 b=$5 regex=${6:-.}
source "$(dirname "$0")/environment.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep '^mb' "$suite" | grep -E "$regex" > "$tmp/lines"
run() {  # side binary
  "$2" bench --suite "$tmp/one" --mb 1 --threads 1 --no-roof --dir "$dirs" ${EXTRA:-} | grep ',colconv' | sed "s/^/$1,/"
}
while read -r line; do
  echo "$line" > "$tmp/one"
  for _ in $(seq 1 "$rounds"); do
    { run A "$a"; run B "$b"; run B "$b"; run A "$a"; } >> "$tmp/times"
  done
done < "$tmp/lines"
/usr/bin/python3 - "$tmp/times" <<'PY'
import collections, math, statistics, sys
times, impl = collections.defaultdict(list), {}
for line in open(sys.argv[1]):
    side, name, d, im, _, ms, _ = line.strip().split(',')
    times[(name, d, side)].append(float(ms))
    impl[(name, d)] = im
logs = collections.defaultdict(lambda: ([], []))
for (name, d, side) in sorted(times):
    if side != 'A':
        continue
    a, b = times[(name, d, 'A')], times[(name, d, 'B')]
    best, median = min(a) / min(b), statistics.median(a) / statistics.median(b)
    print(f"{name:28s} {d:6s} A {min(a):.4f} B {min(b):.4f} speed {best:.3f}x median {median:.3f}x {impl[(name, d)]}")
    logs[d][0].append(math.log(best))
    logs[d][1].append(math.log(median))
for d, (best, median) in logs.items():
    print(f"geomean {d}: {math.exp(sum(best) / len(best)):.3f}x (medians {math.exp(sum(median) / len(median)):.3f}x)")
PY
