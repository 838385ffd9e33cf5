// One image's block of channels between NCHW planes and NHWC pixels, for NCHW problems that run NHWC kernels.
// Pure copies: every target's result equals src/reference/transpose.h's bit for bit.
#ifndef COLCONV_SRC_KERNELS_TRANSPOSE_H_
#define COLCONV_SRC_KERNELS_TRANSPOSE_H_

#include <cstdint>

namespace colconv {
namespace kernels {

// PlanesToPixels: to[p * channels + c] = from[c * plane + p]; PixelsToPlanes: to[c * plane + p] =
// from[p * channels + c]; for p < plane, c < channels. Reads and writes nothing else.
using TransposeFn = void (*)(const float* from, int64_t plane, int64_t channels, float* to);

}  // namespace kernels
}  // namespace colconv

#endif  // COLCONV_SRC_KERNELS_TRANSPOSE_H_
