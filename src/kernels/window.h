// Where a filter tap lands: the output positions whose window puts a given tap inside the input.
#ifndef COLCONV_SRC_KERNELS_WINDOW_H_
#define COLCONV_SRC_KERNELS_WINDOW_H_

#include <algorithm>
#include <cstdint>

#include "src/kernels/col_tile.h"

namespace colconv {
namespace kernels {

// The input position that filter tap `tap` reads when the window sits on output position `out`, along one
// dimension: the one formula the kernels' walks, their oracle and the reference share. T is int64_t in the
// kernels, a 128-bit integer in the reference, where pads and dilations may be anywhere in int64.
template <typename T>
constexpr T TapInput(T out, int64_t stride, int64_t pad, int64_t tap, int64_t dilation) {
  return out * stride - pad + T(tap) * dilation;
}

// Output positions o in [o_begin, o_end) whose input position o * stride - pad + tap_offset lies in
// [0, in_size), intersected with [lo, hi). tap_offset = k * dilation.
struct OutputSpan {
  int64_t begin, end;
};
inline OutputSpan InsideSpan(int64_t in_size, int64_t stride, int64_t pad, int64_t tap_offset, int64_t lo,
                             int64_t hi) {
  const int64_t a = pad - tap_offset;                // o * stride >= a
  const int64_t b = in_size - 1 + pad - tap_offset;  // o * stride <= b
  const int64_t first = a <= 0 ? 0 : stride == 1 ? a : (a + stride - 1) / stride;
  const int64_t last_plus_one = b < 0 ? 0 : stride == 1 ? b + 1 : b / stride + 1;
  OutputSpan s{std::max(first, lo), std::min(last_plus_one, hi)};
  if (s.end < s.begin) s.end = s.begin;
  return s;
}

// [lo, hi) of the taps k (at dilation d) that put output position o inside [0, size): o * stride - pad + k * d.
struct TapRange {
  int64_t lo, hi;
};
inline TapRange TapsInside(int64_t o, int64_t stride, int64_t pad, int64_t dilation, int64_t taps, int64_t size) {
  const int64_t first = o * stride - pad;  // input position of tap 0
  const int64_t lo = first >= 0 ? 0 : (-first + dilation - 1) / dilation;
  const int64_t hi = first > size - 1 ? 0 : std::min(taps, (size - 1 - first) / dilation + 1);
  return {lo, std::max(lo, hi)};
}

// Walks K rows in a tile's order without dividing per row: (c, kh, kw) of row k0, then one step per row.
class TapCursor {
 public:
  TapCursor(int64_t k0, int64_t channels, int64_t kernel_h, int64_t kernel_w, bool tap_major)
      : channels_(channels), kernel_h_(kernel_h), kernel_w_(kernel_w), tap_major_(tap_major) {
    const int64_t taps = kernel_h * kernel_w;
    const int64_t tap = tap_major ? k0 / channels : k0 % taps;
    c = tap_major ? k0 % channels : k0 / taps;
    kh = tap / kernel_w;
    kw = tap % kernel_w;
  }
  void Next() {
    if (tap_major_) {
      if (++c < channels_) return;
      c = 0;
      if (++kw < kernel_w_) return;
      kw = 0;
      ++kh;
    } else {
      if (++kw < kernel_w_) return;
      kw = 0;
      if (++kh < kernel_h_) return;
      kh = 0;
      ++c;
    }
  }
  int64_t c = 0, kh = 0, kw = 0;

 private:
  int64_t channels_, kernel_h_, kernel_w_;
  bool tap_major_;
};

// NHWC runs shorter than this many floats (a channel slice of one or two channels whose taps cannot merge, as in
// depthwise convolutions) go through plain per-element loops: no vector fits them, and the run bookkeeping
// would cost more than the copy.
constexpr int64_t kTinyRun = 4;
inline bool TinyNhwcRuns(const ColGeometry& g, const ColTile& t) {
  const bool merged = g.dilation_w == 1 && t.channels == g.channels;
  return t.channels * (merged ? g.kernel_w : 1) < kTinyRun;
}

// InsideSpan over all output columns for each kw, computed once per kernel call (up to kMaxKw taps).
class ColumnSpans {
 public:
  static constexpr int64_t kMaxKw = 32;
  ColumnSpans(int64_t in_w, int64_t out_w, int64_t stride_w, int64_t pad_left, int64_t dilation_w, int64_t kernel_w)
      : in_w_(in_w), out_w_(out_w), stride_w_(stride_w), pad_left_(pad_left), dilation_w_(dilation_w) {
    for (int64_t kw = 0; kw < kernel_w && kw < kMaxKw; ++kw) spans_[kw] = Compute(kw);
  }
  OutputSpan operator[](int64_t kw) const { return kw < kMaxKw ? spans_[kw] : Compute(kw); }

 private:
  OutputSpan Compute(int64_t kw) const { return InsideSpan(in_w_, stride_w_, pad_left_, kw * dilation_w_, 0, out_w_); }
  int64_t in_w_, out_w_, stride_w_, pad_left_, dilation_w_;
  OutputSpan spans_[kMaxKw];
};

// One K row of an NCHW tile: its channel in the slice and where its tap lands.
struct KRow {
  int64_t index;      // k - k0: the row of the tile buffer
  int64_t channel;    // within the slice
  int64_t ih_offset;  // output row oh reads input row oh * stride_h + ih_offset
  int64_t iw_offset;  // output column ow reads input column ow * stride_w + iw_offset
  OutputSpan inside;  // the output columns whose tap lands inside the image
};

// One output row's stretch [ow, ow_end) of a K row, starting `at` floats into the tile's row, with the part
// [begin, end) whose tap lands inside the image and the input row ih it reads (-1 in the padding).
struct RowSegment {
  int64_t at, ow, ow_end, begin, end, ih;
};

}  // namespace kernels
}  // namespace colconv

#endif  // COLCONV_SRC_KERNELS_WINDOW_H_
