// Which core OpenBLAS runs, and whether it suits the CPU.
#include <cblas.h>
#include <strings.h>

#include <mutex>

#include "src/gemm/openblas.h"
#include "src/str_cat.h"
#include "src/warnings.h"

namespace colconv {
namespace gemm {
namespace {

// The widest ISA an OpenBLAS x86 core name stands for; kOther for names it does not know.
enum class CoreLevel { kUnknown, kSse, kAvx, kAvx2, kAvx512 };
CoreLevel LevelOf(const std::string& core) {
  static const char* const kAvx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
  static const char* const kAvx2[] = {"Haswell", "Zen", "Excavator"};
  static const char* const kAvx[] = {"Sandybridge", "Bulldozer", "Piledriver", "Steamroller"};
  static const char* const kSse[] = {"Prescott", "Core2",   "Penryn",  "Dunnington", "Nehalem",  "Atom", "Barcelona",
                                     "Opteron",  "Bobcat",  "Nano",    "Katmai",     "Coppermine", "Northwood",
                                     "Athlon",   "Banias",  "Opteron_SSE3"};
  for (const char* n : kAvx512) if (strcasecmp(core.c_str(), n) == 0) return CoreLevel::kAvx512;
  for (const char* n : kAvx2) if (strcasecmp(core.c_str(), n) == 0) return CoreLevel::kAvx2;
  for (const char* n : kAvx) if (strcasecmp(core.c_str(), n) == 0) return CoreLevel::kAvx;
  for (const char* n : kSse) if (strcasecmp(core.c_str(), n) == 0) return CoreLevel::kSse;
  return CoreLevel::kUnknown;
}

}  // namespace

std::string RecommendCore(const std::string& core, X86Level cpu) {
  const CoreLevel level = LevelOf(core);
  if (level == CoreLevel::kUnknown) return "";
  if (cpu == X86Level::kAvx512 && level != CoreLevel::kAvx512) return "SkylakeX";
  if (cpu == X86Level::kAvx2 && (level == CoreLevel::kSse || level == CoreLevel::kAvx)) return "Haswell";
  return "";
}

std::string RecommendedCoreType() { return RecommendCore(openblas_get_corename(), CpuX86Level()); }

CoreInfo GetCoreInfo() {
  CoreInfo info;
  info.corename = openblas_get_corename();
  info.config = openblas_get_config();
  info.threads = openblas_get_num_threads();
  info.cpu = CpuX86Level();
  info.recommended = RecommendedCoreType();
  return info;
}

void WarnOnceIfCoreBelowCpu() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string recommended = RecommendedCoreType();
    if (recommended.empty()) return;
    Warn(StrCat("colconv: OpenBLAS runs its ", openblas_get_corename(), " kernels on this ",
                X86LevelName(CpuX86Level()), " CPU, so GEMMs run well below the CPU's speed. Set OPENBLAS_CORETYPE=",
                recommended, " in the environment before the process starts (OpenBLAS reads it when it loads)."));
  });
}

}  // namespace gemm
}  // namespace colconv
