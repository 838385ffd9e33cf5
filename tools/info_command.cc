// colconv info: what this build and this machine give colconv: SIMD targets, OpenBLAS, threads, caches.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "colconv/conv2d.h"
#include "src/gemm/gemm.h"
#if COLCONV_GEMM_OPENBLAS
#include "src/gemm/openblas.h"
#endif
#include "src/cpu_info.h"
#include "src/kernels/kernels.h"
#include "tools/commands.h"

namespace colconv {
namespace cli {

int InfoCommand(int argc, char**) {
  if (argc > 0) {
    std::cerr << "usage: colconv info\n";
    return 2;
  }
  std::printf("colconv %s\n", Version());
  std::printf("Highway targets compiled: ");
  for (int64_t t : kernels::CompiledTargets()) std::printf("%s ", kernels::TargetName(t));
  std::printf("\nHighway targets this CPU runs: ");
  for (int64_t t : kernels::RunnableTargets()) std::printf("%s ", kernels::TargetName(t));
  const kernels::KernelTable chosen = kernels::ChooseKernels();
  std::printf("\nHighway target chosen: %s (%zu floats per vector)\n", chosen.target_name, chosen.lanes);
  std::printf("algorithms, in the planner's order:");
  for (const std::string& a : Algorithms()) std::printf(" %s", a.c_str());
  std::printf("\nGEMM backends built: %s\n", gemm::BuiltBackendNames().c_str());
  for (const gemm::Backend* b : gemm::BuiltBackends()) std::printf("  %s: %s\n", b->name(), b->Describe().c_str());
  std::string gemm_name;
  const Status s = GetGemmBackend(&gemm_name);
  std::printf("GEMM backend chosen: %s\n", s.ok() ? gemm_name.c_str() : s.message().c_str());
#if COLCONV_GEMM_OPENBLAS
  const gemm::CoreInfo core = gemm::GetCoreInfo();
  std::printf("OpenBLAS core: %s on a CPU with %s", core.corename.c_str(), X86LevelName(core.cpu));
  if (const char* picked = std::getenv("COLCONV_OPENBLAS_PICKED")) {
    std::printf(" (colconv set OPENBLAS_CORETYPE=%s for itself: it was unset and OpenBLAS picked %s)", core.corename.c_str(), picked);
  } else if (std::getenv("OPENBLAS_CORETYPE") != nullptr) {
    std::printf(" (OPENBLAS_CORETYPE=%s from the environment)", std::getenv("OPENBLAS_CORETYPE"));
  }
  std::printf("\n");
  if (!core.recommended.empty()) {
    std::printf("WARNING: this core is below the CPU; set OPENBLAS_CORETYPE=%s for faster GEMMs\n",
                core.recommended.c_str());
  }
  std::printf("OpenBLAS threads (outside colconv's ops): %d\n", core.threads);
#endif
  std::printf("colconv threads: %d\n", GetNumThreads());
  std::printf("L2 cache: %zu KiB per core\n", L2CacheBytes() / 1024);
  return 0;
}

}  // namespace cli
}  // namespace colconv
