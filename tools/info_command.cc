// colconv info: what this build and this machine give colconv: SIMD targets, OpenBLAS, threads, caches, and
// with --peak the multiply-add peak of one core per target.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "colconv/conv2d.h"
#include "src/gemm/gemm.h"
#if COLCONV_GEMM_OPENBLAS
#include "src/gemm/openblas.h"
#endif
#include "src/cpu_info.h"
#include "src/kernels/kernels.h"
#include "tools/commands.h"
#include "tools/fma_peak.h"

namespace colconv {
namespace cli {

namespace {

// The x86 family and model numbers (CPUID leaf 1), which tell CPU generations apart where the brand string
// does not ("AMD EPYC" names Zen 4 and Zen 5 alike, whose AVX-512 multiply-add throughputs differ twice).
void PrintCpu() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return;
  const unsigned base_family = (eax >> 8) & 0xf, base_model = (eax >> 4) & 0xf;
  const unsigned family = base_family == 0xf ? base_family + ((eax >> 20) & 0xff) : base_family;
  const unsigned model = base_family == 0xf || base_family == 0x6 ? base_model | (((eax >> 16) & 0xf) << 4) : base_model;
  std::printf("CPU: x86 family %u model %u\n", family, model);
#endif
}

}  // namespace

int InfoCommand(int argc, char** argv) {
  const bool peak = argc == 1 && std::strcmp(argv[0], "--peak") == 0;
  if (argc > 0 && !peak) {
    std::cerr << "usage: colconv info [--peak]\n"
                 "  --peak also measures one core's multiply-add peak (GFLOP/s) on each target this CPU runs\n";
    return 2;
  }
  std::printf("colconv %s\n", Version());
  PrintCpu();
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
  if (!peak) return 0;
  std::printf("multiply-add peak, one core (GFLOP/s):");
  bool measured = true;
  for (int64_t t : kernels::RunnableTargets()) {
    const double gflops = FmaPeakGflops(t);
    measured = measured && gflops > 0.0 && gflops < 1e6;
    std::printf(" %s %.0f", kernels::TargetName(t), gflops);
  }
  std::printf("\n");
  if (!measured) std::fprintf(stderr, "colconv info: a peak measurement gave no plausible rate\n");
  return measured ? 0 : 1;
}

}  // namespace cli
}  // namespace colconv
