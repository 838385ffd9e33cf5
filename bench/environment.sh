# Sourced by the benchmark scripts: one thread for OpenBLAS and OpenMP outside colconv's own workers (the peers
# run on one), OpenMP threads that sleep when idle, and OpenBLAS's SkylakeX core where the CPU has AVX-512 (faster
# than the Haswell core such machines' environment selects, see the README); elsewhere the environment's core or
# OpenBLAS's own choice, since SkylakeX's kernels stop an AVX2-only CPU with an illegal instruction.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
if grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
