# Sourced by the benchmark scripts: OpenBLAS's SkylakeX core where the CPU has AVX-512 (faster than the Haswell
# core such machines' environment selects, see the README); elsewhere the environment's choice or OpenBLAS's own,
# since SkylakeX's kernels stop an AVX2-only CPU with an illegal instruction.
if grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
