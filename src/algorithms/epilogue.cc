#include "src/algorithms/epilogue.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/shape.h"
#include "src/str_cat.h"

namespace colconv {
namespace internal {
namespace {

constexpr const char* kSavedBlock = "saved_block";

// Calls f(pointer to the element, its column) for every element of the block, in storage order, which Save and
// Apply share so that saved[i] is the i-th element visited.
template <typename T, typename F>
void ForEachElement(const gemm::View<T>& block, F&& f) {
  if (!block.transposed) {
    for (int64_t r = 0; r < block.rows; ++r) {
      T* row = block.data + r * block.ld;
      for (int64_t c = 0; c < block.cols; ++c) f(row + c, c);
    }
    return;
  }
  for (int64_t c = 0; c < block.cols; ++c) {
    T* column = block.data + c * block.ld;
    for (int64_t r = 0; r < block.rows; ++r) f(column + r, c);
  }
}

// The bounds an activation clamps to; ReLU's upper bound is infinity.
void Bounds(const PostOps& ops, float* lo, float* hi) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (ops.activation) {
    case Activation::kNone:
      *lo = -kInf, *hi = kInf;
      return;
    case Activation::kRelu:
      *lo = 0.0f, *hi = kInf;
      return;
    case Activation::kRelu6:
      *lo = 0.0f, *hi = 6.0f;
      return;
    case Activation::kClamp:
      *lo = ops.clamp_min, *hi = ops.clamp_max;
      return;
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
  int64_t i = 0;
  ForEachElement(block, [&](float* x, int64_t) { saved[i++] = *x; });
}

void Epilogue::Apply(const gemm::Matrix& block, const float* bias, const float* saved) const {
  if (saved == nullptr && !active(bias)) return;
  float lo = 0.0f, hi = 0.0f;
  Bounds(ops_, &lo, &hi);
  const bool clamps = ops_.activation != Activation::kNone;
  int64_t i = 0;
  // std::min / std::max pass NaN through from their first argument, as PyTorch's relu and clamp do.
  ForEachElement(block, [&](float* x, int64_t c) {
    float v = *x;
    if (saved != nullptr) v = saved[i++] + v;
    if (bias != nullptr) v += bias[c];
    if (clamps) v = std::isnan(v) ? v : std::min(std::max(v, lo), hi);
    *x = v;
  });
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
