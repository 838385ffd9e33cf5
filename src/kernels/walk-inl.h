// The walks that im2col and col2im share, for every Highway target: compiled inside each target's namespace so
// that the kernels' lambdas inline into them (GCC does not inline a function with a target's attributes into
// one without them, and a walk in a plain header would cost a call per entry or row).

// Toggled include guard: this file is compiled once per target (see hwy/foreach_target.h).
#if defined(COLCONV_SRC_KERNELS_WALK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_WALK_INL_H_
#undef COLCONV_SRC_KERNELS_WALK_INL_H_
#else
#define COLCONV_SRC_KERNELS_WALK_INL_H_
#endif

#include <algorithm>
#include <cstdint>

#include "hwy/highway.h"
#include "src/kernels/col_tile.h"
#include "src/kernels/window.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

// Visits an NHWC tile's entries one at a time, pixels then K, as visit(entry offset in the tile buffer, offset of
// its input float in the image or -1 for padding): the per-element path of im2col and col2im (TinyNhwcRuns).
template <typename Visit>
void ForEachNhwcEntry(const ColGeometry& g, const ColTile& t, int64_t ld, Visit&& visit) {
  const TapCursor first(t.k0, t.channels, g.kernel_h, g.kernel_w, true);
  int64_t oh = t.p0 / g.out_w, ow = t.p0 - oh * g.out_w;
  for (int64_t p = t.p0; p < t.p1; ++p) {
    TapCursor tap = first;
    for (int64_t k = t.k0; k < t.k1; ++k, tap.Next()) {
      const int64_t ih = TapInput(oh, g.stride_h, g.pad_top, tap.kh, g.dilation_h);
      const int64_t iw = TapInput(ow, g.stride_w, g.pad_left, tap.kw, g.dilation_w);
      const bool inside = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
      visit((p - t.p0) * ld + (k - t.k0), inside ? (ih * g.in_w + iw) * g.channels + t.channel0 + tap.c : -1);
    }
    if (++ow == g.out_w) {
      ow = 0;
      ++oh;
    }
  }
}

// The walk of an NHWC tile's run path that im2col and col2im share: pixels, then K. A pixel whose whole window
// lies inside the image, when the tile holds every filter row and channel at dilation_w 1, is visited as
// whole_row(column offset, image offset, n) per filter row; any other as pixel(column offset, ih0, iw0), which
// walks its K range with Runs.
class NhwcWalk {
 public:
  NhwcWalk(const ColGeometry& g, const ColTile& t)
      : g_(g), t_(t), row_len_(g.kernel_w * t.channels), image_row_(g.in_w * g.channels),
        kh_begin_(t.k0 / row_len_), kh_end_((t.k1 + row_len_ - 1) / row_len_),
        contiguous_(g.dilation_w == 1 && t.channels == g.channels),
        whole_rows_(contiguous_ && t.k0 == 0 && t.k1 == g.kernel_h * row_len_) {}

  template <typename WholeRow, typename Pixel>
  void Pixels(int64_t ld, WholeRow&& whole_row, Pixel&& pixel) const {
    // Locals, not members: the callbacks' stores may alias *this as far as the compiler knows.
    const int64_t kernel_h = g_.kernel_h, dilation_h = g_.dilation_h, row_len = row_len_, image_row = image_row_;
    const int64_t eff_h = (kernel_h - 1) * dilation_h + 1;
    int64_t oh = t_.p0 / g_.out_w, ow = t_.p0 - oh * g_.out_w;
    for (int64_t p = t_.p0; p < t_.p1; ++p) {
      const int64_t at = (p - t_.p0) * ld;
      const int64_t ih0 = oh * g_.stride_h - g_.pad_top, iw0 = ow * g_.stride_w - g_.pad_left;
      if (whole_rows_ && ih0 >= 0 && ih0 + eff_h <= g_.in_h && iw0 >= 0 && iw0 + g_.kernel_w <= g_.in_w) {
        // kh * dilation_h first: inside the image, where dilation_h * image_row alone may overflow.
        const int64_t window = ih0 * image_row + iw0 * g_.channels;
        for (int64_t kh = 0; kh < kernel_h; ++kh) {
          whole_row(at + kh * row_len, window + kh * dilation_h * image_row, row_len);
        }
      } else {
        pixel(at, ih0, iw0);
      }
      if (++ow == g_.out_w) {
        ow = 0;
        ++oh;
      }
    }
  }

  // The K range of the pixel whose window starts at (ih0, iw0), left to right, as run(offset in the pixel's column
  // row, image offset or -1 for padding, n > 0). With every channel at dilation_w 1, the taps of a filter row that
  // land inside the image are adjacent in memory and come as one run.
  template <typename Run>
  void Runs(int64_t ih0, int64_t iw0, Run&& run) const {
    const int64_t cs = t_.channels;
    for (int64_t kh = kh_begin_; kh < kh_end_; ++kh) {
      const int64_t start = kh * row_len_;
      const int64_t a = std::max(t_.k0, start) - start, b = std::min(t_.k1, start + row_len_) - start;
      const int64_t at = start - t_.k0;  // entry r of this filter row sits at at + r
      const int64_t ih = ih0 + kh * g_.dilation_h;
      if (ih < 0 || ih >= g_.in_h) {
        run(at + a, -1, b - a);
        continue;
      }
      const int64_t row = ih * image_row_;
      if (contiguous_) {
        const int64_t lo = std::min(row_len_, std::max<int64_t>(0, -iw0) * cs);
        const int64_t hi = std::max(lo, std::min(g_.kernel_w, g_.in_w - iw0) * cs);
        const int64_t c0 = std::max(a, lo), c1 = std::min(b, hi), z = std::max(a, hi);
        if (c0 > a) run(at + a, -1, std::min(b, lo) - a);
        if (c1 > c0) run(at + c0, row + iw0 * cs + c0, c1 - c0);
        if (b > z) run(at + z, -1, b - z);
        continue;
      }
      int64_t kw = a / cs, c = a - kw * cs;
      for (int64_t r = a; r < b; c = 0, ++kw) {
        const int64_t n = std::min(cs - c, b - r);
        const int64_t iw = iw0 + kw * g_.dilation_w;
        run(at + r, iw >= 0 && iw < g_.in_w ? row + iw * g_.channels + t_.channel0 + c : -1, n);
        r += n;
      }
    }
  }

 private:
  const ColGeometry& g_;
  const ColTile& t_;
  int64_t row_len_, image_row_, kh_begin_, kh_end_;
  bool contiguous_, whole_rows_;
};

// The walk of an NCHW tile that im2col and col2im share: K rows in the tile's order, and in each the output rows
// its pixels [p0, p1) cover. No division per row: taps advance by a cursor, spans are computed per kw once.
class NchwWalk {
 public:
  NchwWalk(const ColGeometry& g, const ColTile& t)
      : g_(g), t_(t), spans_(g.in_w, g.out_w, g.stride_w, g.pad_left, g.dilation_w, g.kernel_w),
        oh0_(t.p0 / g.out_w), ow0_(t.p0 - oh0_ * g.out_w) {}
  int64_t ow0() const { return ow0_; }

  template <typename Visit>
  void Rows(Visit&& visit) const {
    TapCursor tap(t_.k0, t_.channels, g_.kernel_h, g_.kernel_w, t_.order == KOrder::kTapMajor);
    for (int64_t k = t_.k0; k < t_.k1; ++k, tap.Next()) {
      visit(KRow{k - t_.k0, tap.c, tap.kh * g_.dilation_h - g_.pad_top, tap.kw * g_.dilation_w - g_.pad_left,
                 spans_[tap.kw]});
    }
  }

  template <typename Visit>
  void Segments(const KRow& row, Visit&& visit) const {
    int64_t oh = oh0_, ow = ow0_;
    for (int64_t p = t_.p0; p < t_.p1; ow = 0, ++oh) {
      const int64_t ow_end = std::min(g_.out_w, ow + (t_.p1 - p));
      const int64_t ih = oh * g_.stride_h + row.ih_offset;
      const int64_t begin = std::min(std::max(row.inside.begin, ow), ow_end);
      const int64_t end = std::max(std::min(row.inside.end, ow_end), begin);
      visit(RowSegment{p - t_.p0, ow, ow_end, begin, end, ih >= 0 && ih < g_.in_h ? ih : -1});
      p += ow_end - ow;
    }
  }

 private:
  const ColGeometry& g_;
  const ColTile& t_;
  ColumnSpans spans_;
  int64_t oh0_, ow0_;
};

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_WALK_INL_H_
