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

HWY_NOINLINE void Col2imNhwc(const ColGeometry& g, const ColTile& t, const float* HWY_RESTRICT col, int64_t ld,
                             float* HWY_RESTRICT diff_src) {
  if (t.k1 <= t.k0) return;
  if (TinyNhwcRuns(g, t)) {  // the same order as the run path: pixels, then K
    ForEachNhwcEntry(g, t, ld, [&](int64_t entry, int64_t to) {
      if (to >= 0) diff_src[to] += col[entry];
    });
    return;
  }
  const NhwcWalk walk(g, t);
  walk.Pixels(
      ld, [&](int64_t from, int64_t to, int64_t n) { AddRun(col + from, diff_src + to, static_cast<size_t>(n)); },
      [&](int64_t at, int64_t ih0, int64_t iw0) {
        walk.Runs(ih0, iw0, [&](int64_t k, int64_t to, int64_t n) {
          if (to >= 0) AddRun(col + at + k, diff_src + to, static_cast<size_t>(n));
        });
      });
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
