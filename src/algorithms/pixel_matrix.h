// An image of a data tensor, or a column tile, as a pixels x channels (or pixels x K) matrix whatever the layout:
// NHWC stores it row-major, NCHW as its transpose. A GEMM written against these views serves both layouts, and
// the backend turns each into the same single SGEMM call a hand-written one would make.
#ifndef COLCONV_SRC_ALGORITHMS_PIXEL_MATRIX_H_
#define COLCONV_SRC_ALGORITHMS_PIXEL_MATRIX_H_

#include <cstdint>

#include "src/algorithms/common.h"
#include "src/gemm/gemm.h"

namespace colconv {
namespace internal {

// Pixels `px` x channels [c0, c0 + count) of one image of `pixels` pixels and `channels` channels.
template <typename T>
gemm::View<T> PixelMatrix(DataFormat format, T* image, int64_t pixels, int64_t channels, Range px, int64_t c0,
                          int64_t count) {
  if (format == DataFormat::kNHWC) return gemm::RowMajor(image + px.begin * channels + c0, px.size(), count, channels);
  return gemm::Transposed(image + c0 * pixels + px.begin, px.size(), count, pixels);
}

// A column tile of `pixels` x `k`, laid out as the im2col kernels write it: pixel rows for NHWC, K rows for NCHW.
template <typename T>
gemm::View<T> ColumnTile(DataFormat format, T* col, int64_t pixels, int64_t k) {
  if (format == DataFormat::kNHWC) return gemm::RowMajor(col, pixels, k, k);
  return gemm::Transposed(col, pixels, k, pixels);
}

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_PIXEL_MATRIX_H_
