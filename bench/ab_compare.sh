#!/usr/bin/env bash
# Compares two colconv builds layer by layer in ABBA order (A, B, B, A per round: the machine drifts by 5-10% over
# minutes), each side credited with its best time; prints each layer's speed of B over A and the geometric means.
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
import collections, math, sys
best, impl = {}, {}
for line in open(sys.argv[1]):
    side, name, d, im, _, ms, _ = line.strip().split(',')
    best[(name, d, side)] = min(best.get((name, d, side), math.inf), float(ms))
    impl[(name, d)] = im
logs = collections.defaultdict(list)
for (name, d, side) in sorted(best):
    if side != 'A':
        continue
    a, b = best[(name, d, 'A')], best[(name, d, 'B')]
    print(f"{name:28s} {d:6s} A {a:.4f} B {b:.4f} speed {a / b:.3f}x {impl[(name, d)]}")
    logs[d].append(math.log(a / b))
for d, v in logs.items():
    print(f"geomean {d}: {math.exp(sum(v) / len(v)):.3f}x")
PY
