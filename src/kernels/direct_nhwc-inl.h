// Direct NHWC kernels for thin convolutions, every Highway target (see direct.h for the contract and the order of
// every sum). Both copy the group's input rows into a zero-padded band first (spread: one vector per input value,
// permuted so each lane holds its own group's channel), so no loop checks bounds, then:
// forward keeps a tile of T pixels x V output vectors in registers (T x V = 8 accumulators, enough to hide the
// multiply-add latency), broadcasting each input value of a tap across the tile's output vectors; backprop-filter
// keeps up to 16 weights' worth of accumulators per pass and walks the pixels once per pass. Forward's reduce mode
// reads src where it is instead, its taps clipped to the image, in tiles of T pixels x up to 4 outputs, each a
// vector over input channels whose lanes are added at the end.

#if defined(COLCONV_SRC_KERNELS_DIRECT_NHWC_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_DIRECT_NHWC_INL_H_
#undef COLCONV_SRC_KERNELS_DIRECT_NHWC_INL_H_
#else
#define COLCONV_SRC_KERNELS_DIRECT_NHWC_INL_H_
#endif

#include <algorithm>
#include <cstdint>

#include "hwy/highway.h"
#include "src/kernels/direct.h"
#include "src/kernels/runs-inl.h"
#include "src/kernels/unroll-inl.h"
#include "src/kernels/window.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One in-image pixel of a spread band: for each input channel ic of a group, the vector whose lane l carries
// channel ic of the tile's group l / opg. `groups_in` are the tile's groups' input channels (cpg per group, at most
// a vector, read without passing the pixel's end); `base` holds (l / opg) * cpg.
template <class D>
HWY_INLINE void SpreadPixel(D d, const DirectGeometry& g, const float* HWY_RESTRICT groups_in,
                            hn::Vec<hn::RebindToSigned<D>> base, bool whole_vector, float* HWY_RESTRICT out) {
  const hn::RebindToSigned<D> di;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d));
  hn::Vec<D> v;
  if (whole_vector) {
    v = hn::LoadU(d, groups_in);
  } else {  // the last groups of a pixel with fewer channels after them than a vector
    HWY_ALIGN float tail[HWY_MAX_BYTES / sizeof(float)] = {};
    std::copy(groups_in, groups_in + n / g.opg * g.cpg, tail);
    v = hn::Load(d, tail);
  }
  for (int64_t ic = 0; ic < g.cpg; ++ic, out += n) {
    const auto lanes = hn::IndicesFromVec(d, hn::Add(base, hn::Set(di, static_cast<int32_t>(ic))));
    hn::StoreU(hn::TableLookupLanes(v, lanes), d, out);
  }
}

// The tiles' band: their input channels, zero-padded, one float or one spread vector each (direct.h).
template <class D>
HWY_INLINE void BuildDirectBand(D d, const DirectGeometry& g, const DirectTile& t, const DirectBand& b,
                                const float* HWY_RESTRICT src, float* HWY_RESTRICT band) {
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), cpg = g.cpg, c0 = t.group * cpg, pixel = b.pixel;
  const int64_t tile_in = DirectGroupsPerTile(g, n) * cpg, channels = t.tiles * tile_in;
  const hn::RebindToSigned<D> di;
  HWY_ALIGN int32_t base_lanes[HWY_MAX_BYTES / sizeof(float)];
  for (int64_t l = 0; l < n; ++l) base_lanes[l] = static_cast<int32_t>(l / g.opg * cpg);
  const auto base = hn::Load(di, base_lanes);
  for (int64_t r = 0; r < b.rows; ++r) {
    const int64_t ih = t.row0 * g.stride_h - g.pad_top + r;
    float* out = band + r * b.width * pixel;
    if (ih < 0 || ih >= g.in_h) {
      ZeroRun(out, static_cast<size_t>(b.width * pixel));
      continue;
    }
    const int64_t q0 = std::clamp<int64_t>(g.pad_left, 0, b.width);
    const int64_t q1 = std::clamp<int64_t>(g.pad_left + g.in_w, q0, b.width);
    ZeroRun(out, static_cast<size_t>(q0 * pixel));
    const float* in = src + (ih * g.in_w + q0 - g.pad_left) * g.in_channels + c0;
    if (b.depth > 1) {
      for (int64_t q = q0; q < q1; ++q, in += g.in_channels) {
        for (int64_t k = 0; k < t.tiles; ++k) {
          const bool whole_vector = c0 + k * tile_in + n <= g.in_channels;
          SpreadPixel(d, g, in + k * tile_in, base, whole_vector, out + q * pixel + k * cpg * b.depth);
        }
      }
    } else if (channels == g.in_channels) {  // every channel: whole pixels, one copy
      CopyRun(in, out + q0 * pixel, static_cast<size_t>((q1 - q0) * pixel));
    } else {
      for (int64_t q = q0; q < q1; ++q, in += g.in_channels) CopyRun(in, out + q * pixel, static_cast<size_t>(pixel));
    }
    ZeroRun(out + q1 * pixel, static_cast<size_t>((b.width - q1) * pixel));
  }
}

// Floats per band element (direct.h: b.depth) as a compile-time constant, so that a backprop-filter pass's Q
// channel offsets fold into its loads' displacements (as b.depth, they took 16 registers and spilled: perf on a
// 16-channel layer). The forward kernel keeps b.depth: its loops compiled with the constant ran the stem and the
// 1-channel layer 0.90-0.96x as fast.
template <bool kSpread, class D>
HWY_INLINE int64_t BandDepth(D d) {
  return kSpread ? static_cast<int64_t>(hn::Lanes(d)) : 1;
}

// A band element as a vector: broadcast, or the spread vector stored there.
template <bool kSpread, class D>
HWY_INLINE hn::Vec<D> BandVector(D d, const float* HWY_RESTRICT at) {
  return kSpread ? hn::LoadU(d, at) : hn::Set(d, *at);
}

// Runs each of a call's tiles over its band (b, built already) in its mode: spread(d, b, band, k, o0) over spread
// vectors, or broadcast(tag, b, band, k, o0) over whole vectors or halves (direct.h), band pointing at tile k's
// channels and o0 its first output channel.
template <class Spread, class Broadcast>
HWY_INLINE void ForEachTileOfBuiltBand(const DirectGeometry& g, const DirectTile& t, const DirectBand& b,
                                       const float* HWY_RESTRICT built, const Spread& spread,
                                       const Broadcast& broadcast) {
  const hn::ScalableTag<float> d;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), groups_per_tile = DirectGroupsPerTile(g, n);
  for (int64_t k = 0; k < t.tiles; ++k) {
    const float* band = built + k * g.cpg * b.depth;
    const int64_t o0 = (t.group + k * groups_per_tile) * g.opg;
    if (b.depth > 1) {
      spread(d, b, band, k, o0);
      continue;
    }
    if constexpr (HWY_MAX_BYTES >= 64) {  // only targets of 16 lanes or more halve (direct.h)
      if (DirectHalves(g, n)) {
        broadcast(hn::Half<decltype(d)>(), b, band, k, o0);
        continue;
      }
    }
    broadcast(d, b, band, k, o0);
  }
}

// Builds a call's band into `scratch`, then ForEachTileOfBuiltBand.
template <class Spread, class Broadcast>
HWY_INLINE void ForEachTileOfBand(const DirectGeometry& g, const DirectTile& t, const float* HWY_RESTRICT src,
                                  float* HWY_RESTRICT scratch, const Spread& spread, const Broadcast& broadcast) {
  const hn::ScalableTag<float> d;
  const DirectBand b = DirectBandOf(g, t.row1 - t.row0, t.tiles, static_cast<int64_t>(hn::Lanes(d)));
  BuildDirectBand(d, g, t, b, src, scratch);
  ForEachTileOfBuiltBand(g, t, b, scratch, spread, broadcast);
}

// ---- Forward ------------------------------------------------------------------------------------------------

// Tap columns under which a row's first or last tile has its first or last pixel in the padding: the first pixel
// under columns [0, first_until), the last under [last_from, kernel_w) (DirectEdgeRows).
struct EdgeColumns {
  int64_t first_until = 0, last_from = 0;
};

// T output pixels from band column `at` (the input under their first tap), V output vectors from weight column o:
// filter rows [rows.lo, rows.hi) (the ones inside the image) and columns ascending, input channels ascending
// within a tap. The first S pixels are consecutive in one output row; pixels S and on (a tile that wraps into the
// next output row, DirectWrappedRun) continue from `next` floats after `at`.
template <int T, int S, int V, bool kSpread, class D>
HWY_INLINE void DirectPixels(D d, const DirectGeometry& g, const DirectBand& b, TapRange rows,
                             const float* HWY_RESTRICT at, int64_t next, const float* HWY_RESTRICT w, int64_t ldw,
                             hn::Vec<D> (&acc)[T][V]) {
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), element = b.depth, step = g.stride_w * b.pixel;
  Unroll<T>([&](auto t) COLCONV_INLINE_LAMBDA {
    Unroll<V>([&](auto v) COLCONV_INLINE_LAMBDA { acc[t][v] = hn::Zero(d); });
  });
  const bool row_run = DirectRowRun(g, b);
  const int64_t columns = row_run ? 1 : g.kernel_w, run = row_run ? g.kernel_w * g.cpg : g.cpg;
  for (int64_t kh = rows.lo; kh < rows.hi; ++kh) {
    for (int64_t kw = 0; kw < columns; ++kw) {
      const float* x = at + (kh * g.dilation_h * b.width + kw * g.dilation_w) * b.pixel;
      const float* wt = w + (kh * g.kernel_w + kw) * g.cpg * ldw;
      for (int64_t i = 0; i < run; ++i, x += element, wt += ldw) {
        hn::Vec<D> wv[V];
        Unroll<V>([&](auto v) COLCONV_INLINE_LAMBDA { wv[v] = hn::LoadU(d, wt + v * n); });
        const float* xp = x;  // one pointer walks the pixels: an index register each would exhaust the GPRs
        Unroll<T>([&](auto t) COLCONV_INLINE_LAMBDA {
          if constexpr (decltype(t)::value == S) xp = x + next;
          const auto xv = BandVector<kSpread>(d, xp);
          xp += step;
          Unroll<V>([&](auto v) COLCONV_INLINE_LAMBDA { acc[t][v] = hn::MulAdd(xv, wv[v], acc[t][v]); });
        });
      }
    }
  }
}

// DirectPixels of a tile that does not wrap, from `at` floats after `band`, its first pixel skipping the tap columns
// [0, edges.first_until) and its last [edges.last_from, kernel_w) (one of the two per column: where both would,
// every product). A pointer is made only of a pixel it reads: the first pixel's column may lie before src when it
// reads src in place (direct.h: DirectInPlaceBand).
template <int T, int V, bool kSpread, class D>
HWY_INLINE void DirectEdgePixels(D d, const DirectGeometry& g, const DirectBand& b, TapRange rows,
                                 const float* HWY_RESTRICT band, int64_t at, const float* HWY_RESTRICT w, int64_t ldw,
                                 EdgeColumns edges, hn::Vec<D> (&acc)[T][V]) {
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), element = b.depth, step = g.stride_w * b.pixel;
  Unroll<T>([&](auto t) COLCONV_INLINE_LAMBDA {
    Unroll<V>([&](auto v) COLCONV_INLINE_LAMBDA { acc[t][v] = hn::Zero(d); });
  });
  // Tap columns [kw0, kw1) of filter row kh for pixels [first, end): each range a loop without a branch.
  const auto taps = [&](int64_t kh, int64_t kw0, int64_t kw1, auto first, auto end) COLCONV_INLINE_LAMBDA {
    constexpr int kFirst = decltype(first)::value, kEnd = decltype(end)::value;
    for (int64_t kw = kw0; kw < kw1; ++kw) {
      const float* x = band + (at + (kh * g.dilation_h * b.width + kw * g.dilation_w) * b.pixel + kFirst * step);
      const float* wt = w + (kh * g.kernel_w + kw) * g.cpg * ldw;
      for (int64_t i = 0; i < g.cpg; ++i, x += element, wt += ldw) {
        hn::Vec<D> wv[V];
        Unroll<V>([&](auto v) COLCONV_INLINE_LAMBDA { wv[v] = hn::LoadU(d, wt + v * n); });
        const float* xp = x;
        Unroll<T>([&](auto t) COLCONV_INLINE_LAMBDA {
          if constexpr (decltype(t)::value >= kFirst && decltype(t)::value < kEnd) {
            if constexpr (decltype(t)::value > kFirst) xp += step;  // not past the last pixel read
            const auto xv = BandVector<kSpread>(d, xp);
            Unroll<V>([&](auto v) COLCONV_INLINE_LAMBDA { acc[t][v] = hn::MulAdd(xv, wv[v], acc[t][v]); });
          }
        });
      }
    }
  };
  using One = std::integral_constant<int, 1>;
  using Zero = std::integral_constant<int, 0>;
  using All = std::integral_constant<int, T>;
  using AllButLast = std::integral_constant<int, T - 1>;
  const int64_t skip_first = std::min(edges.first_until, edges.last_from);
  const int64_t skip_last = std::max(edges.first_until, edges.last_from);
  for (int64_t kh = rows.lo; kh < rows.hi; ++kh) {
    taps(kh, 0, skip_first, One(), All());
    taps(kh, skip_first, skip_last, Zero(), All());
    taps(kh, skip_last, g.kernel_w, Zero(), AllButLast());
  }
}

// T output pixels from column ow0 of row oh (band row `row`, `offset` floats on): the first S there, stored up to
// the row's end, the rest from column 0 of row oh + 1 (kEdges: DirectEdgePixels).
template <int T, int S, int V, bool kSpread, bool kEdges = false, class D>
HWY_INLINE void DirectPixelTile(D d, const DirectGeometry& g, const DirectBand& b, TapRange rows, const float* row,
                                const float* w, int64_t ldw, float* HWY_RESTRICT dst, int64_t o, int64_t oh,
                                int64_t ow0, EdgeColumns edges = {}, int64_t offset = 0) {
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), column = ow0 * g.stride_w * b.pixel;
  hn::Vec<D> acc[T][V];
  if constexpr (kEdges) {
    static_assert(S == T, "edge tiles do not wrap");
    DirectEdgePixels<T, V, kSpread>(d, g, b, rows, row, offset + column, w, ldw, edges, acc);
  } else {
    DirectPixels<T, S, V, kSpread>(d, g, b, rows, row + (offset + column), g.stride_h * b.width * b.pixel - column, w,
                                   ldw, acc);
  }
  const int64_t pixels = std::min(static_cast<int64_t>(S), g.out_w - ow0);
  float* out = dst + oh * g.out_row + ow0 * g.out_pixel + o;
  Unroll<T>([&](auto p) COLCONV_INLINE_LAMBDA {
    constexpr int kPixel = decltype(p)::value;
    if constexpr (kPixel < S) {
      if (kPixel < pixels) {
        Unroll<V>([&](auto v) COLCONV_INLINE_LAMBDA { hn::StoreU(acc[p][v], d, out + p * g.out_pixel + v * n); });
      }
    } else {
      float* wrapped = dst + (oh + 1) * g.out_row + (kPixel - S) * g.out_pixel + o;
      Unroll<V>([&](auto v) COLCONV_INLINE_LAMBDA { hn::StoreU(acc[p][v], d, wrapped + v * n); });
    }
  });
}

// DirectPixelTile of a tile whose first `split` pixels (1 to S) end a row, the split as a constant.
template <int T, int S, int V, bool kSpread, class D>
HWY_INLINE void DirectWrappedTile(D d, const DirectGeometry& g, const DirectBand& b, TapRange rows, const float* row,
                                  const float* w, int64_t ldw, float* HWY_RESTRICT dst, int64_t o, int64_t oh,
                                  int64_t ow0, int64_t split) {
  if constexpr (S > 1) {
    if (split < S) return DirectWrappedTile<T, S - 1, V, kSpread>(d, g, b, rows, row, w, ldw, dst, o, oh, ow0, split);
  }
  DirectPixelTile<T, S, V, kSpread>(d, g, b, rows, row, w, ldw, dst, o, oh, ow0);
}

// The edges of the tile of `tile` pixels from column ow0 (DirectEdgePixels): its first pixel's tap columns in the
// left padding, and where its last's reach the right padding, or all of them where that pixel is past the row's
// end (computed, never stored).
inline EdgeColumns EdgeColumnsOf(const DirectGeometry& g, int64_t ow0, int64_t tile) {
  const int64_t last = ow0 + tile - 1;
  return {TapsInside(ow0, g.stride_w, g.pad_left, g.dilation_w, g.kernel_w, g.in_w).lo,
          last < g.out_w ? TapsInside(last, g.stride_w, g.pad_left, g.dilation_w, g.kernel_w, g.in_w).hi : 0};
}

// DirectForwardTiles's run of output rows [oh, end) of band row `row` (oh's), which share their filter rows inside
// the image, in tiles that wrap from one row into the next (the rows' own tiles where they do not).
template <int T, int V, bool kSpread, class D>
HWY_INLINE void DirectWrappedRun(D d, const DirectGeometry& g, const DirectBand& b, TapRange rows, const float* row,
                                 const float* w, int64_t ldw, float* HWY_RESTRICT dst, int64_t o, int64_t oh,
                                 int64_t end) {
  const int64_t row_step = g.stride_h * b.width * b.pixel, pixels = (end - oh) * g.out_w;
  if (pixels < T) {  // one row narrower than a tile
    DirectPixelTile<T, T, V, kSpread>(d, g, b, rows, row, w, ldw, dst, o, oh, 0);
    return;
  }
  const auto tile = [&](int64_t r, int64_t ow0) COLCONV_INLINE_LAMBDA {
    if (ow0 + T <= g.out_w) {
      DirectPixelTile<T, T, V, kSpread>(d, g, b, rows, row + r * row_step, w, ldw, dst, o, oh + r, ow0);
    } else {
      DirectWrappedTile<T, T - 1, V, kSpread>(d, g, b, rows, row + r * row_step, w, ldw, dst, o, oh + r, ow0,
                                              g.out_w - ow0);
    }
  };
  int64_t r = 0, ow0 = 0;
  for (int64_t p = T; p <= pixels; p += T) {
    tile(r, ow0);
    for (ow0 += T; ow0 >= g.out_w; ow0 -= g.out_w) ++r;
  }
  if (pixels % T != 0) tile((pixels - T) / g.out_w, (pixels - T) % g.out_w);
}

// DirectForwardTiles's rows where the first and last whole tiles of each skip their edge pixels' padding columns
// (DirectSkipsEdges), the same in every row.
template <int T, int V, bool kSpread, class D>
HWY_INLINE void DirectEdgeRows(D d, const DirectGeometry& g, const DirectTile& t, const DirectBand& b,
                               const float* band, const float* w, int64_t ldw, float* HWY_RESTRICT dst, int64_t o) {
  int64_t last_ow0 = 0;
  while (last_ow0 + T + T / 2 < g.out_w) last_ow0 += T;
  const EdgeColumns first = EdgeColumnsOf(g, 0, T), last = EdgeColumnsOf(g, last_ow0, T);
  const auto skips = [&](const EdgeColumns& e) { return e.first_until > 0 || e.last_from < g.kernel_w; };
  const bool first_skips = skips(first), last_skips = skips(last);
  const int64_t row_step = g.stride_h * b.width * b.pixel, origin = DirectBandOrigin(g, t, b);
  for (int64_t oh = t.row0; oh < t.row1; ++oh) {
    // From the first filter row inside the image, and as floats from `band` (src's first pixels when it is read in
    // place, and the origin before them): every pointer the tiles make is then one they read.
    const TapRange inside = TapsInside(oh, g.stride_h, g.pad_top, g.dilation_h, g.kernel_h, g.in_h);
    const TapRange rows{0, inside.hi - inside.lo};
    const int64_t row = origin + (oh - t.row0) * row_step + inside.lo * g.dilation_h * b.width * b.pixel;
    const float* w_row = w + inside.lo * g.kernel_w * g.cpg * ldw;
    int64_t ow0 = 0;
    for (; ow0 + T / 2 < g.out_w; ow0 += T) {
      if (ow0 == 0 && first_skips) {
        DirectPixelTile<T, T, V, kSpread, true>(d, g, b, rows, band, w_row, ldw, dst, o, oh, ow0, first, row);
      } else if (ow0 == last_ow0 && last_skips) {
        DirectPixelTile<T, T, V, kSpread, true>(d, g, b, rows, band, w_row, ldw, dst, o, oh, ow0, last, row);
      } else {
        DirectPixelTile<T, T, V, kSpread>(d, g, b, rows, band, w_row, ldw, dst, o, oh, ow0, {}, row);
      }
    }
    if (ow0 < g.out_w) {
      DirectPixelTile<T / 2, T / 2, V, kSpread>(d, g, b, rows, band, w_row, ldw, dst, o, oh, ow0, {}, row);
    }
  }
}

// Tiles of T pixels over the tiles' rows: row by row, each row's short end in a half tile (56 columns compute 56, not
// 64: 10% faster on ResNeXt's 56-wide layers). A half tile of 4 accumulators waits on the multiply-add latency
// about as long as a whole one, so tiles of 4 pixels (two output vectors on 16-register targets, four on 32) run
// the rows that share their filter rows inside the image as one run of pixels instead where a row leaves a
// remainder (and a tile spans at most two rows): a tile wraps from one row into the next, and the run's last one
// ends with it, recomputing a few pixels of the one before to the same values. ResNeXt's 7- and 14-wide layers
// then compute 13 and 50 tiles where they computed 14 and 56 (a test program on their backprop-input passes: 1.07x
// and 1.09x); tiles of 8 ran a 28-wide layer no faster wrapped, and their 8 variants of the wrap doubled the
// kernels' compile time.
template <int T, int V, bool kSpread, bool kEdges, class D>
HWY_INLINE void DirectForwardTiles(D d, const DirectGeometry& g, const DirectTile& t, const DirectBand& b,
                                   const float* band, const float* w, int64_t ldw, float* HWY_RESTRICT dst,
                                   int64_t o) {
  const int64_t row_step = g.stride_h * b.width * b.pixel;
  if constexpr (T <= 4) {
    if (g.out_w % T != 0 && T <= g.out_w + 1) {
      for (int64_t oh = t.row0; oh < t.row1;) {
        // Filter rows in the padding add only zero products: skipped (a 7x7 image's 3x3 filter does 19 of 21).
        const TapRange rows = TapsInside(oh, g.stride_h, g.pad_top, g.dilation_h, g.kernel_h, g.in_h);
        int64_t end = oh + 1;
        for (; end < t.row1; ++end) {
          const TapRange next = TapsInside(end, g.stride_h, g.pad_top, g.dilation_h, g.kernel_h, g.in_h);
          if (next.lo != rows.lo || next.hi != rows.hi) break;
        }
        DirectWrappedRun<T, V, kSpread>(d, g, b, rows, band + (oh - t.row0) * row_step, w, ldw, dst, o, oh, end);
        oh = end;
      }
      return;
    }
  }
  if constexpr (kEdges) return DirectEdgeRows<T, V, kSpread>(d, g, t, b, band, w, ldw, dst, o);
  for (int64_t oh = t.row0; oh < t.row1; ++oh) {
    const float* row = band + (oh - t.row0) * row_step;
    const TapRange rows = TapsInside(oh, g.stride_h, g.pad_top, g.dilation_h, g.kernel_h, g.in_h);
    int64_t ow0 = 0;
    for (; ow0 + T / 2 < g.out_w; ow0 += T) {
      DirectPixelTile<T, T, V, kSpread>(d, g, b, rows, row, w, ldw, dst, o, oh, ow0);
    }
    if (ow0 < g.out_w) DirectPixelTile<T / 2, T / 2, V, kSpread>(d, g, b, rows, row, w, ldw, dst, o, oh, ow0);
  }
}

template <int V, bool kSpread, bool kEdges, class D>
HWY_INLINE void DirectForwardRows(D d, const DirectGeometry& g, const DirectTile& t, const DirectBand& b,
                                  const float* band, const float* w, int64_t ldw, float* HWY_RESTRICT dst, int64_t o) {
  constexpr int T = (HWY_MAX_BYTES >= 64 ? 16 : 8) / V;  // accumulators (direct.h)
  if constexpr (T % 8 == 0) {
    // Rows of a multiple of 7 pixels fill tiles of 7/8 the size exactly: DirectRowTile (direct.h), its comparison
    // written out (as a call, GCC allocated the registers of every entry's loops differently).
    constexpr int kSevenths = T / 8 * 7;
    if (DirectTiledPixels(g.out_w, kSevenths) < DirectTiledPixels(g.out_w, T)) {
      DirectForwardTiles<kSevenths, V, kSpread, kEdges>(d, g, t, b, band, w, ldw, dst, o);
      return;
    }
  }
  DirectForwardTiles<T, V, kSpread, kEdges>(d, g, t, b, band, w, ldw, dst, o);
}

// One tile's groups in broadcast mode, over vectors of d from output channel o0: four, two or one at a time.
template <bool kEdges, class D>
HWY_INLINE void DirectForwardVectors(D d, const DirectGeometry& g, const DirectTile& t, const DirectBand& b,
                                     const float* band, const float* HWY_RESTRICT weights, int64_t ldw,
                                     float* HWY_RESTRICT dst, int64_t o0) {
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), vectors = g.opg / n;
  for (int64_t v = 0; v < vectors;) {
    const int64_t o = o0 + v * n, left = vectors - v;
    const float* w = weights + v * n;
    if (left >= 4 && HWY_MAX_BYTES >= 64) {  // four vectors of two pixels: 32 registers' targets only
      DirectForwardRows<4, false, kEdges>(d, g, t, b, band, w, ldw, dst, o);
      v += 4;
    } else if (left >= 2) {
      DirectForwardRows<2, false, kEdges>(d, g, t, b, band, w, ldw, dst, o);
      v += 2;
    } else {
      DirectForwardRows<1, false, kEdges>(d, g, t, b, band, w, ldw, dst, o);
      v += 1;
    }
  }
}

// The lanes of v added by halves (direct.h): lane i + lane i + half, down to one lane.
template <class D>
HWY_INLINE float SumByHalves(D d, hn::Vec<D> v) {
#if HWY_HAVE_SCALABLE || HWY_TARGET == HWY_SCALAR  // a length known only at run time, or one lane: in memory
  HWY_ALIGN float lanes[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(v, d, lanes);
  for (size_t half = hn::Lanes(d) / 2; half > 0; half /= 2) {
    for (size_t i = 0; i < half; ++i) lanes[i] += lanes[i + half];
  }
  return lanes[0];
#else
  if constexpr (hn::MaxLanes(d) == 1) {
    return hn::GetLane(v);
  } else {
    const hn::Half<D> dh;
    return SumByHalves(dh, hn::Add(hn::LowerHalf(dh, v), hn::UpperHalf(dh, v)));
  }
#endif
}

// Reduce mode (direct.h): T output pixels from input column iw0 of input row ih0 (both under tap (0, 0), perhaps
// outside the image) x the J outputs of the group whose input channels start at `src`, over the filter rows and
// columns given (those inside the image), stored to out at out_pixel strides. Lane l of an accumulator sums over
// the rows, then the columns ascending and, within a tap, the input channels l, l + lanes, ...; output j's weights
// are W[(j * taps + tap) * cpg + ic].
template <int T, int J, class D>
HWY_INLINE void DirectReducePixels(D d, const DirectGeometry& g, TapRange rows, TapRange columns,
                                   const float* HWY_RESTRICT src, int64_t ih0, int64_t iw0,
                                   const float* HWY_RESTRICT w, float* HWY_RESTRICT out) {
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), step = g.stride_w * g.in_channels;
  const int64_t output_step = g.kernel_h * g.kernel_w * g.cpg;
  hn::Vec<D> acc[T][J];
  Unroll<T>([&](auto p) COLCONV_INLINE_LAMBDA {
    Unroll<J>([&](auto j) COLCONV_INLINE_LAMBDA { acc[p][j] = hn::Zero(d); });
  });
  // A filter row's taps x input channels are one run in src and the weights when the group has all of a pixel's
  // channels and the filter is not dilated.
  const bool row_run = g.dilation_w == 1 && g.in_channels == g.cpg;
  const int64_t taps = columns.hi - columns.lo, steps = row_run ? 1 : taps, run = (row_run ? taps : 1) * g.cpg;
  for (int64_t kh = rows.lo; kh < rows.hi; ++kh) {
    for (int64_t c = 0; c < steps; ++c) {
      const int64_t kw = columns.lo + c;
      const float* x = src + ((ih0 + kh * g.dilation_h) * g.in_w + iw0 + kw * g.dilation_w) * g.in_channels;
      const float* wt = w + (kh * g.kernel_w + kw) * g.cpg;
      for (int64_t i = 0; i < run; i += n) {
        hn::Vec<D> wv[J];
        Unroll<J>([&](auto j) COLCONV_INLINE_LAMBDA { wv[j] = hn::LoadU(d, wt + j * output_step + i); });
        const float* xp = x + i;
        Unroll<T>([&](auto p) COLCONV_INLINE_LAMBDA {
          const auto xv = hn::LoadU(d, xp);
          xp += step;
          Unroll<J>([&](auto j) COLCONV_INLINE_LAMBDA { acc[p][j] = hn::MulAdd(xv, wv[j], acc[p][j]); });
        });
      }
    }
  }
  Unroll<T>([&](auto p) COLCONV_INLINE_LAMBDA {
    Unroll<J>([&](auto j) COLCONV_INLINE_LAMBDA { out[p * g.out_pixel + j] = SumByHalves(d, acc[p][j]); });
  });
}

// Reduce mode over the tile's rows and groups of J outputs, reading src where it is: the output columns whose every
// tap lies inside the image in tiles of T pixels (then one of half that), the others one by one over their columns
// inside.
template <int J>
HWY_INLINE void DirectReduceRows(const DirectGeometry& g, const DirectTile& t, const float* HWY_RESTRICT src,
                                 const float* HWY_RESTRICT weights, int64_t weights_step, float* HWY_RESTRICT dst) {
  const hn::ScalableTag<float> d;
  constexpr int T = std::max((HWY_MAX_BYTES >= 64 ? 16 : 8) / J, 1);  // accumulators, as broadcast mode's
  const int64_t last_tap = (g.kernel_w - 1) * g.dilation_w;
  const int64_t inside_begin = std::min(g.out_w, InsideSpan(g.in_w, g.stride_w, g.pad_left, 0, 0, g.out_w).begin);
  const int64_t inside_end =
      std::max(inside_begin, InsideSpan(g.in_w, g.stride_w, g.pad_left, last_tap, 0, g.out_w).end);
  const TapRange every_column{0, g.kernel_w};
  for (int64_t k = 0; k < t.tiles; ++k) {
    const int64_t group = t.group + k;  // one per tile
    const float* in = src + group * g.cpg;
    const float* w = weights + k * weights_step;
    for (int64_t oh = t.row0; oh < t.row1; ++oh) {
      const TapRange rows = TapsInside(oh, g.stride_h, g.pad_top, g.dilation_h, g.kernel_h, g.in_h);
      const int64_t ih0 = oh * g.stride_h - g.pad_top;
      float* out = dst + oh * g.out_row + group * J;
      auto pixels = [&](auto size, int64_t ow, TapRange columns) COLCONV_INLINE_LAMBDA {
        DirectReducePixels<decltype(size)::value, J>(d, g, rows, columns, in, ih0, ow * g.stride_w - g.pad_left, w,
                                                     out + ow * g.out_pixel);
      };
      auto edge = [&](int64_t ow) COLCONV_INLINE_LAMBDA {
        pixels(std::integral_constant<int, 1>(), ow,
               TapsInside(ow, g.stride_w, g.pad_left, g.dilation_w, g.kernel_w, g.in_w));
      };
      int64_t ow = 0;
      for (; ow < inside_begin; ++ow) edge(ow);
      for (; ow + T <= inside_end; ow += T) pixels(std::integral_constant<int, T>(), ow, every_column);
      if constexpr (T >= 2) {
        if (ow + T / 2 <= inside_end) {
          pixels(std::integral_constant<int, T / 2>(), ow, every_column);
          ow += T / 2;
        }
      }
      for (; ow < g.out_w; ++ow) edge(ow);
    }
  }
}

// Not inlined into DirectForwardNhwc: there it slowed the other modes' loops (ResNeXt's 7x7 layer 0.82x in the
// median of 30 alternating runs).
HWY_NOINLINE void DirectReduceForward(const DirectGeometry& g, const DirectTile& t, const float* HWY_RESTRICT src,
                                      const float* HWY_RESTRICT weights, int64_t weights_step,
                                      float* HWY_RESTRICT dst) {
  switch (g.opg) {  // up to kDirectReduceOutputs (direct.h)
    case 1:
      return DirectReduceRows<1>(g, t, src, weights, weights_step, dst);
    case 2:
      return DirectReduceRows<2>(g, t, src, weights, weights_step, dst);
    case 3:
      return DirectReduceRows<3>(g, t, src, weights, weights_step, dst);
    default:
      return DirectReduceRows<4>(g, t, src, weights, weights_step, dst);
  }
}

// DirectForwardOnBandNhwc's body, inlined into both forward kernels: a call from one into the other ran U-Net's
// 1-channel layer 0.70-0.79x as fast (best of 10 ABBA rounds of bench/thin; its loops of 3 multiply-adds a tap
// row leave the tiles' bookkeeping exposed). kEdges: DirectForwardSkippingEdgesNhwc's, whose tiles at a row's
// edges skip their padding columns; the other entries do not even dispatch to it, for their code changed with
// it: U-Net's 1-channel forward then ran 0.94x as fast (test program, 8 processes, median), ResNeXt's stride-2
// backprop-input 0.93x while its tap loops' variants were compiled into the same body.
template <bool kEdges>
HWY_INLINE void DirectForwardOnBuiltBand(const DirectGeometry& geometry, const DirectTile& tile,
                                         const DirectBand& band_geometry, const float* HWY_RESTRICT band,
                                         const float* HWY_RESTRICT weights, int64_t ldw, int64_t weights_step,
                                         float* HWY_RESTRICT dst) {
  // Copies the compiler knows no store reaches: Highway's stores may alias anything, and the loops reloaded the
  // geometry's strides after each one (perf: a sixth of a 1-channel layer's samples).
  const DirectGeometry g = geometry;
  const DirectTile t = tile;
  const DirectBand b = band_geometry;
  // The modes' lambdas inline, or they reach the copies through their closure again (half vectors: a separate
  // function, ResNeXt's stride-2 backprop-input 1.14x faster inlined). Spread mode's groups have fewer than
  // kDirectEdgeChannels input channels: no edges.
  ForEachTileOfBuiltBand(
      g, t, b, band,
      [&](auto d, const DirectBand& b, const float* band, int64_t k, int64_t o0) COLCONV_INLINE_LAMBDA {
        DirectForwardRows<1, true, false>(d, g, t, b, band, weights + k * weights_step, ldw, dst, o0);
      },
      [&](auto d, const DirectBand& b, const float* band, int64_t k, int64_t o0) COLCONV_INLINE_LAMBDA {
        DirectForwardVectors<kEdges>(d, g, t, b, band, weights + k * weights_step, ldw, dst, o0);
      });
}

HWY_NOINLINE void DirectForwardOnBandNhwc(const DirectGeometry& g, const DirectTile& t, const DirectBand& b,
                                          const float* HWY_RESTRICT band, const float* HWY_RESTRICT weights,
                                          int64_t ldw, int64_t weights_step, float* HWY_RESTRICT dst) {
  DirectForwardOnBuiltBand<false>(g, t, b, band, weights, ldw, weights_step, dst);
}

HWY_NOINLINE void DirectForwardSkippingEdgesNhwc(const DirectGeometry& g, const DirectTile& t, const DirectBand& b,
                                                 const float* HWY_RESTRICT band, const float* HWY_RESTRICT weights,
                                                 int64_t ldw, int64_t weights_step, float* HWY_RESTRICT dst) {
  DirectForwardOnBuiltBand<true>(g, t, b, band, weights, ldw, weights_step, dst);
}

void DirectBandNhwc(const DirectGeometry& g, const DirectTile& t, const float* HWY_RESTRICT src,
                    float* HWY_RESTRICT band) {
  const hn::ScalableTag<float> d;
  BuildDirectBand(d, g, t, DirectBandOf(g, t.row1 - t.row0, t.tiles, static_cast<int64_t>(hn::Lanes(d))), src,
                  band);
}

HWY_NOINLINE void DirectForwardNhwc(const DirectGeometry& g, const DirectTile& t, const float* HWY_RESTRICT src,
                                    const float* HWY_RESTRICT weights, int64_t ldw, int64_t weights_step,
                                    float* HWY_RESTRICT dst, float* HWY_RESTRICT scratch) {
  const hn::ScalableTag<float> d;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d));
  if (DirectReduces(g, n)) return DirectReduceForward(g, t, src, weights, weights_step, dst);
  const DirectBand b = DirectBandOf(g, t.row1 - t.row0, t.tiles, n);
  BuildDirectBand(d, g, t, b, src, scratch);
  DirectForwardOnBuiltBand<false>(g, t, b, scratch, weights, ldw, weights_step, dst);
}

// ---- Backprop-filter ----------------------------------------------------------------------------------------

// A run of a tile's output pixels in row, then column order: rows [row0, row1), columns [col0, col1) of each.
struct PixelRun {
  int64_t row0, row1, col0, col1;
  bool inside = false;  // every tap of every pixel of the run reads inside the image
};

// Backprop-filter sums a tile run by run (direct.h: DirectFilterRunPixels), every pass over one run before the
// next run (each sum continues from the value the last run stored, so every element still adds its pixels in row,
// then column order): a run's diff_dst and band then stay in cache across its passes, which over a whole tile (up
// to 8 rows; U-Net's 1-channel layer's are 512 KB of diff_dst) read them from L2 or beyond, pass after pass.
// Measured on AVX2 (Zen 3), 6 alternated rounds against whole tiles: U-Net's layer 1.29 ms against 2.02, ResNeXt's
// 56x56 layer 0.82 against 0.91, the stem 0.30 against 0.31, the 16-channel layer 0.86 against 0.82 (best of 6); a
// floor of 64 pixels ran the stem and the 16-channel layer 3-6% slower, runs of 32768 floats U-Net's 1.4x slower.
// Calls body(run, sums) for each run in order, sums telling whether the run continues from the stored sums: every
// run but the first, and the first when the call `accumulate`s.
template <class Body>
HWY_INLINE void ForEachPixelRun(const DirectGeometry& g, const DirectTile& t, const DirectBand& b, int64_t lanes,
                                bool accumulate, const Body& body) {
  const int64_t pixels = DirectFilterRunPixels(g, b, t.tiles, lanes);
  const auto run = [&](PixelRun r) {
    // The first tap of the run's first pixel and the last tap of its last, along each axis (window.h: TapInput).
    r.inside = TapInput(r.row0, g.stride_h, g.pad_top, 0, g.dilation_h) >= 0 &&
               TapInput(r.row1 - 1, g.stride_h, g.pad_top, g.kernel_h - 1, g.dilation_h) < g.in_h &&
               TapInput(r.col0, g.stride_w, g.pad_left, 0, g.dilation_w) >= 0 &&
               TapInput(r.col1 - 1, g.stride_w, g.pad_left, g.kernel_w - 1, g.dilation_w) < g.in_w;
    body(r, accumulate || r.row0 > t.row0 || r.col0 > 0);
  };
  if (pixels < g.out_w) {  // pieces of rows, of equal widths
    const int64_t pieces = (g.out_w + pixels - 1) / pixels, width = (g.out_w + pieces - 1) / pieces;
    for (int64_t oh = t.row0; oh < t.row1; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ow += width) run(PixelRun{oh, oh + 1, ow, std::min(g.out_w, ow + width)});
    return;
  }
  const int64_t rows = pixels / g.out_w;
  for (int64_t oh = t.row0; oh < t.row1; oh += rows) run(PixelRun{oh, std::min(t.row1, oh + rows), 0, g.out_w});
}

// The diff_dst a run's passes read: output channel o of the tile (counted from its first) at the run's pixel
// (row0 + i, col0 + j) is at[i * row + j * pixel + o].
struct RunDiffDst {
  const float* at;
  int64_t row, pixel;
};

// Run `run` of the tile whose `outputs` output channels start at o0: diff_dst where it is, or copied to `copy`
// pixel after pixel (direct.h: DirectFilterCopiesRuns). In place, a pass's pixels sat out_pixel floats apart, on
// ResNeXt's 1024-channel layer 4 KB: all in one set of the 8-way L1 cache, so every pass read its run from L2
// (perf: a third of the samples on that load); copied, that layer ran 2.0x as fast, its 512-channel one 1.2x.
HWY_INLINE RunDiffDst DiffDstOfRun(const DirectGeometry& g, const PixelRun& run, const float* HWY_RESTRICT diff_dst,
                                   int64_t o0, int64_t outputs, float* HWY_RESTRICT copy) {
  const float* first = diff_dst + run.row0 * g.out_row + run.col0 * g.out_pixel + o0;
  if (copy == nullptr) return {first, g.out_row, g.out_pixel};
  const int64_t width = run.col1 - run.col0;
  float* to = copy;
  for (int64_t oh = run.row0; oh < run.row1; ++oh) {
    const float* from = first + (oh - run.row0) * g.out_row;
    for (int64_t ow = 0; ow < width; ++ow, from += g.out_pixel, to += outputs) {
      CopyRun(from, to, static_cast<size_t>(outputs));
    }
  }
  return {copy, width * outputs, outputs};
}

// One pass: taps tap0 .. tap0 + R - 1 (flat, kh * kernel_w + kw) x input channels ic0 .. ic0 + Q - 1 of the
// weights (dw: the first vector's column), V output vectors from output channel o, over the run's output pixels
// in row, then column order, continued from diff_weights when `accumulate`, else from zero; o counts from the
// tile's first output channel. R, Q and V are compile-time so that the R x Q x V sums stay in registers (a pass over
// a runtime count of pairs kept them in memory, at a third of the speed); the band is addressed by R tap offsets
// and Q constant steps.
template <int R, int Q, int V, bool kSpread, class D>
HWY_INLINE void DirectFilterPass(D d, const DirectGeometry& g, const DirectTile& t, const PixelRun& run,
                                 const DirectBand& b, const float* band, const RunDiffDst& diff_dst, int64_t ldw,
                                 float* HWY_RESTRICT dw, bool accumulate, int64_t tap0, int64_t ic0, int64_t o) {
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), pixel = b.pixel, depth = BandDepth<kSpread>(d);
  hn::Vec<D> acc[R][Q][V];
  int64_t offset[R];  // where tap r reads the band, from the pixel's first tap
  auto weights = [&](int64_t r, int64_t q) { return dw + ((tap0 + r) * g.cpg + ic0 + q) * ldw; };
  for (int r = 0; r < R; ++r) {
    const int64_t tap = tap0 + r;
    offset[r] =
        ((tap / g.kernel_w) * g.dilation_h * b.width + (tap % g.kernel_w) * g.dilation_w) * pixel + ic0 * depth;
    for (int q = 0; q < Q; ++q)
      for (int v = 0; v < V; ++v) acc[r][q][v] = accumulate ? hn::LoadU(d, weights(r, q) + v * n) : hn::Zero(d);
  }
  // A pass of one tap runs over the run's rows and columns where the tap lies inside the image: a 7x7 image's 3x3
  // filter puts 18% of its products in the padding (ResNeXt's 7x7 layer 1.1x faster without them).
  OutputSpan rows{run.row0, run.row1}, columns{run.col0, run.col1};
  if (R == 1 && !run.inside) {  // (bounds per pass cost ResNet-50's 1x1 layers 2-3% where nothing is clipped)
    rows = InsideSpan(g.in_h, g.stride_h, g.pad_top, tap0 / g.kernel_w * g.dilation_h, run.row0, run.row1);
    columns = InsideSpan(g.in_w, g.stride_w, g.pad_left, tap0 % g.kernel_w * g.dilation_w, run.col0, run.col1);
  }
  for (int64_t oh = rows.begin; oh < rows.end; ++oh) {
    const float* row = band + (oh - t.row0) * g.stride_h * b.width * pixel;
    const float* dy = diff_dst.at + (oh - run.row0) * diff_dst.row + (columns.begin - run.col0) * diff_dst.pixel + o;
    for (int64_t ow = columns.begin; ow < columns.end; ++ow, dy += diff_dst.pixel) {
      hn::Vec<D> y[V];
      Unroll<V>([&](auto v) COLCONV_INLINE_LAMBDA { y[v] = hn::LoadU(d, dy + v * n); });
      const float* x = row + ow * g.stride_w * pixel;
      Unroll<R>([&](auto r) COLCONV_INLINE_LAMBDA {
        const float* xr = x + offset[r];
        Unroll<Q>([&](auto q) COLCONV_INLINE_LAMBDA {
          const auto xv = BandVector<kSpread>(d, xr + q * depth);
          Unroll<V>([&](auto v) COLCONV_INLINE_LAMBDA { acc[r][q][v] = hn::MulAdd(xv, y[v], acc[r][q][v]); });
        });
      });
    }
  }
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < Q; ++q)
      for (int v = 0; v < V; ++v) hn::StoreU(acc[r][q][v], d, weights(r, q) + v * n);
}

// Sums a pass keeps in registers: 16 of 32 vector registers, 8 of 16.
constexpr int kDirectFilterSums = HWY_MAX_BYTES >= 64 ? 16 : 8;

// Input channels ic0 .. ic0 + Q - 1 of every tap: R taps a pass, the rest one by one.
template <int Q, int V, bool kSpread, class D>
HWY_INLINE void DirectFilterTaps(D d, const DirectGeometry& g, const DirectTile& t, const PixelRun& run,
                                 const DirectBand& b, const float* band, const RunDiffDst& diff_dst, int64_t ldw,
                                 float* dw, bool accumulate, int64_t ic0, int64_t o) {
  constexpr int R = kDirectFilterSums / (Q * V) > 0 ? kDirectFilterSums / (Q * V) : 1;
  const int64_t taps = g.kernel_h * g.kernel_w;
  int64_t tap = 0;
  for (; tap + R <= taps; tap += R) {
    DirectFilterPass<R, Q, V, kSpread>(d, g, t, run, b, band, diff_dst, ldw, dw, accumulate, tap, ic0, o);
  }
  for (; tap < taps; ++tap) {
    DirectFilterPass<1, Q, V, kSpread>(d, g, t, run, b, band, diff_dst, ldw, dw, accumulate, tap, ic0, o);
  }
}

// Every weight of V output vectors from o: input channels in runs that fill the registers' sums (fewer at the
// end: 8, 4, 2, 1).
template <int V, bool kSpread, class D>
HWY_INLINE void DirectFilterPasses(D d, const DirectGeometry& g, const DirectTile& t, const PixelRun& run,
                                   const DirectBand& b, const float* band, const RunDiffDst& diff_dst, int64_t ldw,
                                   float* dw, bool accumulate, int64_t o) {
  constexpr int kRun = kDirectFilterSums / V;
  int64_t ic = 0;
  for (; ic + kRun <= g.cpg; ic += kRun) {
    DirectFilterTaps<kRun, V, kSpread>(d, g, t, run, b, band, diff_dst, ldw, dw, accumulate, ic, o);
  }
  // (Fewer than kRun channels remain: a run of kRun or more never does.)
  if constexpr (kRun > 8) {
    if (ic + 8 <= g.cpg) {
      DirectFilterTaps<8, V, kSpread>(d, g, t, run, b, band, diff_dst, ldw, dw, accumulate, ic, o);
      ic += 8;
    }
  }
  if constexpr (kRun > 4) {
    if (ic + 4 <= g.cpg) {
      DirectFilterTaps<4, V, kSpread>(d, g, t, run, b, band, diff_dst, ldw, dw, accumulate, ic, o);
      ic += 4;
    }
  }
  if constexpr (kRun > 2) {
    if (ic + 2 <= g.cpg) {
      DirectFilterTaps<2, V, kSpread>(d, g, t, run, b, band, diff_dst, ldw, dw, accumulate, ic, o);
      ic += 2;
    }
  }
  if (ic < g.cpg) DirectFilterTaps<1, V, kSpread>(d, g, t, run, b, band, diff_dst, ldw, dw, accumulate, ic, o);
}

// Broadcast mode over the tile's vectors of d: two or one at a time; with one input channel per group
// (a 1-channel image), as many as the sums hold, one tap a pass. A pass then reads a run of each pixel's
// diff_dst, not a line of it: U-Net's 64 outputs from 1 channel (AVX2: 8 vectors, 9 passes of one tap) ran
// 1.7-2.0x as fast as in pairs of vectors over 4 taps (a test program on that layer's shapes, runs of 64-256
// pixels), whose passes each first met a pixel's next line in L2 or beyond.
template <class D>
HWY_INLINE void DirectFilterVectors(D d, const DirectGeometry& g, const DirectTile& t, const PixelRun& run,
                                    const DirectBand& b, const float* band, const RunDiffDst& diff_dst,
                                    int64_t ldw, float* HWY_RESTRICT diff_weights, bool accumulate) {
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), vectors = g.opg / n;
  for (int64_t v = 0; v < vectors;) {
    const int64_t o = v * n;
    float* dw = diff_weights + v * n;
    if (g.cpg == 1 && vectors - v >= kDirectFilterSums) {
      DirectFilterPasses<kDirectFilterSums, false>(d, g, t, run, b, band, diff_dst, ldw, dw, accumulate, o);
      v += kDirectFilterSums;
    } else if (vectors - v >= 2) {
      DirectFilterPasses<2, false>(d, g, t, run, b, band, diff_dst, ldw, dw, accumulate, o);
      v += 2;
    } else {
      DirectFilterPasses<1, false>(d, g, t, run, b, band, diff_dst, ldw, dw, accumulate, o);
      v += 1;
    }
  }
}

HWY_NOINLINE void DirectBackpropFilterNhwc(const DirectGeometry& geometry, const DirectTile& tile,
                                           const float* HWY_RESTRICT src, const float* HWY_RESTRICT diff_dst,
                                           int64_t ldw, int64_t weights_step, float* HWY_RESTRICT diff_weights,
                                           bool accumulate, float* HWY_RESTRICT scratch) {
  const DirectGeometry g = geometry;  // copies no store can reach (DirectForwardNhwc)
  const DirectTile t = tile;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t outputs = DirectTileOutputs(g, lanes);
  float* copy = DirectFilterCopiesRuns(g, lanes)
                    ? scratch + DirectFilterRunCopyOffset(DirectBandOf(g, t.row1 - t.row0, t.tiles, lanes))
                    : nullptr;
  ForEachTileOfBand(
      g, t, src, scratch,
      [&](auto d, const DirectBand& b, const float* band, int64_t k, int64_t o0) {
        float* dw = diff_weights + k * weights_step;
        ForEachPixelRun(g, t, b, lanes, accumulate, [&](const PixelRun& run, bool sums) {
          const RunDiffDst dy = DiffDstOfRun(g, run, diff_dst, o0, outputs, copy);
          DirectFilterPasses<1, true>(d, g, t, run, b, band, dy, ldw, dw, sums, 0);
        });
      },
      [&](auto d, const DirectBand& b, const float* band, int64_t k, int64_t o0) {
        float* dw = diff_weights + k * weights_step;
        ForEachPixelRun(g, t, b, lanes, accumulate, [&](const PixelRun& run, bool sums) {
          const RunDiffDst dy = DiffDstOfRun(g, run, diff_dst, o0, outputs, copy);
          DirectFilterVectors(d, g, t, run, b, band, dy, ldw, dw, sums);
        });
      });
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_DIRECT_NHWC_INL_H_
