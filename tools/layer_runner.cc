#include "tools/layer_runner.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "src/gemm/gemm.h"
#include "src/layout.h"
#include "src/reference/reference.h"
#include "src/shape.h"
#include "tools/plan_of.h"

namespace colconv {
namespace cli {
namespace {

hwy::AlignedFreeUniquePtr<float[]> Pattern(size_t count, uint32_t seed) {
  auto v = hwy::AllocateAligned<float>(std::max<size_t>(count, 1));
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < count; ++i) {
    x = x * 1664525u + 1013904223u;
    v[i] = static_cast<float>(x >> 8) * (2.0f / 16777216.0f) - 1.0f;
  }
  return v;
}

// The coordinates of a dense tensor's element from its offset and its axes' strides and extents (any order).
// Axes of extent 1 share strides with others; their coordinate is 0.
void DecodeIndex(int64_t index, const std::array<int64_t, 4>& strides, const std::array<int64_t, 4>& extents,
                 int64_t (&at)[4]) {
  int order[4] = {0, 1, 2, 3};
  std::sort(order, order + 4, [&](int x, int y) { return strides[x] > strides[y]; });
  for (int axis : order) {
    at[axis] = extents[axis] == 1 ? 0 : index / strides[axis];
    if (extents[axis] != 1) index %= strides[axis];
  }
}

}  // namespace

const char* DirName(Direction d) {
  switch (d) {
    case Direction::kForward:
      return "FWD";
    case Direction::kBackpropInput:
      return "BWD_D";
    case Direction::kBackpropFilter:
      return "BWD_W";
  }
  return "?";
}

bool LayerRunner::Init(const Layer& layer, Direction direction, DataFormat data, FilterFormat filter, int threads,
                       bool prepacked, std::string* error) {
  layer_ = layer;
  direction_ = direction;
  const Conv2dDesc desc = layer.Desc(data, filter);
  Conv2dGeometry g;
  Status s = ResolveForward(desc, layer.SrcShape(data), layer.WeightsShape(filter), &g);
  PlanOptions options;
  options.num_threads = threads;
  options.own_workspace = false;
  if (s.ok()) s = check::PlanOf(direction, desc, g, &plan_, options);
  if (s.ok()) s = gemm::ChooseBackend("", &backend_);
  if (!s.ok()) {
    *error = layer.name + ": " + s.message();
    return false;
  }
  const std::array<Shape4, 3> operands = OperandShapes(g, direction);
  a_ = Pattern(NumElements(operands[0]), 1);
  b_ = Pattern(NumElements(operands[1]), 2);
  out_count_ = NumElements(operands[2]);
  out_ = Pattern(out_count_, 3);
  if (prepacked) {  // the weights are the plan's b_ forward, its a_ backprop-input (their calls' argument order)
    const Shape4 src = g.src_shape();
    if (direction == Direction::kForward) {
      s = Conv2dOperator::CreateForward(desc, src, g.weights_shape(), b_.get(), nullptr, &op_, options);
    } else if (direction == Direction::kBackpropInput) {
      s = Conv2dOperator::CreateBackpropInput(desc, {src[0], src[1], src[2], src[3]}, g.weights_shape(), a_.get(),
                                              g.dst_shape(), &op_, options);
    } else {
      s = Conv2dOperator::CreateBackpropFilter(desc, src, g.weights_shape(), g.dst_shape(), &op_, options);
    }
    if (!s.ok()) {
      *error = layer.name + ": " + s.message();
      return false;
    }
  }
  workspace_bytes_ = op_.valid() ? op_.workspace_bytes() : plan_.workspace_bytes();
  workspace_ = Pattern(workspace_bytes_ / sizeof(float) + 1, 4);

  // The same-shape GEMM per image and group: forward P x K . K x OCg; backprop-input P x OCg . (K x OCg)^T;
  // backprop-filter (P x K)^T . P x OCg.
  const int64_t pixels = g.height.output * g.width.output;
  const int64_t k = g.height.filter * g.width.filter * g.in_channels_per_group(), ocg = g.out_channels_per_group();
  int64_t m = pixels, n = ocg, inner = k;
  if (direction == Direction::kBackpropInput) n = k, inner = ocg;
  if (direction == Direction::kBackpropFilter) m = k, inner = pixels;
  gemm_a_ = Pattern(static_cast<size_t>(m * inner), 5);
  gemm_b_ = Pattern(static_cast<size_t>(inner * n), 6);
  gemm_c_ = Pattern(static_cast<size_t>(m * n), 7);
  const float* a = gemm_a_.get();
  const float* b = gemm_b_.get();
  roof_a_ = direction == Direction::kBackpropFilter ? gemm::Transposed(a, m, inner, m) : gemm::RowMajor(a, m, inner, inner);
  roof_b_ = direction == Direction::kBackpropInput ? gemm::Transposed(b, inner, n, inner) : gemm::RowMajor(b, inner, n, n);
  roof_c_ = gemm::RowMajor(gemm_c_.get(), m, n, n);
  return true;
}

void LayerRunner::Run() {
  if (op_.valid()) {
    switch (direction_) {
      case Direction::kForward:
        op_.Forward(a_.get(), out_.get(), workspace_.get(), workspace_bytes_);
        break;
      case Direction::kBackpropInput:
        op_.BackpropInput(b_.get(), out_.get(), workspace_.get(), workspace_bytes_);
        break;
      case Direction::kBackpropFilter:
        op_.BackpropFilter(a_.get(), b_.get(), out_.get(), workspace_.get(), workspace_bytes_);
        break;
    }
    return;
  }
  switch (direction_) {
    case Direction::kForward:
      plan_.Forward(a_.get(), b_.get(), out_.get(), workspace_.get());
      break;
    case Direction::kBackpropInput:
      plan_.BackpropInput(a_.get(), b_.get(), out_.get(), workspace_.get());
      break;
    case Direction::kBackpropFilter:
      plan_.BackpropFilter(a_.get(), b_.get(), out_.get(), workspace_.get());
      break;
  }
}

void LayerRunner::RunGemmRoof() {
  // Backprop-filter sums the images of a group into one gradient, as colconv does (beta 1 after the first).
  const bool sums_images = direction_ == Direction::kBackpropFilter;
  for (int64_t call = 0; call < layer_.mb * layer_.g; ++call) {
    const float beta = sums_images && call % layer_.mb != 0 ? 1.0f : 0.0f;
    backend_->Multiply(roof_a_, roof_b_, beta, roof_c_);
  }
}

double LayerRunner::CheckSample(int samples) {
  Run();
  const Conv2dGeometry& g = plan_.geometry();
  const int64_t count = static_cast<int64_t>(out_count_);
  double worst = 0;
  for (int i = 0; i < samples && count > 0; ++i) {
    // Spread over the tensor, with its first and last elements (padded corners) always in.
    const int64_t index = i == 0 ? 0 : i == 1 ? count - 1 : (static_cast<int64_t>(i) * 2654435761LL) % count;
    reference::Value want;
    int64_t terms = 0;
    if (direction_ == Direction::kBackpropFilter) {
      const FilterIndex fi = WeightsIndex(g);
      int64_t at[4];
      DecodeIndex(index, {fi.o, fi.i, fi.h, fi.w},
                  {g.out_channels, g.in_channels_per_group(), g.height.filter, g.width.filter}, at);
      want = reference::BackpropFilterAt(g, a_.get(), b_.get(), at[0], at[1], at[2], at[3]);
      terms = g.batch * g.height.output * g.width.output;
    } else {
      const bool forward = direction_ == Direction::kForward;
      const TensorIndex ti = forward ? DstIndex(g) : SrcIndex(g);
      int64_t at[4];
      const SpatialDim& h = g.height;
      const SpatialDim& w = g.width;
      DecodeIndex(index, {ti.n, ti.c, ti.h, ti.w},
                  {g.batch, forward ? g.out_channels : g.in_channels, forward ? h.output : h.input,
                   forward ? w.output : w.input},
                  at);
      want = forward ? reference::ForwardAt(g, a_.get(), b_.get(), at[0], at[1], at[2], at[3])
                     : reference::BackpropInputAt(g, a_.get(), b_.get(), at[0], at[1], at[2], at[3]);
      terms = (forward ? g.in_channels_per_group() : g.out_channels_per_group()) * g.height.filter * g.width.filter;
    }
    const double tol = 4.0 * std::sqrt(static_cast<double>(terms) + 1.0) * 1.1920929e-7 * want.magnitude + 1e-30;
    worst = std::max(worst, std::fabs(double(out_[static_cast<size_t>(index)]) - want.value) / tol);
  }
  return worst;
}

}  // namespace cli
}  // namespace colconv
