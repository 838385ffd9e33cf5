// The oracle of the transpose kernels (src/kernels/transpose.h): one float at a time. kernelcheck compares every
// target with it bit for bit.
#ifndef COLCONV_SRC_REFERENCE_TRANSPOSE_H_
#define COLCONV_SRC_REFERENCE_TRANSPOSE_H_

#include <cstdint>

namespace colconv {
namespace reference {

inline void PlanesToPixels(const float* planes, int64_t plane, int64_t channels, float* pixels) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t p = 0; p < plane; ++p) pixels[p * channels + c] = planes[c * plane + p];
}

inline void PixelsToPlanes(const float* pixels, int64_t plane, int64_t channels, float* planes) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t p = 0; p < plane; ++p) planes[c * plane + p] = pixels[p * channels + c];
}

}  // namespace reference
}  // namespace colconv

#endif  // COLCONV_SRC_REFERENCE_TRANSPOSE_H_
