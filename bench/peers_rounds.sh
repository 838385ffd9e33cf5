#!/usr/bin/env bash
# Times colconv and its peers on one suite in alternating rounds (the machine drifts by 5-10% over minutes, so
# each implementation is credited with its best round per layer by tools/summarize_results.py):
#   bench/peers_rounds.sh SUITE NAME [ROUNDS]
# writes bench/results/NAME-{colconv-openblas,colconv-onednn,colconv-prepacked,colconv-nchw,peers}.rN.csv for
# ROUNDS rounds (3): colconv NHWC with each GEMM backend and through operators with prepacked weights, colconv
# NCHW, oneDNN 2.6 NHWC and NCHW, and PyTorch 1.13's default and im2col paths. Batch 1, one thread, OpenBLAS on
# its SkylakeX core on AVX-512 CPUs (bench/environment.sh). Needs ./build.sh and the peers of
# ../shared/peers built into ~/peers (see ../shared/peers/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
suite=$1 name=$2 rounds=${3:-3}
peers=${PEERS:-../shared/peers}
source bench/environment.sh
out=bench/results
for round in $(seq 1 "$rounds"); do
  for gemm in openblas onednn; do
    ./build/tools/colconv bench --suite "$suite" --mb 1 --threads 1 --gemm $gemm --check > "$out/$name-colconv-$gemm.r$round.csv"
  done
  ./build/tools/colconv bench --suite "$suite" --mb 1 --threads 1 --prepacked --no-roof \
    > "$out/$name-colconv-prepacked.r$round.csv"
  ./build/tools/colconv bench --suite "$suite" --mb 1 --threads 1 --layout nchw > "$out/$name-colconv-nchw.r$round.csv"
  {
    /usr/bin/python3 "$peers/desc.py" "$suite" 1 | ~/peers/dnnl_peer nhwc 1
    /usr/bin/python3 "$peers/desc.py" "$suite" 1 | ~/peers/dnnl_peer nchw 1
    /usr/bin/python3 "$peers/torch_peer.py" "$suite" --mb 1 --threads 1 --impl mkldnn,native | tail -n +2
  } > "$out/$name-peers.r$round.csv"
done
