#!/usr/bin/env bash
# colconv NHWC through operators on oneDNN's sgemm with each filter layout, HWIO (TensorFlow's) and OIHW
# (PyTorch's channels_last), against oneDNN 2.6's NHWC convolution, in alternating rounds:
#   bench/filter_rounds.sh SUITE NAME [ROUNDS]
# writes bench/results/NAME-filters-{peers,hwio,oihw}.rN.csv for ROUNDS rounds (3). Batch 1, one thread. Needs
# ./build.sh and ~/peers/dnnl_peer (../shared/peers/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
suite=$1 name=$2 rounds=${3:-3}
peers=${PEERS:-../shared/peers}
source bench/environment.sh
out=bench/results
for round in $(seq 1 "$rounds"); do
  /usr/bin/python3 "$peers/desc.py" "$suite" 1 | ~/peers/dnnl_peer nhwc 1 > "$out/$name-filters-peers.r$round.csv"
  for filter in oihw hwio; do
    ./build/tools/colconv bench --suite "$suite" --mb 1 --threads 1 --no-roof --gemm onednn --prepacked \
      --filter $filter > "$out/$name-filters-$filter.r$round.csv"
  done
done
