// One image's block of channels between NCHW planes and NHWC pixels, for NCHW problems that run NHWC kernels.
// Strips of 64 pixels: each channel's strip is read (or written) contiguously, and the strip's pixels stay in L1.
#ifndef COLCONV_SRC_ALGORITHMS_TRANSPOSE_H_
#define COLCONV_SRC_ALGORITHMS_TRANSPOSE_H_

#include <algorithm>
#include <cstdint>

namespace colconv {
namespace internal {

constexpr int64_t kTransposeStrip = 64;

// pixels[p * channels + c] = planes[c * plane + p] for p < plane, c < channels.
inline void PlanesToPixels(const float* planes, int64_t plane, int64_t channels, float* pixels) {
  for (int64_t p0 = 0; p0 < plane; p0 += kTransposeStrip) {
    const int64_t p1 = std::min(plane, p0 + kTransposeStrip);
    for (int64_t c = 0; c < channels; ++c) {
      const float* from = planes + c * plane;
      for (int64_t p = p0; p < p1; ++p) pixels[p * channels + c] = from[p];
    }
  }
}

// planes[c * plane + p] = pixels[p * channels + c].
inline void PixelsToPlanes(const float* pixels, int64_t plane, int64_t channels, float* planes) {
  for (int64_t p0 = 0; p0 < plane; p0 += kTransposeStrip) {
    const int64_t p1 = std::min(plane, p0 + kTransposeStrip);
    for (int64_t c = 0; c < channels; ++c) {
      float* to = planes + c * plane;
      for (int64_t p = p0; p < p1; ++p) to[p] = pixels[p * channels + c];
    }
  }
}

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_TRANSPOSE_H_
