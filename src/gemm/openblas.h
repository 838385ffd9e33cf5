// OpenBLAS as colconv's GEMM backend, and the checks of the core it runs: the only files that include cblas.h
// are src/gemm/openblas.cc and src/gemm/openblas_core.cc.
#ifndef COLCONV_SRC_GEMM_OPENBLAS_H_
#define COLCONV_SRC_GEMM_OPENBLAS_H_

#include <string>

#include "src/cpu_info.h"
#include "src/gemm/gemm.h"

namespace colconv {
namespace gemm {

const Backend& OpenBlas();

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

}  // namespace gemm
}  // namespace colconv

#endif  // COLCONV_SRC_GEMM_OPENBLAS_H_
