#include "src/algorithms/registry.h"

#include <atomic>
#include <cstdlib>

#include "src/str_cat.h"

namespace colconv {
namespace internal {

// Each defined in its own file. The order is the preference: special cases before the general im2col + GEMM.
const Algorithm& EmptyAlgorithm();
const Algorithm& ReferenceAlgorithm();
const Algorithm& DepthwiseAlgorithm();
const Algorithm& DirectNhwcAlgorithm();
const Algorithm& BatchGemmAlgorithm();
const Algorithm& PointwiseGemmAlgorithm();
const Algorithm& Im2colGemmAlgorithm();

const std::vector<const Algorithm*>& Algorithms() {
  static const std::vector<const Algorithm*> list = {
      &EmptyAlgorithm(),          // nothing to compute: an empty result, or a zero gradient
      &ReferenceAlgorithm(),      // offsets beyond 2^30: exact 128-bit positions
      &DepthwiseAlgorithm(),      // groups = input channels: direct SIMD kernels, no GEMM
      &DirectNhwcAlgorithm(),     // NHWC with a thin GEMM (few output channels per group): register tiles
      &BatchGemmAlgorithm(),      // the filter covers the whole input: one GEMM row per image
      &PointwiseGemmAlgorithm(),  // 1x1, stride 1, no padding: the input is the column matrix
      &Im2colGemmAlgorithm(),     // everything else: tiles of im2col/col2im around the GEMM
  };
  return list;
}

const Algorithm* FindAlgorithm(const std::string& name) {
  for (const Algorithm* a : Algorithms()) {
    if (name == a->name()) return a;
  }
  return nullptr;
}

std::string AlgorithmNames() {
  std::string names;
  for (const Algorithm* a : Algorithms()) names += StrCat(names.empty() ? "" : ", ", a->name());
  return names;
}

namespace {
std::atomic<const Algorithm*> g_forced{nullptr};

Status Lookup(const std::string& name, const char* source, const Algorithm** algorithm) {
  *algorithm = FindAlgorithm(name);
  if (*algorithm != nullptr) return Status();
  return Status(StatusCode::kInvalidArgument,
                StrCat(source, " is '", name, "', which is not an algorithm (they are: ", AlgorithmNames(), ")"));
}
}  // namespace

Status ForcedAlgorithm(const std::string& requested, const Algorithm** algorithm, std::string* source) {
  *algorithm = nullptr;
  if (!requested.empty()) {
    *source = "PlanOptions::algorithm";
    return Lookup(requested, "PlanOptions::algorithm", algorithm);
  }
  if ((*algorithm = g_forced.load(std::memory_order_acquire)) != nullptr) {
    *source = "SetForcedAlgorithm";
    return Status();
  }
  const char* env = std::getenv("COLCONV_ALGORITHM");
  if (env == nullptr || env[0] == '\0') return Status();
  *source = "COLCONV_ALGORITHM";
  return Lookup(env, "the environment variable COLCONV_ALGORITHM", algorithm);
}

Status SetForcedAlgorithm(const std::string& name) {
  const Algorithm* algorithm = nullptr;
  if (!name.empty()) {
    const Status s = Lookup(name, "SetForcedAlgorithm: the algorithm", &algorithm);
    if (!s.ok()) return s;
  }
  g_forced.store(algorithm, std::memory_order_release);
  return Status();
}

}  // namespace internal
}  // namespace colconv
