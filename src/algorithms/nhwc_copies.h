// NCHW images for kernels that vectorize over NHWC's channels: an image's planes transposed into a copy of its
// pixels before the kernels read it, and a result's pixels transposed back into planes after they wrote it. Each
// is one pass over the image, in parallel over blocks of pixels.
#ifndef COLCONV_SRC_ALGORITHMS_NHWC_COPIES_H_
#define COLCONV_SRC_ALGORITHMS_NHWC_COPIES_H_

#include <cstdint>

#include "src/algorithms/algorithm.h"

namespace colconv {
namespace internal {

// pixels[p * channels + c] = planes[c * plane + p]
void PlanesToPixels(const RunContext& ctx, const float* planes, int64_t channels, int64_t plane, float* pixels);
// planes[c * plane + p] = pixels[p * channels + c]
void PixelsToPlanes(const RunContext& ctx, const float* pixels, int64_t channels, int64_t plane, float* planes);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_NHWC_COPIES_H_
