// Direct depthwise forward for NHWC data, every Highway target: vectors over channels, one output element per lane
// (see depthwise.h for the contract and the order of every sum).
//
// Forward runs windows that load each input column once for eight outputs: fixed ones for the common filters (3, 5,
// 7 wide, stride 1 or 2, and atrous 3x3) and one in chunks of taps for wider filters. A tile of whole channel
// vectors reads src directly, skipping the taps in the padding; otherwise (and for the filters no window covers)
// it first copies its input into a zero-padded band (depthwise.h), so every output pixel has all its taps inside
// and channels fill whole vectors.

#if defined(COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_FORWARD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_FORWARD_INL_H_
#undef COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_FORWARD_INL_H_
#else
#define COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_FORWARD_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "hwy/highway.h"
#include "src/kernels/depthwise.h"
#include "src/kernels/depthwise_nhwc_channels-inl.h"
#include "src/kernels/runs-inl.h"
#include "src/kernels/unroll-inl.h"
#include "src/kernels/window.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;


// Where one output row's pixels read the band: `row` is its first input row, `pixel` and `input_row` the floats
// between input columns and between input rows.
struct BandRow {
  const float* row;
  int64_t pixel, input_row;
};

// A window's input rows (`row` is the one under its first filter row, rows `input_row` floats apart) and their
// columns, stepped through in ascending order (x = 0, 1, ...) by one pointer, since an index register per column
// would exhaust the general registers. Walk: every column is inside (a band, or an image's interior). Clipped:
// columns [lo, hi) are inside the image; the others are in the padding, where a zero product would change no sum,
// so their loads and multiply-adds are skipped (the addresses are stepped as integers, never formed as pointers).
struct WalkColumns {
  const float* row;
  int64_t input_row, pixel;
  struct Cursor {
    static constexpr bool kClips = false;
    const float* at;
    int64_t pixel;
    template <int X>
    HWY_INLINE const float* Next() {
      const float* column = at;
      at += pixel;
      return column;
    }
  };
  HWY_INLINE Cursor Row() const { return {row, pixel}; }
  HWY_INLINE void Down(int64_t rows) { row += rows * input_row; }
  HWY_INLINE WalkColumns Right(int64_t columns) const { return {row + columns * pixel, input_row, pixel}; }
};
struct ClippedColumns {
  uintptr_t row;  // the address of column 0 (which may lie outside the image)
  int64_t input_row, pixel, lo, hi;
  struct Cursor {
    static constexpr bool kClips = true;
    uintptr_t at;
    int64_t pixel, lo, hi;
    template <int X>
    HWY_INLINE const float* Next() {
      const uintptr_t column = at;
      at += static_cast<uintptr_t>(pixel) * sizeof(float);
      return X >= lo && X < hi ? reinterpret_cast<const float*>(column) : nullptr;
    }
  };
  HWY_INLINE Cursor Row() const { return {row, pixel, lo, hi}; }
  HWY_INLINE void Down(int64_t rows) { row += static_cast<uintptr_t>(rows * input_row) * sizeof(float); }
  HWY_INLINE ClippedColumns Right(int64_t columns) const {
    const uintptr_t right = row + static_cast<uintptr_t>(columns * pixel) * sizeof(float);
    return {right, input_row, pixel, lo - columns, hi - columns};
  }
};

// One filter row of a window of kDwWindow outputs at stride S, K taps at dilation DW: loads each input column the
// row's cursor (WalkColumns or ClippedColumns) reaches once, in ascending order x, and calls tap(v, k, t) for every
// tap k that puts column x under output t (x = S * t + DW * k), k and t as compile-time constants.
template <int K, int S, int DW, class D, class Cursor, class Tap>
HWY_INLINE void ForEachWindowTap(D d, Cursor row, const Tap& tap) {
  Unroll<S * (kDwWindow - 1) + DW * (K - 1) + 1>([&](auto x) COLCONV_INLINE_LAMBDA {
    const float* column = row.template Next<decltype(x)::value>();
    if constexpr (Cursor::kClips) {
      if (column == nullptr) return;
    }
    const auto v = hn::LoadU(d, column);
    Unroll<K>([&](auto k) COLCONV_INLINE_LAMBDA {
      constexpr int rest = decltype(x)::value - DW * decltype(k)::value;
      if constexpr (rest >= 0 && rest % S == 0 && rest / S < kDwWindow) {
        tap(v, k, std::integral_constant<int, rest / S>());
      }
    });
  });
}

// kDwWindow output pixels, m = 1, stride S, K taps wide at dilation DW, filter rows [i0, i1) (the others in the
// padding), from `columns` (WalkColumns or ClippedColumns) at filter row i0's input row. Each input
// column of a filter row is loaded once and serves every output of the window that reads it. Output t takes
// column x = S * t + DW * k for tap k, so with x ascending each output still sums kw ascending.
template <int K, int S, int DW, class D, class Columns>
HWY_INLINE void ForwardWindow(D d, int64_t i0, int64_t i1, int64_t dilation_h, Columns columns,
                              const float* HWY_RESTRICT w, int64_t ldw, hn::Vec<D> (&acc)[kDwWindow]) {
  Unroll<kDwWindow>([&](auto t) COLCONV_INLINE_LAMBDA { acc[t] = hn::Zero(d); });
  for (int64_t i = i0; i < i1; ++i, columns.Down(dilation_h)) {
    hn::Vec<D> wv[K];
    Unroll<K>([&](auto k) COLCONV_INLINE_LAMBDA { wv[k] = hn::LoadU(d, w + (i * K + k) * ldw); });
    ForEachWindowTap<K, S, DW>(d, columns.Row(), [&](hn::Vec<D> v, auto k, auto t) COLCONV_INLINE_LAMBDA {
      acc[t] = hn::MulAdd(v, wv[k], acc[t]);
    });
  }
}

// Two output rows at once (stride_h SH, dilation 1, every filter row inside), kDwWindow pixels each: input row r
// serves row 0 as filter row r and row 1 as filter row r - SH, so each input column is loaded once for both. Each
// output still sums kh, then kw ascending. Sixteen accumulators and two filter rows: for targets with 32 vector
// registers. Input rows [0, SH) serve row 0 alone, [SH, K) both, [K, K + SH) row 1 alone, a loop each with that
// known at compile time (tested per multiply-add, the conditions and their bookkeeping were 45% of the
// instructions perf sampled on MobileNetV1's 112-wide layer); with SH a constant too, the compiler unrolls the
// loops of the smaller filters (MobileNetV1's 3x3 layers up to 1.1x faster forward, 5x5 and 7x7 within noise).
template <int K, int S, int DW, int SH, class D, class Columns>
HWY_INLINE void ForwardWindow2(D d, Columns columns, const float* HWY_RESTRICT w, int64_t ldw,
                               hn::Vec<D> (&acc)[2][kDwWindow]) {
  Unroll<kDwWindow>([&](auto t) COLCONV_INLINE_LAMBDA { acc[0][t] = acc[1][t] = hn::Zero(d); });
  const auto rows = [&](auto first, auto second, int64_t r0, int64_t r1) COLCONV_INLINE_LAMBDA {
    constexpr bool kFirst = decltype(first)::value, kSecond = decltype(second)::value;
    for (int64_t r = r0; r < r1; ++r, columns.Down(1)) {
      hn::Vec<D> w0[K], w1[K];
      Unroll<K>([&](auto k) COLCONV_INLINE_LAMBDA {
        if constexpr (kFirst) w0[k] = hn::LoadU(d, w + (r * K + k) * ldw);
        if constexpr (kSecond) w1[k] = hn::LoadU(d, w + ((r - SH) * K + k) * ldw);
      });
      ForEachWindowTap<K, S, DW>(d, columns.Row(), [&](hn::Vec<D> v, auto k, auto t) COLCONV_INLINE_LAMBDA {
        if constexpr (kFirst) acc[0][t] = hn::MulAdd(v, w0[k], acc[0][t]);
        if constexpr (kSecond) acc[1][t] = hn::MulAdd(v, w1[k], acc[1][t]);
      });
    }
  };
  rows(std::true_type(), std::false_type(), 0, SH);
  rows(std::true_type(), std::true_type(), SH, K);
  rows(std::false_type(), std::true_type(), K, K + SH);
}

// Filters wider than the fixed windows (Conformer's 1x31), stride and dilation 1: kDwChunkPixels output pixels,
// the taps of each filter row kDwChunk at a time (as many weight vectors as the registers hold beside the
// accumulators), each input column of a chunk loaded once. Output t sums kw ascending within a chunk (x = t + k
// ascending), and the chunks in order. With 32 registers, 16 pixels: each chunk's weights serve twice the outputs
// (1.14x on Conformer's layer against 8 pixels).
constexpr int kDwChunk = HWY_MAX_BYTES >= 64 ? 8 : 4;
constexpr int64_t kDwChunkPixels = HWY_MAX_BYTES >= 64 ? 16 : 8;
template <class D, class Columns>
HWY_INLINE void ForwardWindowChunks(D d, int64_t i0, int64_t i1, int64_t dilation_h, int64_t kernel_w,
                                    Columns columns, const float* HWY_RESTRICT w, int64_t ldw,
                                    hn::Vec<D> (&acc)[kDwChunkPixels]) {
  constexpr int T = kDwChunkPixels, C = kDwChunk;
  Unroll<T>([&](auto t) COLCONV_INLINE_LAMBDA { acc[t] = hn::Zero(d); });
  for (int64_t i = i0; i < i1; ++i, columns.Down(dilation_h)) {
    for (int64_t kw0 = 0; kw0 < kernel_w; kw0 += C) {
      const int64_t count = std::min<int64_t>(C, kernel_w - kw0);
      hn::Vec<D> wv[C];
      Unroll<C>([&](auto k) COLCONV_INLINE_LAMBDA {
        wv[k] = k < count ? hn::LoadU(d, w + (i * kernel_w + kw0 + k) * ldw) : hn::Zero(d);
      });
      auto row = columns.Right(kw0).Row();
      Unroll<T - 1 + C>([&](auto x) COLCONV_INLINE_LAMBDA {
        const float* column = row.template Next<decltype(x)::value>();
        if constexpr (decltype(row)::kClips) {
          if (column == nullptr) return;
        }
        const auto v = hn::LoadU(d, column);
        Unroll<C>([&](auto k) COLCONV_INLINE_LAMBDA {
          constexpr int t = decltype(x)::value - decltype(k)::value;
          if constexpr (t >= 0 && t < T) {
            if (k < count) acc[t] = hn::MulAdd(v, wv[k], acc[t]);
          }
        });
      });
    }
  }
}

// What ForwardDirectRows runs: the window of a K-wide filter (stride S, dilation DW), or of a wide filter in
// chunks. Two output rows go through one window where `pairs`: 32 registers, filter rows dense and as many as the
// window's width, a stride of 1 or 2.
template <int K, int S, int DW>
struct FixedWindows {
  static constexpr int64_t kPixels = kDwWindow;
  static constexpr int kStride = S;
  static constexpr bool kPairs = true;
  int64_t columns() const { return S * (kDwWindow - 1) + DW * (K - 1) + 1; }
  bool pairs(const DwGeometry& g) const {
    return HWY_MAX_BYTES >= 64 && g.dilation_h == 1 && g.kernel_h == K && g.stride_h <= 2;
  }
  template <class D, class Columns>
  HWY_INLINE void One(D d, const DwGeometry& g, TapRange kh, Columns columns, const float* w, int64_t ldw,
                      hn::Vec<D> (&acc)[kDwWindow]) const {
    ForwardWindow<K, S, DW>(d, kh.lo, kh.hi, g.dilation_h, columns, w, ldw, acc);
  }
  template <class D, class Columns>
  HWY_INLINE void Two(D d, const DwGeometry& g, Columns columns, const float* w, int64_t ldw,
                      hn::Vec<D> (&acc)[2][kDwWindow]) const {
    if (g.stride_h == 1) {  // pairs() allows strides of 1 and 2
      ForwardWindow2<K, S, DW, 1>(d, columns, w, ldw, acc);
    } else {
      ForwardWindow2<K, S, DW, 2>(d, columns, w, ldw, acc);
    }
  }
};
struct ChunkedWindows {
  static constexpr int64_t kPixels = kDwChunkPixels;
  static constexpr int kStride = 1;
  static constexpr bool kPairs = false;
  int64_t kernel_w;
  int64_t columns() const { return kPixels - 1 + kernel_w; }
  bool pairs(const DwGeometry&) const { return false; }
  template <class D, class Columns>
  HWY_INLINE void One(D d, const DwGeometry& g, TapRange kh, Columns columns, const float* w, int64_t ldw,
                      hn::Vec<D> (&acc)[kPixels]) const {
    ForwardWindowChunks(d, kh.lo, kh.hi, g.dilation_h, kernel_w, columns, w, ldw, acc);
  }
};

// Any filter, stride, dilation and multiplier: kDwWindow output pixels from ow0, output j0 .. j0 + kM - 1 of each
// channel, tap by tap.
template <size_t kM, class D>
HWY_INLINE void ForwardTaps(D d, const DwGeometry& g, BandRow b, const float* HWY_RESTRICT w, int64_t ldw, int64_t j0,
                            int64_t ow0, hn::Vec<D> (&acc)[kM][kDwWindow]) {
  const int64_t taps = g.kernel_h * g.kernel_w;
  for (size_t j = 0; j < kM; ++j)
    for (int64_t t = 0; t < kDwWindow; ++t) acc[j][t] = hn::Zero(d);
  for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
    for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
      const float* x = b.row + kh * g.dilation_h * b.input_row + (ow0 * g.stride_w + kw * g.dilation_w) * b.pixel;
      for (size_t j = 0; j < kM; ++j) {
        const auto wv = hn::LoadU(d, w + ((j0 + static_cast<int64_t>(j)) * taps + kh * g.kernel_w + kw) * ldw);
        for (int64_t t = 0; t < kDwWindow; ++t) {
          acc[j][t] = hn::MulAdd(hn::LoadU(d, x + t * g.stride_w * b.pixel), wv, acc[j][t]);
        }
      }
    }
  }
}

// The band and the padded weights of a forward tile (depthwise.h).
HWY_INLINE void BuildForwardBand(const DwGeometry& g, const DwTile& t, const DwBand& b, const float* HWY_RESTRICT src,
                                 const float* HWY_RESTRICT w, int64_t ldw, float* HWY_RESTRICT band,
                                 float* HWY_RESTRICT weights) {
  const int64_t cs = t.c1 - t.c0, zeros = b.channels - cs;
  for (int64_t r = 0; r < b.rows; ++r) {
    const int64_t ih = t.row0 * g.stride_h - g.pad_top + r;
    float* out = band + r * b.width * b.channels;
    if (ih < 0 || ih >= g.in_h) {
      ZeroRun(out, static_cast<size_t>(b.width * b.channels));
      continue;
    }
    // Band columns q read input column q - pad_left; a negative pad (backprop-input's) starts inside the image.
    const int64_t q0 = std::clamp<int64_t>(g.pad_left, 0, b.width);
    const int64_t q1 = std::clamp<int64_t>(g.pad_left + g.in_w, q0, b.width);
    ZeroRun(out, static_cast<size_t>(q0 * b.channels));
    const float* in = src + (ih * g.in_w + q0 - g.pad_left) * g.channels + t.c0;
    if (zeros == 0 && cs == g.channels) {  // whole pixels: one copy
      CopyRun(in, out + q0 * b.channels, static_cast<size_t>((q1 - q0) * cs));
    } else {
      for (int64_t q = q0; q < q1; ++q, in += g.channels) {
        CopyRun(in, out + q * b.channels, static_cast<size_t>(cs));
        ZeroRun(out + q * b.channels + cs, static_cast<size_t>(zeros));
      }
    }
    ZeroRun(out + q1 * b.channels, static_cast<size_t>((b.width - q1) * b.channels));
  }
  const int64_t rows = g.multiplier * g.kernel_h * g.kernel_w;
  for (int64_t i = 0; i < rows; ++i) {
    CopyRun(w + i * ldw + t.c0, weights + i * b.channels, static_cast<size_t>(cs));
    ZeroRun(weights + i * b.channels + cs, static_cast<size_t>(zeros));
  }
}

// Stores output pixel `ow` of row `oh`, channels [c, c + Lanes) of the tile (fewer at its end), M outputs each
// (M = 0: m > 4, one j at a time: j0).
template <size_t M, size_t kM, class D>
HWY_INLINE void StoreOutputs(D d, const DwGeometry& g, const DwTile& t, float* HWY_RESTRICT dst, int64_t oh, int64_t ow,
                             int64_t c, int64_t j0, const hn::Vec<D> (&v)[kM]) {
  const int64_t m = g.multiplier, n = static_cast<int64_t>(hn::Lanes(d)), valid = std::min(n, t.c1 - c);
  float* out = dst + (oh * g.out_w + ow) * g.channels * m + c * m + j0;
  if (M != 0 && valid == n) return StoreChannelsInterleaved<kM>(d, v, out);
  HWY_ALIGN float lanes[hn::MaxLanes(d) * kM];
  for (size_t j = 0; j < kM; ++j) hn::Store(v[j], d, lanes + j * hn::Lanes(d));
  for (int64_t l = 0; l < valid; ++l)
    for (size_t j = 0; j < kM; ++j) out[l * m + static_cast<int64_t>(j)] = lanes[j * hn::Lanes(d) + static_cast<size_t>(l)];
}

// Every output of the tile from its band: `Window` computes kDwWindow pixels of output j0 .. j0 + kM - 1 for one
// channel vector into acc; the stores follow.
template <size_t M, class D, class Window>
HWY_INLINE void ForwardRows(D d, const DwGeometry& g, const DwTile& t, const DwBand& b, const float* band,
                            float* HWY_RESTRICT dst, Window&& window) {
  constexpr size_t kM = M == 0 ? 1 : M;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t oh = t.row0; oh < t.row1; ++oh) {
    const BandRow row{band + (oh - t.row0) * g.stride_h * b.width * b.channels, b.channels, b.width * b.channels};
    for (int64_t ow0 = 0; ow0 < g.out_w; ow0 += kDwWindow) {
      const int64_t pixels = std::min(kDwWindow, g.out_w - ow0);
      for (int64_t cv = 0; cv < b.channels; cv += n) {
        for (int64_t j0 = 0; j0 < g.multiplier; j0 += static_cast<int64_t>(kM)) {
          hn::Vec<D> acc[kM][kDwWindow];
          window(BandRow{row.row + cv, row.pixel, row.input_row}, cv, j0, ow0, acc);
          for (int64_t p = 0; p < pixels; ++p) {
            hn::Vec<D> v[kM];
            for (size_t j = 0; j < kM; ++j) v[j] = acc[j][p];
            StoreOutputs<M>(d, g, t, dst, oh, ow0 + p, t.c0 + cv, j0, v);
          }
        }
      }
    }
  }
}


// Direct mode: src itself, for a tile of whole channel vectors, every pixel through a window and no band copied.
// A window's columns in the padding are skipped (ClippedColumns), and so are its filter rows there; a row narrower
// than a window computes the pixels past its end and drops them; a row's last window overlaps the one before it
// and gives their shared pixels the same values again.
template <class Windows, class D>
HWY_INLINE void ForwardDirectRows(D d, const DwGeometry& g, const DwTile& t, Windows windows,
                                  const float* HWY_RESTRICT src, const float* HWY_RESTRICT w, int64_t ldw,
                                  float* HWY_RESTRICT dst) {
  constexpr int64_t T = Windows::kPixels, S = Windows::kStride;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), pixel = g.channels, input_row = g.in_w * g.channels;
  const int64_t columns_per_window = windows.columns();
  for (int64_t oh = t.row0; oh < t.row1;) {
    const TapRange kh = TapsInside(oh, g.stride_h, g.pad_top, g.dilation_h, g.kernel_h, g.in_h);
    // With 32 registers, two rows whose filter rows are all inside share their windows' input loads.
    bool pair = false;
    if (windows.pairs(g) && kh.lo == 0 && kh.hi == g.kernel_h && oh + 1 < t.row1) {
      const TapRange next = TapsInside(oh + 1, g.stride_h, g.pad_top, g.dilation_h, g.kernel_h, g.in_h);
      pair = next.lo == 0 && next.hi == g.kernel_h;
    }
    // The input row under filter row kh.lo (clamped: a row whose filter rows all lie in the padding reads none).
    const int64_t ih = std::clamp<int64_t>(oh * g.stride_h - g.pad_top + kh.lo * g.dilation_h, 0, g.in_h - 1);
    // T pixels from ow for every channel vector of the tile, columns(c) giving their input columns; all of
    // them stored where `whole` (a std::bool_constant) says so, else those before the row's end.
    const auto channels = [&](int64_t ow, auto&& columns, auto whole) COLCONV_INLINE_LAMBDA {
      const int64_t pixels = decltype(whole)::value ? T : std::min(T, g.out_w - ow);
      for (int64_t c = t.c0; c < t.c1; c += n) {
        float* out = dst + (oh * g.out_w + ow) * g.channels + c;
        if constexpr (Windows::kPairs) {
          if (pair) {
            hn::Vec<D> acc[2][T];
            windows.Two(d, g, columns(c), w + c, ldw, acc);
            Unroll<T>([&](auto p) COLCONV_INLINE_LAMBDA {
              if (p >= pixels) return;
              hn::StoreU(acc[0][p], d, out + p * pixel);
              hn::StoreU(acc[1][p], d, out + (g.out_w + p) * pixel);
            });
            continue;
          }
        }
        hn::Vec<D> acc[T];
        windows.One(d, g, kh, columns(c), w + c, ldw, acc);
        Unroll<T>([&](auto p) COLCONV_INLINE_LAMBDA {
          if (p < pixels) hn::StoreU(acc[p], d, out + p * pixel);
        });
      }
    };
    // Inlined: compiled as a function of its own (GCC 12's choice), it read the row's values through its closure,
    // again after every store, and the kernel ran 3x3 layers of 32-480 channels at 0.70-0.85x the speed (AVX2).
    const auto window = [&](int64_t ow) COLCONV_INLINE_LAMBDA {
      const int64_t iw0 = ow * S - g.pad_left;
      if (iw0 >= 0 && iw0 + columns_per_window <= g.in_w && ow + T <= g.out_w) {
        const float* at = src + ih * input_row + iw0 * pixel;
        return channels(ow, [&](int64_t c) { return WalkColumns{at + c, input_row, pixel}; }, std::true_type());
      }
      const uintptr_t row = reinterpret_cast<uintptr_t>(src + ih * input_row) +
                            static_cast<uintptr_t>(iw0 * pixel) * sizeof(float);
      const int64_t first = std::max<int64_t>(0, -iw0), end = std::min(columns_per_window, g.in_w - iw0);
      channels(ow, [&](int64_t c) {
        return ClippedColumns{row + static_cast<uintptr_t>(c) * sizeof(float), input_row, pixel, first, end};
      }, std::false_type());
    };
    for (int64_t ow = 0; ow < g.out_w; ow += T) window(std::max<int64_t>(0, std::min(ow, g.out_w - T)));
    oh += pair ? 2 : 1;
  }
}

// Band mode: every pixel through the window (two rows at a time where PairsRows), from the band.
template <int K, int S, int DW, class D>
HWY_INLINE void ForwardBandRows(D d, const DwGeometry& g, const DwTile& t, const DwBand& b, const float* band,
                                const float* weights, float* dst) {
  const int64_t n = static_cast<int64_t>(hn::Lanes(d)), pixel = b.channels, input_row = b.width * b.channels;
  for (int64_t oh = t.row0; oh < t.row1;) {
    const bool pair = FixedWindows<K, S, DW>().pairs(g) && oh + 1 < t.row1;
    const float* row = band + (oh - t.row0) * g.stride_h * input_row;
    for (int64_t ow0 = 0; ow0 < g.out_w; ow0 += kDwWindow) {
      const int64_t pixels = std::min(kDwWindow, g.out_w - ow0);
      for (int64_t cv = 0; cv < b.channels; cv += n) {
        const float* at = row + ow0 * S * pixel + cv;
        const WalkColumns columns{at, input_row, pixel};
        hn::Vec<D> acc[2][kDwWindow];
        if (pair) {
          FixedWindows<K, S, DW>().Two(d, g, columns, weights + cv, b.channels, acc);
        } else {
          ForwardWindow<K, S, DW>(d, 0, g.kernel_h, g.dilation_h, columns, weights + cv, b.channels, acc[0]);
        }
        for (int64_t r = 0; r <= (pair ? 1 : 0); ++r) {
          for (int64_t p = 0; p < pixels; ++p) {
            const hn::Vec<D> v[1] = {acc[r][p]};
            StoreOutputs<1>(d, g, t, dst, oh + r, ow0 + p, t.c0 + cv, 0, v);
          }
        }
      }
    }
    oh += pair ? 2 : 1;
  }
}

// Whether src is read directly rather than through the band's copy: measured on bench/thin, direct wins for
// stride 2 (whose band copies four times the output), for filters wider than 3 (the band's copy costs more than
// the skipped padding saves) and for 3-wide filters on rows of at least 14 outputs; on narrower rows (a 7x7 image)
// the band was 4% faster. Except, on targets that run one row per window, where pixels lie a multiple of 2 KB
// apart (512 channels): a 3-wide window's 30 input columns then fall into two L1 sets, which they thrash, and the
// band (a task's 128 channels per pixel) ran MobileNetV1's 14x14x512 layer 1.9-2.0x as fast on AVX2 (Zen 3;
// 480 channels: no difference). Two-row windows (32 registers) were not measured so, and keep direct reads.
template <int K, int S>
HWY_INLINE bool ReadsDirectly(const DwGeometry& g) {
  const bool set_conflicts = HWY_MAX_BYTES < 64 && g.channels % 512 == 0;
  return S == 2 || K > 3 || (g.out_w >= 4 * K + 2 && !set_conflicts);
}

template <int K, int S, int DW, class D>
HWY_NOINLINE void ForwardWindowTile(D d, const DwGeometry& geometry, const DwTile& tile, const float* src,
                                    const float* w, int64_t ldw, float* dst, float* scratch) {
  const DwGeometry g = geometry;  // copies no store can reach (DwForwardNhwc)
  const DwTile t = tile;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d));
  if (ReadsDirectly<K, S>(g) && (t.c1 - t.c0) % n == 0) {
    return ForwardDirectRows(d, g, t, FixedWindows<K, S, DW>(), src, w, ldw, dst);
  }
  const DwBand b = DwForwardBand(g, t.row1 - t.row0, t.c1 - t.c0, n);
  float* band = scratch;
  float* weights = band + b.band_floats();
  BuildForwardBand(g, t, b, src, w, ldw, band, weights);
  ForwardBandRows<K, S, DW>(d, g, t, b, band, weights, dst);
}

// The 5- and 7-wide windows (stride 1 or 2, dilation 1): the depthwise_nhwc_forward_wide.cc unit's, same target,
// compiled apart from the rest of forward so that the two, the slowest units to compile, build in parallel.
void ForwardWideWindowTile(const DwGeometry& g, const DwTile& t, const float* src, const float* w, int64_t ldw,
                           float* dst, float* scratch);

// The window for this problem's filter width, stride and dilation, where one applies.
template <class D>
HWY_INLINE bool ForwardWindowFor(D d, const DwGeometry& g, const DwTile& t, const float* src, const float* w,
                                 int64_t ldw, float* dst, float* scratch) {
  if (g.multiplier != 1) return false;
  // Filters wider than the fixed windows, at stride and dilation 1: chunks of taps, src read directly.
  const bool whole_vectors = (t.c1 - t.c0) % static_cast<int64_t>(hn::Lanes(d)) == 0;
  if (g.kernel_w > 7 && g.stride_w == 1 && g.dilation_w == 1 && whole_vectors) {
    ForwardDirectRows(d, g, t, ChunkedWindows{g.kernel_w}, src, w, ldw, dst);
    return true;
  }
  // Single digits make the key below unique (a 13-wide filter must not read as dilation 2, width 3, stride 1).
  if (g.kernel_w > 9 || g.stride_w > 9 || g.dilation_w > 9) return false;
  switch (g.dilation_w * 100 + g.kernel_w * 10 + g.stride_w) {
    case 131:
      ForwardWindowTile<3, 1, 1>(d, g, t, src, w, ldw, dst, scratch);
      return true;
    case 132:
      ForwardWindowTile<3, 2, 1>(d, g, t, src, w, ldw, dst, scratch);
      return true;
    case 151:
    case 152:
    case 171:
    case 172:
      ForwardWideWindowTile(g, t, src, w, ldw, dst, scratch);
      return true;
    case 231:  // atrous 3x3 (DeepLab): 1.9x the tap-by-tap path on bench/thin's dw_dilation2
      ForwardWindowTile<3, 1, 2>(d, g, t, src, w, ldw, dst, scratch);
      return true;
    case 232:
      ForwardWindowTile<3, 2, 2>(d, g, t, src, w, ldw, dst, scratch);
      return true;
    default:
      return false;
  }
}

template <size_t M>
HWY_INLINE void DwForwardNhwcM(const DwGeometry& g, const DwTile& t, const float* src, const float* w, int64_t ldw,
                               float* dst, float* scratch) {
  constexpr size_t kM = M == 0 ? 1 : M;
  const hn::ScalableTag<float> d;
  if (M == 1 && ForwardWindowFor(d, g, t, src, w, ldw, dst, scratch)) return;
  const DwBand b = DwForwardBand(g, t.row1 - t.row0, t.c1 - t.c0, static_cast<int64_t>(hn::Lanes(d)));
  float* band = scratch;
  float* weights = band + b.band_floats();
  BuildForwardBand(g, t, b, src, w, ldw, band, weights);
  ForwardRows<M>(d, g, t, b, band, dst,
                 [&](BandRow row, int64_t cv, int64_t j0, int64_t ow0, hn::Vec<decltype(d)>(&acc)[kM][kDwWindow]) {
                   ForwardTaps<kM>(d, g, row, weights + cv, b.channels, j0, ow0, acc);
                 });
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_FORWARD_INL_H_
