// col2im for every Highway target: adds one tile of an image's column matrix back into diff_src, the adjoint of
// im2col (see col_tile.h). Entries that im2col took from the padding are dropped.
//
// The order of the additions is fixed (NHWC: pixels, then K; NCHW: K rows, then pixels), and every element of
// diff_src receives its contributions in that order whatever the target, so results are bitwise identical
// across targets and thread counts. Parallel callers give each task its own channels (or its own images): the
// writes of a tile stay inside the tile's channel slice, and the stride-2 path stores back the untouched odd
// floats only within one row of one channel.

#if defined(COLCONV_SRC_KERNELS_COL2IM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_COL2IM_INL_H_
#undef COLCONV_SRC_KERNELS_COL2IM_INL_H_
#else
#define COLCONV_SRC_KERNELS_COL2IM_INL_H_
#endif

#include <algorithm>
#include <cstdint>

#include "hwy/highway.h"
#include "src/kernels/col_tile.h"
#include "src/kernels/runs-inl.h"
#include "src/kernels/walk-inl.h"
#include "src/kernels/window.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

// Adds entries [a, b) of one filter row (r = kw * channels + c) for one pixel into the input row it came from.
HWY_INLINE void AddFilterRow(const ColGeometry& g, const ColTile& t, const float* HWY_RESTRICT col_row,
                             float* HWY_RESTRICT dst_row, int64_t iw0, int64_t a, int64_t b) {
  const int64_t cs = t.channels;
  if (g.dilation_w == 1 && cs == g.channels) {
    const int64_t row_len = g.kernel_w * cs;
    const int64_t lo = std::min(row_len, std::max<int64_t>(0, -iw0) * cs);
    const int64_t hi = std::max(lo, std::min(g.kernel_w, g.in_w - iw0) * cs);
    const int64_t c0 = std::max(a, lo), c1 = std::min(b, hi);
    if (c1 > c0) AddRun(col_row + (c0 - a), dst_row + iw0 * cs + c0, static_cast<size_t>(c1 - c0));
    return;
  }
  int64_t kw = a / cs, c = a - kw * cs;
  for (int64_t r = a; r < b; c = 0, ++kw) {
    const int64_t n = std::min(cs - c, b - r);
    const int64_t iw = iw0 + kw * g.dilation_w;
    if (iw >= 0 && iw < g.in_w) {
      AddRun(col_row + (r - a), dst_row + iw * g.channels + t.channel0 + c, static_cast<size_t>(n));
    }
    r += n;
  }
}

HWY_NOINLINE void Col2imNhwc(const ColGeometry& g, const ColTile& t, const float* HWY_RESTRICT col, int64_t ld,
                             float* HWY_RESTRICT diff_src) {
  if (t.k1 <= t.k0) return;
  if (TinyNhwcRuns(g, t)) {  // the same order as the run path: pixels, then K
    ForEachNhwcEntry(g, t, ld, [&](int64_t entry, int64_t to) {
      if (to >= 0) diff_src[to] += col[entry];
    });
    return;
  }
  const int64_t row_len = g.kernel_w * t.channels;
  const int64_t kh_begin = t.k0 / row_len, kh_end = (t.k1 + row_len - 1) / row_len;
  const int64_t dst_row_stride = g.in_w * g.channels;
  // Pixels whose whole window is inside the image take the short path: one add per filter row.
  const bool whole_rows = g.dilation_w == 1 && t.channels == g.channels && t.k0 == 0 && t.k1 == g.kernel_h * row_len;
  const int64_t eff_h = (g.kernel_h - 1) * g.dilation_h + 1;
  int64_t oh = t.p0 / g.out_w, ow = t.p0 - oh * g.out_w;
  for (int64_t p = t.p0; p < t.p1; ++p) {
    const float* col_row = col + (p - t.p0) * ld;
    const int64_t ih0 = oh * g.stride_h - g.pad_top;
    const int64_t iw0 = ow * g.stride_w - g.pad_left;
    if (whole_rows && ih0 >= 0 && ih0 + eff_h <= g.in_h && iw0 >= 0 && iw0 + g.kernel_w <= g.in_w) {
      float* d = diff_src + ih0 * dst_row_stride + iw0 * g.channels;
      for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
        AddRun(col_row + kh * row_len, d + kh * g.dilation_h * dst_row_stride, static_cast<size_t>(row_len));
      }
    } else {
      for (int64_t kh = kh_begin; kh < kh_end; ++kh) {
        const int64_t start = kh * row_len;
        const int64_t a = std::max(t.k0, start) - start, b = std::min(t.k1, start + row_len) - start;
        const int64_t ih = ih0 + kh * g.dilation_h;
        if (ih >= 0 && ih < g.in_h) {
          AddFilterRow(g, t, col_row + (start + a - t.k0), diff_src + ih * dst_row_stride, iw0, a, b);
        }
      }
    }
    if (++ow == g.out_w) {
      ow = 0;
      ++oh;
    }
  }
}

// dst[i * stride] += src[i], i < n, in increasing i.
HWY_INLINE void AddStrided(const float* HWY_RESTRICT src, int64_t stride, float* HWY_RESTRICT dst, int64_t n) {
  if (stride == 1) {
    AddRun(src, dst, static_cast<size_t>(n));
  } else if (stride == 2) {
    AddStride2(src, dst, static_cast<size_t>(n));
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i * stride] += src[i];
  }
}

HWY_NOINLINE void Col2imNchw(const ColGeometry& g, const ColTile& t, const float* HWY_RESTRICT col, int64_t ld,
                             float* HWY_RESTRICT diff_src) {
  const int64_t plane = g.in_h * g.in_w;
  const NchwWalk walk(g, t);
  walk.Rows([&](const KRow& k) {
    float* channel = diff_src + (t.channel0 + k.channel) * plane;
    const float* row = col + k.index * ld;
    walk.Segments(k, [&](const RowSegment& s) {
      if (s.ih < 0 || s.end == s.begin) return;
      AddStrided(row + s.at + (s.begin - s.ow), g.stride_w, channel + s.ih * g.in_w + s.begin * g.stride_w + k.iw_offset,
                 s.end - s.begin);
    });
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_COL2IM_INL_H_
