// The contract between the GEMM drivers and the im2col/col2im kernels: which image, which part of the column
// matrix, and how that part is laid out in the caller's buffer.
//
// The column matrix of one image has one entry per (output pixel p, K index k): the input value that filter tap
// (kh, kw) of channel c sees when the window sits on output pixel p, or 0 where the window hangs over the
// padding. p = oh * out_w + ow. K runs over the taps and the channels of a channel slice (a group, or a block of
// a group) in one of two orders:
//   tap-major      k = (kh * kernel_w + kw) * channels + c    (TensorFlow's HWIO filter order)
//   channel-major  k = c * kernel_h * kernel_w + kh * kernel_w + kw    (PyTorch's OIHW filter order)
// A tile is the rectangle [p0, p1) x [k0, k1) of that matrix. Two buffer layouts suit cblas_sgemm:
//   NHWC data -> pixel rows:  col[(p - p0) * ld + (k - k0)], tap-major only. Each row is a run of kw * C
//     contiguous input floats where the window is inside the image, so it is filled by long copies; as the A
//     operand (M = pixels, K) of a row-major GEMM it needs no transposition.
//   NCHW data -> K rows:      col[(k - k0) * ld + (p - p0)], either order. Each row is one channel plane seen
//     through one tap: a run along W (strided by stride_w), the B operand (K, N = pixels) of a row-major GEMM.
#ifndef COLCONV_SRC_KERNELS_COL_TILE_H_
#define COLCONV_SRC_KERNELS_COL_TILE_H_

#include <cstdint>

namespace colconv {
namespace kernels {

// One image's convolution, as the kernels see it.
struct ColGeometry {
  int64_t channels = 0;  // channels of the whole tensor: the pixel stride in NHWC, the plane count in NCHW
  int64_t in_h = 0, in_w = 0;
  int64_t out_w = 0;     // output pixels are numbered oh * out_w + ow
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
};

enum class KOrder : int { kTapMajor = 0, kChannelMajor = 1 };

struct ColTile {
  int64_t channel0 = 0;  // first channel of the slice within the tensor
  int64_t channels = 0;  // channels in the slice (K = kernel_h * kernel_w * channels)
  int64_t p0 = 0, p1 = 0;
  int64_t k0 = 0, k1 = 0;
  KOrder order = KOrder::kTapMajor;
};

// src and diff_src point at the first element of one image. im2col writes exactly the tile's entries (and
// nothing between rows when ld exceeds the row); col2im adds the tile's entries into diff_src in a fixed order:
//   NHWC: p ascending, then k ascending;   NCHW: k ascending, then p ascending.
// Neither reads or writes outside the image, the slice's channels and the tile.
using Im2colFn = void (*)(const ColGeometry& g, const ColTile& t, const float* src, float* col, int64_t ld);
using Col2imFn = void (*)(const ColGeometry& g, const ColTile& t, const float* col, int64_t ld, float* diff_src);

}  // namespace kernels
}  // namespace colconv

#endif  // COLCONV_SRC_KERNELS_COL_TILE_H_
