// Small pieces every algorithm uses: blocks of a range, zero-filling, and the conditions under which the fast
// algorithms step aside.
#ifndef COLCONV_SRC_ALGORITHMS_COMMON_H_
#define COLCONV_SRC_ALGORITHMS_COMMON_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "src/algorithms/algorithm.h"

namespace colconv {
namespace internal {

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A half-open range [begin, end).
struct Range {
  int64_t begin, end;
  int64_t size() const { return end - begin; }
};
// The i-th block of `size` in [0, total).
inline Range BlockOf(int64_t i, int64_t size, int64_t total) { return {i * size, std::min(total, (i + 1) * size)}; }

// Zeroes n floats; an empty tensor may come as a null pointer, which memset must not see.
inline void ZeroFloats(float* data, int64_t n) {
  if (n > 0) std::memset(data, 0, static_cast<size_t>(n) * sizeof(float));
}

// Whether any side of the input is zero-padded.
inline bool Padded(const Conv2dGeometry& g) {
  return g.height.pad_before || g.height.pad_after || g.width.pad_before || g.width.pad_after;
}
// 1x1 filter, unit stride, no padding: each image is its own column matrix (pointwise_gemm's problems).
inline bool Pointwise(const Conv2dGeometry& g) {
  return g.height.filter == 1 && g.width.filter == 1 && g.height.stride == 1 && g.width.stride == 1 && !Padded(g);
}

// Nothing to compute: the result has no elements, or is a sum over nothing (a zero gradient).
bool HasNothingToCompute(Direction direction, const Conv2dGeometry& g);

// Why no fast algorithm takes the problem, whatever its shape, or "": nothing to compute, or positions beyond
// what int64 arithmetic on offsets x widths holds.
std::string DeclinesForFastPaths(const Problem& problem);
// The same, or GEMM extents beyond the backend's interface: why no GEMM-based algorithm takes it.
std::string DeclinesForGemm(const Problem& problem);
// Why the direct kernels, which copy the zero-padded input a task reaches into a band whose rows are rounded up to
// whole register tiles, do not take the problem, or "": in some dimension the pads, the effective filter and that
// rounding add more than 3x the larger of its input and output extents (plus 128). Past that the band is mostly
// zeros: a SAME pad around a dilation of 2^20, or a stride of 2^20, would book gigabytes. Within it, and with the
// zero-padded image under 2^40 floats, the bands' size formulas stay inside int64.
std::string DeclinesForPaddedBand(const Problem& problem);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_COMMON_H_
