// A matrix to its transpose: one image's block of channels between NCHW planes and NHWC pixels (NCHW problems that
// run NHWC kernels), or a block of a filter into the layout a kernel reads. Pure copies: every target's result
// equals src/reference/transpose.h's bit for bit.
#ifndef COLCONV_SRC_KERNELS_TRANSPOSE_H_
#define COLCONV_SRC_KERNELS_TRANSPOSE_H_

#include <cstdint>

namespace colconv {
namespace kernels {

// to[k * to_stride + r] = from[r * from_stride + k] for r < rows, k < columns. Reads and writes nothing else.
using TransposeFn = void (*)(const float* from, int64_t from_stride, int64_t rows, int64_t columns, float* to,
                             int64_t to_stride);

}  // namespace kernels
}  // namespace colconv

#endif  // COLCONV_SRC_KERNELS_TRANSPOSE_H_
