#include "src/algorithms/epilogue.h"

#include <algorithm>
#include <limits>

#include "src/shape.h"
#include "src/str_cat.h"

namespace colconv {
namespace internal {
namespace {

constexpr const char* kSavedBlock = "saved_block";

// The bounds an activation clamps to: infinite for none (and ReLU's upper one), so every case is one clamp.
void Bounds(const PostOps& ops, float* lo, float* hi) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  *lo = -kInf, *hi = kInf;
  if (ops.activation == Activation::kRelu || ops.activation == Activation::kRelu6) *lo = 0.0f;
  if (ops.activation == Activation::kRelu6) *hi = 6.0f;
  if (ops.activation == Activation::kClamp) *lo = ops.clamp_min, *hi = ops.clamp_max;
}

// x = clamp(saved + x + bias) over the block, in storage order (saved[i] is the i-th element visited), with the
// branches out of the loops so that they vectorize. std::min(std::max(v, lo), hi) passes a NaN v through, as
// PyTorch's relu and clamp do.
template <bool kSaved, bool kBias>
void ApplyTo(const gemm::Matrix& block, const float* bias, const float* saved, float lo, float hi) {
  auto one = [&](float x, float s, float b) {
    float v = x;
    if (kSaved) v = s + v;
    if (kBias) v += b;
    return std::min(std::max(v, lo), hi);
  };
  if (!block.transposed) {
    for (int64_t r = 0; r < block.rows; ++r) {
      float* row = block.data + r * block.ld;
      const float* s = kSaved ? saved + r * block.cols : nullptr;
      for (int64_t c = 0; c < block.cols; ++c) row[c] = one(row[c], kSaved ? s[c] : 0.0f, kBias ? bias[c] : 0.0f);
    }
    return;
  }
  for (int64_t c = 0; c < block.cols; ++c) {
    float* column = block.data + c * block.ld;
    const float* s = kSaved ? saved + c * block.rows : nullptr;
    const float b = kBias ? bias[c] : 0.0f;
    for (int64_t r = 0; r < block.rows; ++r) column[r] = one(column[r], kSaved ? s[r] : 0.0f, b);
  }
}

const char* ActivationName(Activation a) {
  switch (a) {
    case Activation::kNone:
      return "none";
    case Activation::kRelu:
      return "relu";
    case Activation::kRelu6:
      return "relu6";
    case Activation::kClamp:
      return "clamp";
  }
  return "unknown";
}

}  // namespace

void Epilogue::Save(const gemm::Matrix& block, float* saved) const {
  const int64_t lines = block.transposed ? block.cols : block.rows, length = block.transposed ? block.rows : block.cols;
  for (int64_t i = 0; i < lines; ++i) std::copy_n(block.data + i * block.ld, length, saved + i * length);
}

void Epilogue::Apply(const gemm::Matrix& block, const float* bias, const float* saved) const {
  if (saved == nullptr && !active(bias)) return;
  float lo = 0.0f, hi = 0.0f;
  Bounds(ops_, &lo, &hi);
  if (saved != nullptr) {
    return bias != nullptr ? ApplyTo<true, true>(block, bias, saved, lo, hi)
                           : ApplyTo<true, false>(block, bias, saved, lo, hi);
  }
  return bias != nullptr ? ApplyTo<false, true>(block, bias, saved, lo, hi)
                         : ApplyTo<false, false>(block, bias, saved, lo, hi);
}

void Epilogue::BookSaved(WorkspaceLayout* layout, int64_t floats) const {
  if (ops_.accumulate) {
    layout->BookPerWorker(kSavedBlock, static_cast<size_t>(floats) * sizeof(float), 64,
                          "one block of the result as it was (accumulate mode)");
  }
}

float* Epilogue::Saved(const Workspace& workspace, int worker) const { return workspace.Get<float>(kSavedBlock, worker); }

std::string PostOpsError(Direction direction, const PostOps& ops) {
  const int a = static_cast<int>(ops.activation);
  if (a < static_cast<int>(Activation::kNone) || a > static_cast<int>(Activation::kClamp)) {
    return StrCat(OpName(direction), ": post_ops.activation is ", a, "; it must be one of none, relu, relu6, clamp");
  }
  if (ops.activation != Activation::kNone && direction != Direction::kForward) {
    return StrCat(OpName(direction), ": post_ops.activation is ", ActivationName(ops.activation),
                  "; activations apply to forward only");
  }
  if (ops.activation == Activation::kClamp && !(ops.clamp_min <= ops.clamp_max)) {
    return StrCat(OpName(direction), ": post_ops.clamp_min ", ops.clamp_min, " and clamp_max ", ops.clamp_max,
                  " must be numbers with clamp_min <= clamp_max");
  }
  return "";
}

}  // namespace internal
}  // namespace colconv
