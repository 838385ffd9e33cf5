#include <cstddef>

#include "src/algorithms/algorithm.h"

namespace colconv {
namespace internal {

void WeightsPacking::Book(WorkspaceLayout* layout, bool prepacked) {
  prepacked_ = prepacked;
  const int64_t floats = packed_floats();
  if (floats > 0 && !prepacked_) {
    layout->Book(buffer_, static_cast<size_t>(floats) * sizeof(float), 64, "bytes of reordered filter");
  }
}

const float* WeightsPacking::Prepare(const RunContext& ctx, const float* weights) const {
  if (packed_floats() == 0 || prepacked_) return weights;
  float* packed = ctx.workspace.Get<float>(buffer_);
  Pack(ctx.workers, weights, packed);
  return packed;
}

}  // namespace internal
}  // namespace colconv
