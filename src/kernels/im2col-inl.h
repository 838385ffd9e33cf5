// im2col for every Highway target: writes one tile of an image's column matrix (see col_tile.h).
//
// NHWC (pixel rows, tap-major): for each pixel and filter row, the taps that fall inside the image are one
// contiguous run of input floats when the slice holds every channel and the dilation is 1; the rest is padding.
// Consecutive copies from adjacent memory and consecutive zero stretches are merged before they are written, so a
// row of a 3x3, 64-channel tile costs three 192-float copies, and a small-C row (conv1's 7x7 over 3 channels)
// seven 21-float copies instead of 49 tiny ones.
// NCHW (K rows, either order): each K row walks the output rows; per output row the positions whose tap lands
// inside the image form one span (computed once per K row), copied contiguously at stride 1, de-interleaved at
// stride 2, and gathered one by one at larger strides; the border positions are zero.

#if defined(COLCONV_SRC_KERNELS_IM2COL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_IM2COL_INL_H_
#undef COLCONV_SRC_KERNELS_IM2COL_INL_H_
#else
#define COLCONV_SRC_KERNELS_IM2COL_INL_H_
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

// Writes a column-matrix row left to right, merging adjacent pieces into long copies and zero-fills.
class RunWriter {
 public:
  explicit RunWriter(float* dst) : dst_(dst) {}
  void Copy(const float* src, int64_t n) {
    if (n <= 0) return;
    FlushZeros();
    if (src_ != nullptr && src_ + copy_ == src) {
      copy_ += n;
      return;
    }
    FlushCopy();
    src_ = src;
    copy_ = n;
  }
  void Zero(int64_t n) {
    if (n <= 0) return;
    FlushCopy();
    zeros_ += n;
  }
  void Finish() {
    FlushCopy();
    FlushZeros();
  }

 private:
  void FlushCopy() {
    if (copy_ > 0) {
      CopyRun(src_, dst_, static_cast<size_t>(copy_));
      dst_ += copy_;
      copy_ = 0;
    }
    src_ = nullptr;
  }
  void FlushZeros() {
    if (zeros_ > 0) {
      ZeroRun(dst_, static_cast<size_t>(zeros_));
      dst_ += zeros_;
      zeros_ = 0;
    }
  }
  float* dst_;
  const float* src_ = nullptr;
  int64_t copy_ = 0;
  int64_t zeros_ = 0;
};

HWY_NOINLINE void Im2colNhwc(const ColGeometry& g, const ColTile& t, const float* HWY_RESTRICT src,
                             float* HWY_RESTRICT col, int64_t ld) {
  if (t.k1 <= t.k0) return;
  if (TinyNhwcRuns(g, t)) {
    ForEachNhwcEntry(g, t, ld, [&](int64_t entry, int64_t from) { col[entry] = from < 0 ? 0.0f : src[from]; });
    return;
  }
  const NhwcWalk walk(g, t);
  walk.Pixels(
      ld, [&](int64_t to, int64_t from, int64_t n) { CopyRun(src + from, col + to, static_cast<size_t>(n)); },
      [&](int64_t at, int64_t ih0, int64_t iw0) {
        RunWriter out(col + at);
        walk.Runs(ih0, iw0, [&](int64_t, int64_t from, int64_t n) {
          if (from < 0) {
            out.Zero(n);
          } else {
            out.Copy(src + from, n);
          }
        });
        out.Finish();
      });
}

// dst[i] = src[i * stride], i < n.
HWY_INLINE void CopyStrided(const float* HWY_RESTRICT src, int64_t stride, float* HWY_RESTRICT dst, int64_t n) {
  if (stride == 1) {
    CopyRun(src, dst, static_cast<size_t>(n));
  } else if (stride == 2) {
    CopyStride2(src, dst, static_cast<size_t>(n));
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i * stride];
  }
}

// One K row when stride is 1 and out_w == in_w (the "same" convolutions): pixel p then reads input offset
// p + delta, so the rows whose tap lands inside the image are one contiguous copy; the columns it took from the
// neighbouring input rows (where the tap hangs over the left or right edge) are zeroed afterwards.
HWY_INLINE void Im2colNchwRowSame(const ColGeometry& g, const ColTile& t, const float* HWY_RESTRICT channel,
                                  int64_t ih_offset, int64_t iw_offset, const OutputSpan& inside, int64_t ow0,
                                  float* HWY_RESTRICT row) {
  const int64_t w = g.in_w, plane = g.in_h * w;
  const int64_t delta = ih_offset * w + iw_offset;
  const int64_t v0 = std::min(std::max(t.p0, -ih_offset * w), t.p1);  // first pixel with its input row inside
  const int64_t v1 = std::max(std::min(t.p1, (g.in_h - ih_offset) * w), v0);
  ZeroRun(row, static_cast<size_t>(v0 - t.p0));
  const int64_t c0 = std::max(v0, -delta), c1 = std::max(std::min(v1, plane - delta), c0);
  if (c1 > c0) CopyRun(channel + c0 + delta, row + (c0 - t.p0), static_cast<size_t>(c1 - c0));
  ZeroRun(row + (v1 - t.p0), static_cast<size_t>(t.p1 - v1));
  if (v1 <= v0) return;
  // Zero the edge columns of every row in [v0, v1) (they include any pixels the clamped copy skipped).
  int64_t ow = v0 == t.p0 ? ow0 : 0;
  for (int64_t p = v0; p < v1; p += w - ow, ow = 0) {
    float* r = row + (p - t.p0) - ow;  // column 0 of this output row
    const int64_t end = std::min(w, ow + (v1 - p));
    for (int64_t c = ow; c < std::min(inside.begin, end); ++c) r[c] = 0.0f;
    for (int64_t c = std::max(ow, inside.end); c < end; ++c) r[c] = 0.0f;
  }
}

HWY_NOINLINE void Im2colNchw(const ColGeometry& g, const ColTile& t, const float* HWY_RESTRICT src,
                             float* HWY_RESTRICT col, int64_t ld) {
  const int64_t plane = g.in_h * g.in_w;
  const bool same = g.stride_w == 1 && g.stride_h == 1 && g.out_w == g.in_w;
  const NchwWalk walk(g, t);
  walk.Rows([&](const KRow& k) {
    const float* channel = src + (t.channel0 + k.channel) * plane;
    float* row = col + k.index * ld;
    if (same) return Im2colNchwRowSame(g, t, channel, k.ih_offset, k.iw_offset, k.inside, walk.ow0(), row);
    walk.Segments(k, [&](const RowSegment& s) {
      float* out = row + s.at;
      if (s.ih < 0) return ZeroRun(out, static_cast<size_t>(s.ow_end - s.ow));
      ZeroRun(out, static_cast<size_t>(s.begin - s.ow));
      if (s.end > s.begin) {
        CopyStrided(channel + s.ih * g.in_w + s.begin * g.stride_w + k.iw_offset, g.stride_w, out + (s.begin - s.ow),
                    s.end - s.begin);
      }
      ZeroRun(out + (s.end - s.ow), static_cast<size_t>(s.ow_end - s.end));
    });
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_IM2COL_INL_H_
