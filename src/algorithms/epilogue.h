// A run's post-ops over one block of its result, a pixels x channels matrix as PixelMatrix views it (or a filter
// gradient as one row): forward's bias and activation, and accumulate mode's addition of what the block held.
// Algorithms whose GEMMs write the block add the old values through beta and apply the rest right after their
// last GEMM on the block; kernels that overwrite their block save it first. Either way the block is still in cache.
#ifndef COLCONV_SRC_ALGORITHMS_EPILOGUE_H_
#define COLCONV_SRC_ALGORITHMS_EPILOGUE_H_

#include <cstdint>

#include "colconv/conv2d.h"
#include "src/gemm/gemm.h"
#include "src/workspace.h"

namespace colconv {
namespace internal {

class Epilogue {
 public:
  explicit Epilogue(const PostOps& ops) : ops_(ops) {}

  bool accumulate() const { return ops_.accumulate; }
  // The beta of a GEMM that writes the block in one product (or the first of its K slices).
  float beta() const { return ops_.accumulate ? 1.0f : 0.0f; }
  // Whether Apply has anything to do with this bias and no saved values.
  bool active(const float* bias) const { return bias != nullptr || ops_.activation != Activation::kNone; }

  // Copies the block to `saved` (block.rows * block.cols floats) before a kernel overwrites it.
  void Save(const gemm::Matrix& block, float* saved) const;
  // block = activation(block + saved + bias[j]) for column j; saved and bias may be null.
  void Apply(const gemm::Matrix& block, const float* bias, const float* saved) const;

  // For kernels that overwrite their block: room to save one block of up to `floats` per worker, in accumulate
  // mode only; Around runs `compute` on a block with the post-ops around it.
  void BookSaved(WorkspaceLayout* layout, int64_t floats) const;
  template <typename F>
  void Around(const Workspace& workspace, int worker, const gemm::Matrix& block, const float* bias, F&& compute) const {
    float* saved = ops_.accumulate ? Saved(workspace, worker) : nullptr;
    if (saved != nullptr) Save(block, saved);
    compute();
    Apply(block, bias, saved);
  }

 private:
  float* Saved(const Workspace& workspace, int worker) const;
  PostOps ops_;
};

// The bias of a block whose first output channel is `first_channel`; null without a bias.
inline const float* BlockBias(const float* bias, int64_t first_channel) {
  return bias == nullptr ? nullptr : bias + first_channel;
}

// Why the post-ops cannot apply to this direction, or "": an activation is forward's, with valid clamp bounds.
std::string PostOpsError(Direction direction, const PostOps& ops);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_EPILOGUE_H_
