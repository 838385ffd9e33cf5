#include "src/algorithms/common.h"

#include "src/str_cat.h"

namespace colconv {
namespace internal {
namespace {

// The fast paths' position arithmetic (offset x width) stays inside int64 for pads, effective filters and
// strides up to this; beyond it (legal, if absurd: SAME with a dilation of 2^40) the reference runs.
constexpr int64_t kMaxFastOffset = int64_t{1} << 30;

}  // namespace

bool HasNothingToCompute(Direction direction, const Conv2dGeometry& g) {
  const int64_t pixels = g.height.output * g.width.output;
  switch (direction) {
    case Direction::kForward:
      return g.batch * g.out_channels * pixels == 0;
    case Direction::kBackpropInput:
      return g.batch * g.in_channels * g.height.input * g.width.input == 0 || g.out_channels * pixels == 0;
    case Direction::kBackpropFilter:
      return g.out_channels == 0 || g.batch * pixels == 0;
  }
  return true;
}

std::string DeclinesForFastPaths(const Problem& problem) {
  const Conv2dGeometry& g = problem.geometry;
  if (HasNothingToCompute(problem.direction, g)) return "nothing to compute";
  for (const SpatialDim* d : {&g.height, &g.width}) {
    for (int64_t v : {d->pad_before, d->pad_after, d->effective_filter, d->stride}) {
      if (v > kMaxFastOffset) return StrCat("a pad, stride or effective filter of ", v, " is beyond 2^30");
    }
  }
  return "";
}

std::string DeclinesForGemm(const Problem& problem) {
  const std::string why = DeclinesForFastPaths(problem);
  if (!why.empty()) return why;
  const Conv2dGeometry& g = problem.geometry;
  // Every size and leading dimension the GEMMs of a plan can see.
  const int64_t image = g.in_channels * g.height.input * g.width.input;
  const int64_t pixels = g.height.output * g.width.output;
  const int64_t k = g.height.filter * g.width.filter * g.in_channels_per_group();
  for (int64_t v : {g.batch, g.in_channels, g.out_channels, pixels, k, image}) {
    if (v > problem.gemm.max_extent()) {
      return StrCat("a GEMM dimension of ", v, " exceeds ", problem.gemm.name(), "'s limit of ",
                    problem.gemm.max_extent());
    }
  }
  return "";
}

}  // namespace internal
}  // namespace colconv
