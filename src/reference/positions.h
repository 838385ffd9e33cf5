// Exact positions for the reference: which input position a tap reads, and which output position reads a given
// input position through a given tap, in 128-bit arithmetic (pads and dilations may be anywhere in int64).
#ifndef COLCONV_SRC_REFERENCE_POSITIONS_H_
#define COLCONV_SRC_REFERENCE_POSITIONS_H_

#include <cstdint>

#include "colconv/conv2d.h"
#include "src/checked_math.h"
#include "src/kernels/window.h"

namespace colconv {
namespace reference {

// The input position tap k reads for output position o, or -1 when it lies in the padding.
inline int64_t InputFor(const SpatialDim& d, int64_t o, int64_t k) {
  const Int128 i = kernels::TapInput<Int128>(o, d.stride, d.pad_before, k, d.dilation);
  return i < 0 || i >= d.input ? -1 : static_cast<int64_t>(i);
}

// The output position o whose window puts tap k on input position i, or -1 when there is none.
inline int64_t OutputFor(const SpatialDim& d, int64_t i, int64_t k) {
  const Int128 t = Int128(i) + d.pad_before - Int128(k) * d.dilation;
  if (t < 0 || t % d.stride != 0) return -1;
  const Int128 o = t / d.stride;
  return o < d.output ? static_cast<int64_t>(o) : -1;
}

}  // namespace reference
}  // namespace colconv

#endif  // COLCONV_SRC_REFERENCE_POSITIONS_H_
