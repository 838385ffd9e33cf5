#include "src/algorithms/registry.h"

namespace colconv {
namespace internal {

// Each defined in its own file. The order is the preference: special cases before the general im2col + GEMM.
const Algorithm& EmptyAlgorithm();
const Algorithm& ReferenceAlgorithm();
const Algorithm& DepthwiseAlgorithm();
const Algorithm& BatchGemmAlgorithm();
const Algorithm& PointwiseGemmAlgorithm();
const Algorithm& Im2colGemmAlgorithm();

const std::vector<const Algorithm*>& Algorithms() {
  static const std::vector<const Algorithm*> list = {
      &EmptyAlgorithm(),          // nothing to compute: an empty result, or a zero gradient
      &ReferenceAlgorithm(),      // offsets beyond 2^30: exact 128-bit positions
      &DepthwiseAlgorithm(),      // groups = input channels: direct SIMD kernels, no GEMM
      &BatchGemmAlgorithm(),      // the filter covers the whole input: one GEMM row per image
      &PointwiseGemmAlgorithm(),  // 1x1, stride 1, no padding: the input is the column matrix
      &Im2colGemmAlgorithm(),     // everything else: tiles of im2col/col2im around the GEMM
  };
  return list;
}

}  // namespace internal
}  // namespace colconv
