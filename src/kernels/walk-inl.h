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
      const int64_t ih = oh * g.stride_h - g.pad_top + tap.kh * g.dilation_h;
      const int64_t iw = ow * g.stride_w - g.pad_left + tap.kw * g.dilation_w;
      const bool inside = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
      visit((p - t.p0) * ld + (k - t.k0), inside ? (ih * g.in_w + iw) * g.channels + t.channel0 + tap.c : -1);
    }
    if (++ow == g.out_w) {
      ow = 0;
      ++oh;
    }
  }
}

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
