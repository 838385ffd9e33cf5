#include "src/algorithms/common.h"

#include <limits>

#include "src/checked_math.h"
#include "src/kernels/depthwise.h"
#include "src/kernels/direct.h"
#include "src/str_cat.h"

namespace colconv {
namespace internal {
namespace {

// The fast paths' position arithmetic (offset x width) stays inside int64 for pads, effective filters and
// strides up to this; beyond it (legal, if absurd: SAME with a dilation of 2^40) the reference runs.
constexpr int64_t kMaxFastOffset = int64_t{1} << 30;
// The widest register tile of the direct kernels, in output pixels: their bands' rows round up to it.
constexpr int64_t kMaxTilePixels = std::max(kernels::kDirectPixels, kernels::kDwWindow);
constexpr int64_t kMaxPaddedFloats = int64_t{1} << 40;

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

std::string DeclinesForPaddedBand(const Problem& problem) {
  const std::string why = DeclinesForFastPaths(problem);
  if (!why.empty()) return why;
  const Conv2dGeometry& g = problem.geometry;
  int64_t padded_floats = std::max(g.in_channels, g.out_channels);
  for (const SpatialDim* d : {&g.height, &g.width}) {
    // Each term is at most 2^30 (DeclinesForFastPaths); the extents are not bounded, hence the cap.
    const int64_t excess = d->pad_before + d->pad_after + d->effective_filter + kMaxTilePixels * d->stride;
    const int64_t extent = std::min(std::max(d->input, d->output), kMaxFastOffset * kMaxFastOffset);
    if (excess > 3 * extent + 128) {
      return StrCat("the zero-padded band would be mostly padding: pads, effective filter and ", kMaxTilePixels,
                    " strides add ", excess, " to a ", d == &g.height ? "height" : "width", " of ", extent);
    }
    int64_t padded_extent = 0;
    if (!CheckedAdd(d->input, excess, &padded_extent) || !CheckedMul(padded_floats, padded_extent, &padded_floats)) {
      padded_floats = std::numeric_limits<int64_t>::max();
    }
  }
  // Far beyond any memory, but it keeps the bands' and planes' size formulas inside int64.
  if (padded_floats > kMaxPaddedFloats) {
    return "a zero-padded image of more than 2^40 floats";
  }
  return "";
}

}  // namespace internal
}  // namespace colconv
