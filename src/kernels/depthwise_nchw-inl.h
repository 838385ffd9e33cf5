// Direct depthwise kernels for NCHW data, every Highway target: whole planes flattened into one long row (see
// depthwise.h), so that every tap is one contiguous vector loop at a fixed offset with no bounds checks, and small
// planes (7x7) fill whole vectors. Each call handles one input channel c of one image and its m output planes,
// with `scratch` for the padded planes (DwNchwScratchFloats).
//
// Forward and backprop-input sum each result in its own lane, taps in a listed order. Backprop-filter sums over
// pixels: the products of flat index u accumulate in partial u % (kDwFilterAccs * lanes), and the partials are
// then added in order to the weight's gradient: the sum depends on the target's vector length, which the scalar
// emulation takes as a parameter.

#if defined(COLCONV_SRC_KERNELS_DEPTHWISE_NCHW_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_DEPTHWISE_NCHW_INL_H_
#undef COLCONV_SRC_KERNELS_DEPTHWISE_NCHW_INL_H_
#else
#define COLCONV_SRC_KERNELS_DEPTHWISE_NCHW_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "src/kernels/depthwise.h"
#include "src/kernels/runs-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One tap of a flat correlation: out[u] += coefficient * plane[u + offset]. Six floats' room (DwNchwScratch).
struct FlatTap {
  const float* plane;
  int64_t offset;
  float coefficient;
};
static_assert(sizeof(FlatTap) <= 6 * sizeof(float), "DwNchwScratch books six floats per tap");

// out[u] = sum over taps (in their order) for u in [0, count), count rounded up to whole blocks of 4 vectors
// (the caller's buffers hold them). Four accumulators per step keep the FMA units busy.
HWY_INLINE void CorrelateFlat(const FlatTap* taps, int64_t num_taps, int64_t count, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t u = 0; u < count; u += 4 * n) {
    auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
    for (int64_t t = 0; t < num_taps; ++t) {
      const float* p = taps[t].plane + taps[t].offset + u;
      const auto w = hn::Set(d, taps[t].coefficient);
      a0 = hn::MulAdd(hn::LoadU(d, p), w, a0);
      a1 = hn::MulAdd(hn::LoadU(d, p + n), w, a1);
      a2 = hn::MulAdd(hn::LoadU(d, p + 2 * n), w, a2);
      a3 = hn::MulAdd(hn::LoadU(d, p + 3 * n), w, a3);
    }
    hn::StoreU(a0, d, out + u);
    hn::StoreU(a1, d, out + u + n);
    hn::StoreU(a2, d, out + u + 2 * n);
    hn::StoreU(a3, d, out + u + 3 * n);
  }
}

HWY_INLINE int64_t Block() { return 4 * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>())); }
HWY_INLINE int64_t RoundToBlock(int64_t v) { return (v + Block() - 1) / Block() * Block(); }

// The columns q < width of phase column b whose input column q * stride_w + b - pad_left lies in [0, in_w).
struct ColumnRange {
  int64_t begin, end;
};
HWY_INLINE ColumnRange PhaseColumns(const DwGeometry& g, int64_t b, int64_t width) {
  const int64_t last = g.in_w - 1 + g.pad_left - b;  // q * stride_w <= last; negative: no column
  const int64_t begin = std::max<int64_t>(0, (g.pad_left - b + g.stride_w - 1) / g.stride_w);
  const int64_t end = last < 0 ? 0 : std::min(width, last / g.stride_w + 1);
  return {begin, std::max(begin, end)};
}

// The padded input plane of channel c split into its phases (depthwise.h), zeros around and after.
HWY_INLINE void BuildInputPhases(const DwGeometry& g, const DwPlanes& p, const float* HWY_RESTRICT plane,
                                 float* HWY_RESTRICT phases) {
  const int64_t sh = g.stride_h, sw = g.stride_w;
  ZeroRun(phases, static_cast<size_t>(sh * sw * p.floats()));
  for (int64_t a = 0; a < sh; ++a) {
    for (int64_t b = 0; b < sw; ++b) {
      float* phase = phases + (a * sw + b) * p.floats();
      for (int64_t r = 0; r < p.rows; ++r) {
        const int64_t ih = r * sh + a - g.pad_top;
        if (ih < 0 || ih >= g.in_h) continue;
        const float* row = plane + ih * g.in_w;
        const ColumnRange q = PhaseColumns(g, b, p.width);
        if (sw == 1) {
          if (q.end > q.begin) CopyRun(row + q.begin - g.pad_left, phase + r * p.width + q.begin, static_cast<size_t>(q.end - q.begin));
        } else {
          for (int64_t i = q.begin; i < q.end; ++i) phase[r * p.width + i] = row[i * sw + b - g.pad_left];
        }
      }
    }
  }
}

// Where tap (kh, kw) reads the input phases: flat offset u + offset of one phase.
HWY_INLINE FlatTap InputTap(const DwGeometry& g, const DwPlanes& p, const float* phases, int64_t kh, int64_t kw,
                            float coefficient) {
  const int64_t rh = kh * g.dilation_h, rw = kw * g.dilation_w;
  const float* phase = phases + ((rh % g.stride_h) * g.stride_w + rw % g.stride_w) * p.floats();
  return {phase, (rh / g.stride_h) * p.width + rw / g.stride_w, coefficient};
}

HWY_NOINLINE void DwForwardNchw(const DwGeometry& g, int64_t c, const float* HWY_RESTRICT src,
                                const float* HWY_RESTRICT weights, float* HWY_RESTRICT dst, float* HWY_RESTRICT scratch) {
  const DwPlanes p = DwInputPhases(g, Block());
  const DwScratch layout = DwNchwScratch(g, DwPass::kForward, static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>())));
  FlatTap* list = reinterpret_cast<FlatTap*>(scratch);
  float* phases = scratch + layout.list_floats;
  float* out = phases + layout.planes_floats;
  BuildInputPhases(g, p, src + c * g.in_h * g.in_w, phases);
  const int64_t taps = g.kernel_h * g.kernel_w;
  for (int64_t j = 0; j < g.multiplier; ++j) {
    const int64_t o = c * g.multiplier + j;
    for (int64_t t = 0; t < taps; ++t) list[t] = InputTap(g, p, phases, t / g.kernel_w, t % g.kernel_w, weights[o * taps + t]);
    CorrelateFlat(list, taps, RoundToBlock(g.out_h * p.width), out);
    float* plane = dst + o * g.out_h * g.out_w;
    for (int64_t oh = 0; oh < g.out_h; ++oh) CopyRun(out + oh * p.width, plane + oh * g.out_w, static_cast<size_t>(g.out_w));
  }
}

HWY_NOINLINE void DwBackpropInputNchw(const DwGeometry& g, int64_t c, const float* HWY_RESTRICT diff_dst,
                                      const float* HWY_RESTRICT weights, float* HWY_RESTRICT diff_src,
                                      float* HWY_RESTRICT scratch) {
  const DwGatherPlanes p = DwBackpropInputPlanes(g, Block());
  const DwScratch layout =
      DwNchwScratch(g, DwPass::kBackpropInput, static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>())));
  const int64_t m = g.multiplier, sh = g.stride_h, sw = g.stride_w;
  FlatTap* list = reinterpret_cast<FlatTap*>(scratch);
  float* padded = scratch + layout.list_floats;  // m padded diff_dst planes
  float* out = padded + layout.planes_floats;
  for (int64_t j = 0; j < m; ++j) {
    float* plane = padded + j * p.diff_dst.floats();
    ZeroRun(plane, static_cast<size_t>(p.diff_dst.floats()));
    const float* dy = diff_dst + (c * m + j) * g.out_h * g.out_w;
    const int64_t rows = std::min(g.out_h, p.diff_dst.rows - p.qh), cols = std::min(g.out_w, p.diff_dst.width - p.qw);
    for (int64_t oh = 0; oh < rows; ++oh) {
      CopyRun(dy + oh * g.out_w, plane + (oh + p.qh) * p.diff_dst.width + p.qw, static_cast<size_t>(cols));
    }
  }
  const int64_t width = p.diff_dst.width;
  float* result = diff_src + c * g.in_h * g.in_w;
  for (int64_t a = 0; a < sh; ++a) {
    for (int64_t b = 0; b < sw; ++b) {
      // The taps of this phase: j ascending, then kh, kw ascending.
      int64_t count = 0;
      for (int64_t j = 0; j < m; ++j) {
        for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
          const int64_t rh = kh * g.dilation_h;
          if (rh % sh != a) continue;
          for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
            const int64_t rw = kw * g.dilation_w;
            if (rw % sw != b) continue;
            const int64_t o = c * m + j;
            list[count++] = {padded + j * p.diff_dst.floats(), (p.qh - rh / sh) * width + p.qw - rw / sw,
                             weights[o * g.kernel_h * g.kernel_w + kh * g.kernel_w + kw]};
          }
        }
      }
      CorrelateFlat(list, count, RoundToBlock(p.out_rows * width), out);
      // Input pixel (ih, iw) = (ih2 * sh + a - pad_top, iw2 * sw + b - pad_left) is this phase's (ih2, iw2).
      for (int64_t ih2 = 0; ih2 < p.out_rows; ++ih2) {
        const int64_t ih = ih2 * sh + a - g.pad_top;
        if (ih < 0 || ih >= g.in_h) continue;
        const ColumnRange q = PhaseColumns(g, b, width);
        float* row = result + ih * g.in_w;
        if (sw == 1) {
          if (q.end > q.begin) CopyRun(out + ih2 * width + q.begin, row + q.begin - g.pad_left, static_cast<size_t>(q.end - q.begin));
        } else {
          for (int64_t i = q.begin; i < q.end; ++i) row[i * sw + b - g.pad_left] = out[ih2 * width + i];
        }
      }
    }
  }
}

// Backprop-filter: the products of flat index u go to partial u % (kDwFilterAccs * lanes); partials are added in
// order to the gradient already there.
HWY_NOINLINE void DwBackpropFilterNchw(const DwGeometry& g, int64_t c, const float* HWY_RESTRICT src,
                                       const float* HWY_RESTRICT diff_dst, float* HWY_RESTRICT diff_weights,
                                       float* HWY_RESTRICT scratch) {
  const hn::ScalableTag<float> d;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d));
  const DwPlanes p = DwInputPhases(g, Block());
  const DwScratch layout = DwNchwScratch(g, DwPass::kBackpropFilter, n);
  float* phases = scratch + layout.list_floats;
  float* dy_flat = phases + layout.planes_floats;
  BuildInputPhases(g, p, src + c * g.in_h * g.in_w, phases);
  const int64_t count = RoundToBlock(g.out_h * p.width), taps = g.kernel_h * g.kernel_w;
  for (int64_t j = 0; j < g.multiplier; ++j) {
    const int64_t o = c * g.multiplier + j;
    // diff_dst in the flat layout, zero beyond each row's out_w columns and after the last row.
    ZeroRun(dy_flat, static_cast<size_t>(count));
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      CopyRun(diff_dst + (o * g.out_h + oh) * g.out_w, dy_flat + oh * p.width, static_cast<size_t>(g.out_w));
    }
    for (int64_t t = 0; t < taps; ++t) {
      const FlatTap tap = InputTap(g, p, phases, t / g.kernel_w, t % g.kernel_w, 0.0f);
      hn::Vec<decltype(d)> acc[kDwFilterAccs];
      for (auto& a : acc) a = hn::Zero(d);
      for (int64_t u = 0; u < count; u += kDwFilterAccs * n) {
        for (int64_t a = 0; a < kDwFilterAccs; ++a) {
          const int64_t at = u + a * n;
          acc[a] = hn::MulAdd(hn::LoadU(d, tap.plane + tap.offset + at), hn::LoadU(d, dy_flat + at), acc[a]);
        }
      }
      HWY_ALIGN float partial[kDwFilterAccs * hn::MaxLanes(d)];
      for (int64_t a = 0; a < kDwFilterAccs; ++a) hn::Store(acc[a], d, partial + a * n);
      float& total = diff_weights[o * taps + t];
      for (int64_t r = 0; r < kDwFilterAccs * n; ++r) total += partial[r];
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_DEPTHWISE_NCHW_INL_H_
