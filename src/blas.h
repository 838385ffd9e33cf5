// The only door to BLAS: colconv's GEMM call, its OpenBLAS thread policy, and the check of OpenBLAS's core.
#ifndef COLCONV_SRC_BLAS_H_
#define COLCONV_SRC_BLAS_H_

#include <cstdint>
#include <string>

#include "src/cpu_info.h"

namespace colconv {
namespace blas {

// Row-major C = op(A) * op(B) + beta * C with op(A) m x k and op(B) k x n (alpha 1). Every size and leading
// dimension must fit BLAS's int; plans check that when they are made.
void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc);

// colconv's tasks bring their own parallelism, so OpenBLAS must not spawn threads inside them. While any scope
// is alive OpenBLAS runs single-threaded; the first scope saves OpenBLAS's thread count and the last one
// restores it. (openblas_set_num_threads is process-wide in 0.3.21: GEMMs an embedder runs on other threads
// during a colconv op run single-threaded too.)
class SingleThreadScope {
 public:
  SingleThreadScope();
  ~SingleThreadScope();
  SingleThreadScope(const SingleThreadScope&) = delete;
  SingleThreadScope& operator=(const SingleThreadScope&) = delete;
};

// OpenBLAS's own thread count, for tools that time a threaded GEMM next to colconv.
int Threads();
void SetThreads(int threads);

struct CoreInfo {
  std::string corename;     // what OpenBLAS runs (openblas_get_corename)
  std::string config;       // openblas_get_config
  int threads = 1;          // openblas_get_num_threads
  X86Level cpu = X86Level::kOther;
  std::string recommended;  // an OPENBLAS_CORETYPE that matches the CPU, when the running core is below it
};
CoreInfo GetCoreInfo();

// The OPENBLAS_CORETYPE that matches a CPU of ISA `cpu` when OpenBLAS runs `core`, if `core` is below it; "" when
// it fits, is unknown, or the platform is not x86.
std::string RecommendCore(const std::string& core, X86Level cpu);

// The OpenBLAS core name that matches the CPU when OpenBLAS picked one below it (Haswell or Prescott on an
// AVX-512 machine, say); "" when the core fits or the platform is not x86.
std::string RecommendedCoreType();

// Warns once per process (through colconv's warning handler) when OpenBLAS runs a core below the CPU.
void WarnOnceIfCoreBelowCpu();

}  // namespace blas
}  // namespace colconv

#endif  // COLCONV_SRC_BLAS_H_
