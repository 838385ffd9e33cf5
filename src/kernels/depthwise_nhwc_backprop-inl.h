// Direct depthwise backprop-input and backprop-filter for NHWC data, every Highway target: vectors over channels,
// one element per lane (see depthwise.h for the contract and the order of every sum).
//
// Backprop-input gathers per input pixel: eight or four pixels at a time where they share their taps (with one
// output per channel, from a list of the taps' offsets), one at a time elsewhere; its channel remainder runs in
// one-lane vectors, so no load or store leaves the caller's buffers.

#if defined(COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_BACKPROP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_BACKPROP_INL_H_
#undef COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_BACKPROP_INL_H_
#else
#define COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_BACKPROP_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "hwy/highway.h"
#include "src/kernels/depthwise.h"
#include "src/kernels/depthwise_nhwc_channels-inl.h"
#include "src/kernels/unroll-inl.h"
#include "src/kernels/window.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Backprop-input's pixels per step: four accumulators per input channel keep the FMA units busy while each
// weight vector is loaded once per four pixels.
constexpr int64_t kDwPixels = 4;

// ---- Backprop-input -----------------------------------------------------------------------------------------

// The taps k that reach input position i from an output o = (i + pad - k * d) / s in [0, out): k runs first,
// first + step, ... below end, where step * d is the smallest multiple of s; the first reaches from output
// o_first, each next one from o_step outputs before.
struct TapSet {
  int64_t first, step, end;
  int64_t o_first, o_step;
  bool empty() const { return end <= first; }
};
HWY_INLINE TapSet TapsReaching(int64_t i, int64_t stride, int64_t pad, int64_t dilation, int64_t taps, int64_t out) {
  // o * s = i + pad - k * d, so k * d = i + pad - o * s; taps with (i + pad - k * d) % s == 0 and o in range.
  int64_t step = 1;
  while ((step * dilation) % stride != 0) ++step;
  int64_t first = 0;
  while (first < std::min(step, taps) && (i + pad - first * dilation) % stride != 0) ++first;
  if (first >= std::min(step, taps) || (i + pad - first * dilation) % stride != 0) return {0, 1, 0, 0, 0};
  // o = (i + pad - k d) / s decreases as k grows: keep o < out (k large enough) and o >= 0 (k small enough).
  while (first < taps && (i + pad - first * dilation) / stride >= out) first += step;
  int64_t end = first;
  while (end < taps && i + pad - end * dilation >= 0) end += step;
  return {first, step, std::max(first, end), (i + pad - first * dilation) / stride, step * dilation / stride};
}

// The last position of i's residue class modulo s (i, i + s, ...) below `size` that the same taps reach.
HWY_INLINE int64_t LastWithTaps(int64_t i, const TapSet& k, int64_t stride, int64_t pad, int64_t dilation,
                                int64_t taps, int64_t out, int64_t size) {
  if (k.empty()) return i;
  // The first tap stays within the output while i + pad - first d <= (out - 1) s; the tap after the set stays
  // out of reach while i + pad - end d < 0.
  int64_t last = std::min(size - 1, (out - 1) * stride + k.first * dilation - pad);
  if (k.end < taps) last = std::min(last, k.end * dilation - pad - 1);
  return last < i ? i : i + (last - i) / stride * stride;
}

// Input pixels iw0, iw0 + s, ... (T of them, which share their taps), channels [c, c + Lanes): a gather over the
// taps that reach them, kh then kw ascending and j ascending within a tap.
template <size_t T, size_t M, class D>
HWY_INLINE void BackpropInputPixelsNhwc(D d, const DwGeometry& g, const float* HWY_RESTRICT diff_dst,
                                        const float* HWY_RESTRICT w, int64_t ldw, float* HWY_RESTRICT diff_src,
                                        int64_t ih, int64_t iw0, TapSet kh, TapSet kw, int64_t c) {
  constexpr size_t kM = M == 0 ? 1 : M;
  const int64_t m = g.multiplier, taps = g.kernel_h * g.kernel_w, oc = g.channels * m;
  hn::Vec<D> acc[T];
  for (size_t t = 0; t < T; ++t) acc[t] = hn::Zero(d);
  for (int64_t i = kh.first, oh = kh.o_first; i < kh.end; i += kh.step, oh -= kh.o_step) {
    for (int64_t k = kw.first, ow = kw.o_first; k < kw.end; k += kw.step, ow -= kw.o_step) {
      const float* dy = diff_dst + (oh * g.out_w + ow) * oc + c * m;
      const int64_t tap = i * g.kernel_w + k;
      for (int64_t j0 = 0; j0 < m; j0 += static_cast<int64_t>(kM)) {
        hn::Vec<D> wv[kM];
        for (size_t j = 0; j < kM; ++j) wv[j] = hn::LoadU(d, w + ((j0 + static_cast<int64_t>(j)) * taps + tap) * ldw + c);
        for (size_t t = 0; t < T; ++t) {
          // Pixel t reads output pixel ow + t: the T pixels are s apart, their outputs adjacent.
          const float* at = dy + static_cast<int64_t>(t) * oc + j0;
          hn::Vec<D> y[kM];
          if constexpr (M == 0) {
            HWY_ALIGN float lanes[hn::MaxLanes(d)];
            for (size_t l = 0; l < hn::Lanes(d); ++l) lanes[l] = at[static_cast<int64_t>(l) * m];
            y[0] = hn::Load(d, lanes);
          } else {
            LoadChannelsInterleaved<kM>(d, at, y);
          }
          for (size_t j = 0; j < kM; ++j) acc[t] = hn::MulAdd(y[j], wv[j], acc[t]);
        }
      }
    }
  }
  for (size_t t = 0; t < T; ++t) {
    hn::StoreU(acc[t], d, diff_src + (ih * g.in_w + iw0 + static_cast<int64_t>(t) * g.stride_w) * g.channels + c);
  }
}

// One output per channel: the taps that reach a run of pixels as a list of offsets (into the weights, and into
// diff_dst from column o_first of output row 0, o_first the column the pixel reads through the run's first kw
// tap), kh then kw ascending, made once per run. Its
// gather holds fewer addresses than the loops over two tap sets, whose bookkeeping spilled to the stack inside
// the loop and around the stores (perf: a third of the samples on MobileNetV1's stride-2 layer).
constexpr int64_t kDwListTaps = 64;
struct DwTapList {
  int64_t count = 0;
  int64_t weights[kDwListTaps], diff_dst[kDwListTaps];
};
HWY_INLINE bool ListTaps(const DwGeometry& g, const TapSet& kh, const TapSet& kw, int64_t ldw, DwTapList* list) {
  list->count = 0;
  for (int64_t i = kh.first, oh = kh.o_first; i < kh.end; i += kh.step, oh -= kh.o_step) {
    for (int64_t k = kw.first, ow = 0; k < kw.end; k += kw.step, ow -= kw.o_step) {
      if (list->count == kDwListTaps) return false;
      list->weights[list->count] = (i * g.kernel_w + k) * ldw;
      list->diff_dst[list->count] = (oh * g.out_w + ow) * g.channels;
      ++list->count;
    }
  }
  return true;
}
// T input pixels from iw0, s apart, channels [c, c + Lanes): the sums of BackpropInputPixelsNhwc<T, 1>, in its
// order. `dy` is diff_dst at column kw.o_first of output row 0, channel c.
template <size_t T, class D>
HWY_INLINE void GatherListedNhwc(D d, const DwGeometry& g, const DwTapList& list, const float* HWY_RESTRICT dy,
                                 const float* HWY_RESTRICT w, float* HWY_RESTRICT out) {
  const int64_t pixel = g.channels, step = g.stride_w * g.channels;
  hn::Vec<D> acc[T];
  Unroll<T>([&](auto t) COLCONV_INLINE_LAMBDA { acc[t] = hn::Zero(d); });
  for (int64_t i = 0; i < list.count; ++i) {
    const auto wv = hn::LoadU(d, w + list.weights[i]);
    const float* at = dy + list.diff_dst[i];
    Unroll<T>([&](auto t) COLCONV_INLINE_LAMBDA { acc[t] = hn::MulAdd(hn::LoadU(d, at + t * pixel), wv, acc[t]); });
  }
  Unroll<T>([&](auto t) COLCONV_INLINE_LAMBDA { hn::StoreU(acc[t], d, out + t * step); });
}

template <size_t M>
HWY_INLINE void DwBackpropInputNhwcM(const DwGeometry& g, const DwTile& tile, const float* diff_dst, const float* w,
                                     int64_t ldw, float* diff_src) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d));
  const int64_t c_vec = tile.c0 + (tile.c1 - tile.c0) / n * n;
  const int64_t s = g.stride_w, T = kDwPixels;
  DwTapList list;
  for (int64_t ih = tile.row0; ih < tile.row1; ++ih) {
    const TapSet kh = TapsReaching(ih, g.stride_h, g.pad_top, g.dilation_h, g.kernel_h, g.out_h);
    // Columns of one residue class modulo s share their taps: T of them at once while the taps stay the same.
    for (int64_t r = 0; r < std::min(s, g.in_w); ++r) {
      for (int64_t iw = r; iw < g.in_w;) {
        // Along the class the taps stay, and the output each reaches from moves one per column.
        TapSet kw = TapsReaching(iw, s, g.pad_left, g.dilation_w, g.kernel_w, g.out_w);
        const int64_t last = LastWithTaps(iw, kw, s, g.pad_left, g.dilation_w, g.kernel_w, g.out_w, g.in_w);
        if (M == 1 && iw + (kDwPixels - 1) * s <= last && ListTaps(g, kh, kw, ldw, &list)) {
          const auto gather = [&](auto pixels) COLCONV_INLINE_LAMBDA {
            constexpr int64_t P = decltype(pixels)::value;
            for (; iw + (P - 1) * s <= last; iw += P * s, kw.o_first += P) {
              const float* dy = diff_dst + kw.o_first * g.channels;
              float* out = diff_src + (ih * g.in_w + iw) * g.channels;
              for (int64_t c = tile.c0; c < c_vec; c += n) GatherListedNhwc<P>(d, g, list, dy + c, w + c, out + c);
              for (int64_t c = c_vec; c < tile.c1; ++c) GatherListedNhwc<P>(d1, g, list, dy + c, w + c, out + c);
            }
          };
          gather(std::integral_constant<int64_t, 2 * kDwPixels>());
          gather(std::integral_constant<int64_t, kDwPixels>());
          // The last 1-3 pixels in a group that ends at the run's end and gives the pixels it shares with the one
          // before the same values again (single pixels chain one accumulator's multiply-adds).
          if (iw <= last) {
            const int64_t back = (last - iw) / s + 1 - kDwPixels;
            iw += back * s, kw.o_first += back;
            gather(std::integral_constant<int64_t, kDwPixels>());
          }
        }
        for (; iw + (T - 1) * s <= last; iw += T * s, kw.o_first += T) {
          for (int64_t c = tile.c0; c < c_vec; c += n) BackpropInputPixelsNhwc<kDwPixels, M>(d, g, diff_dst, w, ldw, diff_src, ih, iw, kh, kw, c);
          for (int64_t c = c_vec; c < tile.c1; ++c) BackpropInputPixelsNhwc<kDwPixels, M>(d1, g, diff_dst, w, ldw, diff_src, ih, iw, kh, kw, c);
        }
        for (; iw <= last; iw += s, ++kw.o_first) {
          for (int64_t c = tile.c0; c < c_vec; c += n) BackpropInputPixelsNhwc<1, M>(d, g, diff_dst, w, ldw, diff_src, ih, iw, kh, kw, c);
          for (int64_t c = c_vec; c < tile.c1; ++c) BackpropInputPixelsNhwc<1, M>(d1, g, diff_dst, w, ldw, diff_src, ih, iw, kh, kw, c);
        }
      }
    }
  }
}

HWY_NOINLINE void DwBackpropInputNhwc(const DwGeometry& geometry, const DwTile& tile,
                                      const float* HWY_RESTRICT diff_dst, const float* HWY_RESTRICT weights,
                                      int64_t ldw, float* HWY_RESTRICT diff_src) {
  const DwGeometry g = geometry;  // copies no store can reach (DwForwardNhwc)
  const DwTile t = tile;
  switch (g.multiplier) {
    case 1:
      return DwBackpropInputNhwcM<1>(g, t, diff_dst, weights, ldw, diff_src);
    case 2:
      return DwBackpropInputNhwcM<2>(g, t, diff_dst, weights, ldw, diff_src);
    case 3:
      return DwBackpropInputNhwcM<3>(g, t, diff_dst, weights, ldw, diff_src);
    case 4:
      return DwBackpropInputNhwcM<4>(g, t, diff_dst, weights, ldw, diff_src);
    default:
      return DwBackpropInputNhwcM<0>(g, t, diff_dst, weights, ldw, diff_src);
  }
}

// ---- Backprop-filter ----------------------------------------------------------------------------------------
//
// Each pass keeps a group of taps' sums for one channel vector in registers, side by side, over every output pixel
// of the tile (row, then column order, continued from diff_weights): one pass serves the group, and its
// multiply-adds are independent (one filter row at a time, three chains for a 3x3 filter, waited on each other's
// latency at a fifth of the speed).

// The gradient vector of output j of channels [c, c + Lanes), as the lanes of one vector.
template <class D>
HWY_INLINE hn::Vec<D> GradientVector(D d, const DwGeometry& g, const float* HWY_RESTRICT dy) {
  if (g.multiplier == 1) return hn::LoadU(d, dy);
  HWY_ALIGN float lanes[hn::MaxLanes(d)];
  for (size_t l = 0; l < hn::Lanes(d); ++l) lanes[l] = dy[static_cast<int64_t>(l) * g.multiplier];
  return hn::Load(d, lanes);
}

// Taps (kh0 + r, kw0 + k), r < R, k < K, of channels [c, c + Lanes), output j. Addressed by R row pointers and K
// column steps, which the general registers hold (a list of R x K offsets spilled them).
template <int R, int K, class D>
HWY_INLINE void BackpropFilterRowsNhwc(D d, const DwGeometry& g, const DwTile& tile, const float* HWY_RESTRICT src,
                                       const float* HWY_RESTRICT diff_dst, int64_t ldw, float* HWY_RESTRICT dw,
                                       int64_t kh0, int64_t kw0, int64_t j, int64_t c) {
  const int64_t m = g.multiplier, taps = g.kernel_h * g.kernel_w, oc = g.channels * m, pixel = g.channels;
  const int64_t column = g.dilation_w * pixel, row = g.dilation_h * g.in_w * pixel;
  hn::Vec<D> acc[R][K];
  auto weight = [&](int64_t r, int64_t k) { return dw + (j * taps + (kh0 + r) * g.kernel_w + kw0 + k) * ldw + c; };
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < K; ++k) acc[r][k] = hn::LoadU(d, weight(r, k));
  // The output columns whose taps are all inside the image.
  const OutputSpan a = InsideSpan(g.in_w, g.stride_w, g.pad_left, kw0 * g.dilation_w, 0, g.out_w);
  const OutputSpan b = InsideSpan(g.in_w, g.stride_w, g.pad_left, (kw0 + K - 1) * g.dilation_w, 0, g.out_w);
  const int64_t lo = std::max(a.begin, b.begin), hi = std::max(lo, std::min(a.end, b.end));
  for (int64_t oh = tile.row0; oh < tile.row1; ++oh) {
    const int64_t ih0 = oh * g.stride_h - g.pad_top + kh0 * g.dilation_h;
    const bool rows_inside = ih0 >= 0 && ih0 + (R - 1) * g.dilation_h < g.in_h;
    const float* dy = diff_dst + oh * g.out_w * oc + c * m + j;
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      const hn::Vec<D> y = GradientVector(d, g, dy + ow * oc);
      const int64_t iw0 = ow * g.stride_w - g.pad_left + kw0 * g.dilation_w;
      if (rows_inside && ow >= lo && ow < hi) {
        const float* x = src + (ih0 * g.in_w + iw0) * pixel + c;
        Unroll<R>([&](auto r) COLCONV_INLINE_LAMBDA {
          const float* xr = x + r * row;
          Unroll<K>([&](auto k) COLCONV_INLINE_LAMBDA {
            acc[r][k] = hn::MulAdd(hn::LoadU(d, xr + k * column), y, acc[r][k]);
          });
        });
        continue;
      }
      for (int r = 0; r < R; ++r) {
        const int64_t ih = ih0 + r * g.dilation_h;
        if (ih < 0 || ih >= g.in_h) continue;
        for (int k = 0; k < K; ++k) {
          const int64_t iw = iw0 + k * g.dilation_w;
          if (iw >= 0 && iw < g.in_w) acc[r][k] = hn::MulAdd(hn::LoadU(d, src + (ih * g.in_w + iw) * pixel + c), y, acc[r][k]);
        }
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < K; ++k) hn::StoreU(acc[r][k], d, weight(r, k));
}

// Filter rows [kh0, kernel_h) of taps kw0 .. kw0 + K - 1: R rows a pass (R x K sums in registers), the rest one by
// one.
template <int R, int K, class D>
HWY_INLINE void BackpropFilterColumnsNhwc(D d, const DwGeometry& g, const DwTile& t, const float* HWY_RESTRICT src,
                                          const float* HWY_RESTRICT diff_dst, int64_t ldw, float* HWY_RESTRICT dw,
                                          int64_t kw0, int64_t j, int64_t c) {
  int64_t kh = 0;
  for (; kh + R <= g.kernel_h; kh += R) BackpropFilterRowsNhwc<R, K>(d, g, t, src, diff_dst, ldw, dw, kh, kw0, j, c);
  for (; kh < g.kernel_h; ++kh) BackpropFilterRowsNhwc<1, K>(d, g, t, src, diff_dst, ldw, dw, kh, kw0, j, c);
}

// Every tap of channels [c, c + Lanes), output j: 3, 5 and 7 wide rows in passes of whole rows, any other width
// in runs of 8, 4, 2 and 1 taps of a row.
template <class D>
HWY_INLINE void BackpropFilterChannelsNhwc(D d, const DwGeometry& g, const DwTile& t, const float* HWY_RESTRICT src,
                                           const float* HWY_RESTRICT diff_dst, int64_t ldw, float* HWY_RESTRICT dw,
                                           int64_t j, int64_t c) {
  switch (g.kernel_w) {
    case 3:
      return BackpropFilterColumnsNhwc<3, 3>(d, g, t, src, diff_dst, ldw, dw, 0, j, c);
    case 5:
      return BackpropFilterColumnsNhwc<2, 5>(d, g, t, src, diff_dst, ldw, dw, 0, j, c);
    case 7:
      return BackpropFilterColumnsNhwc<2, 7>(d, g, t, src, diff_dst, ldw, dw, 0, j, c);
  }
  int64_t kw = 0;
  for (; kw + 8 <= g.kernel_w; kw += 8) BackpropFilterColumnsNhwc<1, 8>(d, g, t, src, diff_dst, ldw, dw, kw, j, c);
  if (kw + 4 <= g.kernel_w) {
    BackpropFilterColumnsNhwc<1, 4>(d, g, t, src, diff_dst, ldw, dw, kw, j, c);
    kw += 4;
  }
  if (kw + 2 <= g.kernel_w) {
    BackpropFilterColumnsNhwc<1, 2>(d, g, t, src, diff_dst, ldw, dw, kw, j, c);
    kw += 2;
  }
  if (kw < g.kernel_w) BackpropFilterColumnsNhwc<1, 1>(d, g, t, src, diff_dst, ldw, dw, kw, j, c);
}

HWY_NOINLINE void DwBackpropFilterNhwc(const DwGeometry& g, const DwTile& t, const float* HWY_RESTRICT src,
                                       const float* HWY_RESTRICT diff_dst, int64_t ldw, float* HWY_RESTRICT diff_weights) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d));
  const int64_t c_vec = t.c0 + (t.c1 - t.c0) / n * n;
  for (int64_t j = 0; j < g.multiplier; ++j) {
    for (int64_t c = t.c0; c < c_vec; c += n) BackpropFilterChannelsNhwc(d, g, t, src, diff_dst, ldw, diff_weights, j, c);
    for (int64_t c = c_vec; c < t.c1; ++c) BackpropFilterChannelsNhwc(d1, g, t, src, diff_dst, ldw, diff_weights, j, c);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_BACKPROP_INL_H_
