// The oracle of the transpose kernels (src/kernels/transpose.h): one float at a time. kernelcheck compares every
// target with it bit for bit.
#ifndef COLCONV_SRC_REFERENCE_TRANSPOSE_H_
#define COLCONV_SRC_REFERENCE_TRANSPOSE_H_

#include <cstdint>

namespace colconv {
namespace reference {

inline void Transpose(const float* from, int64_t from_stride, int64_t rows, int64_t columns, float* to,
                      int64_t to_stride) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < columns; ++k) to[k * to_stride + r] = from[r * from_stride + k];
}

}  // namespace reference
}  // namespace colconv

#endif  // COLCONV_SRC_REFERENCE_TRANSPOSE_H_
