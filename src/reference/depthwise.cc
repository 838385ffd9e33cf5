#include "src/reference/depthwise.h"

#include <algorithm>
#include <vector>

#include "src/kernels/window.h"
#include "src/reference/mul_add.h"

namespace colconv {
namespace reference {
namespace {

using kernels::DwGeometry;
using kernels::TapInput;

bool Inside(int64_t v, int64_t size) { return v >= 0 && v < size; }

// The input value tap (kh, kw) of output pixel (oh, ow) reads from an NCHW plane, 0 in the padding.
float PlaneAt(const DwGeometry& g, const float* plane, int64_t oh, int64_t ow, int64_t kh, int64_t kw) {
  const int64_t ih = TapInput(oh, g.stride_h, g.pad_top, kh, g.dilation_h);
  const int64_t iw = TapInput(ow, g.stride_w, g.pad_left, kw, g.dilation_w);
  return Inside(ih, g.in_h) && Inside(iw, g.in_w) ? plane[ih * g.in_w + iw] : 0.0f;
}

}  // namespace

void DwForwardNhwc(const DwGeometry& g, const kernels::DwTile& t, const float* src, const float* w, int64_t ldw,
                   float* dst, bool fused) {
  const int64_t m = g.multiplier, taps = g.kernel_h * g.kernel_w, oc = g.channels * m;
  for (int64_t oh = t.row0; oh < t.row1; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow)
      for (int64_t c = t.c0; c < t.c1; ++c)
        for (int64_t j = 0; j < m; ++j) {
          float acc = 0.0f;
          for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
            const int64_t ih = TapInput(oh, g.stride_h, g.pad_top, kh, g.dilation_h);
            if (!Inside(ih, g.in_h)) continue;
            for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
              const int64_t iw = TapInput(ow, g.stride_w, g.pad_left, kw, g.dilation_w);
              if (!Inside(iw, g.in_w)) continue;
              acc = MulAdd(src[(ih * g.in_w + iw) * g.channels + c], w[(j * taps + kh * g.kernel_w + kw) * ldw + c], acc,
                           fused);
            }
          }
          dst[(oh * g.out_w + ow) * oc + c * m + j] = acc;
        }
}

void DwBackpropInputNhwc(const DwGeometry& g, const kernels::DwTile& t, const float* diff_dst, const float* w,
                         int64_t ldw, float* diff_src, bool fused) {
  const int64_t m = g.multiplier, taps = g.kernel_h * g.kernel_w, oc = g.channels * m;
  for (int64_t ih = t.row0; ih < t.row1; ++ih)
    for (int64_t iw = 0; iw < g.in_w; ++iw)
      for (int64_t c = t.c0; c < t.c1; ++c) {
        float acc = 0.0f;
        for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
          const int64_t nh = ih + g.pad_top - kh * g.dilation_h;
          if (nh < 0 || nh % g.stride_h != 0 || nh / g.stride_h >= g.out_h) continue;
          for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
            const int64_t nw = iw + g.pad_left - kw * g.dilation_w;
            if (nw < 0 || nw % g.stride_w != 0 || nw / g.stride_w >= g.out_w) continue;
            const float* dy = diff_dst + ((nh / g.stride_h) * g.out_w + nw / g.stride_w) * oc + c * m;
            for (int64_t j = 0; j < m; ++j) {
              acc = MulAdd(dy[j], w[(j * taps + kh * g.kernel_w + kw) * ldw + c], acc, fused);
            }
          }
        }
        diff_src[(ih * g.in_w + iw) * g.channels + c] = acc;
      }
}

void DwBackpropFilterNhwc(const DwGeometry& g, const kernels::DwTile& t, const float* src, const float* diff_dst,
                          int64_t ldw, float* dw, bool fused) {
  const int64_t m = g.multiplier, taps = g.kernel_h * g.kernel_w, oc = g.channels * m;
  for (int64_t j = 0; j < m; ++j)
    for (int64_t kh = 0; kh < g.kernel_h; ++kh)
      for (int64_t kw = 0; kw < g.kernel_w; ++kw)
        for (int64_t c = t.c0; c < t.c1; ++c) {
          float& acc = dw[(j * taps + kh * g.kernel_w + kw) * ldw + c];
          for (int64_t oh = t.row0; oh < t.row1; ++oh) {
            const int64_t ih = TapInput(oh, g.stride_h, g.pad_top, kh, g.dilation_h);
            if (!Inside(ih, g.in_h)) continue;
            for (int64_t ow = 0; ow < g.out_w; ++ow) {
              const int64_t iw = TapInput(ow, g.stride_w, g.pad_left, kw, g.dilation_w);
              if (!Inside(iw, g.in_w)) continue;
              acc = MulAdd(src[(ih * g.in_w + iw) * g.channels + c], diff_dst[(oh * g.out_w + ow) * oc + c * m + j], acc,
                           fused);
            }
          }
        }
}

void DwForwardNchw(const DwGeometry& g, int64_t c, const float* src, const float* w, float* dst, bool fused) {
  const int64_t taps = g.kernel_h * g.kernel_w;
  const float* plane = src + c * g.in_h * g.in_w;
  for (int64_t j = 0; j < g.multiplier; ++j) {
    const int64_t o = c * g.multiplier + j;
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        float acc = 0.0f;  // every tap, the padding's zeros included, as the kernel's flat loop runs them
        for (int64_t tap = 0; tap < taps; ++tap) {
          acc = MulAdd(PlaneAt(g, plane, oh, ow, tap / g.kernel_w, tap % g.kernel_w), w[o * taps + tap], acc, fused);
        }
        dst[(o * g.out_h + oh) * g.out_w + ow] = acc;
      }
  }
}

void DwBackpropInputNchw(const DwGeometry& g, int64_t c, const float* diff_dst, const float* w, float* diff_src,
                         bool fused) {
  const int64_t taps = g.kernel_h * g.kernel_w, m = g.multiplier;
  for (int64_t ih = 0; ih < g.in_h; ++ih)
    for (int64_t iw = 0; iw < g.in_w; ++iw) {
      // The kernel's phase of this pixel, and its taps: j, then kh, kw ascending, diff_dst's padding read as 0.
      const int64_t a = (ih + g.pad_top) % g.stride_h, ih2 = (ih + g.pad_top) / g.stride_h;
      const int64_t b = (iw + g.pad_left) % g.stride_w, iw2 = (iw + g.pad_left) / g.stride_w;
      float acc = 0.0f;
      for (int64_t j = 0; j < m; ++j) {
        const float* dy = diff_dst + (c * m + j) * g.out_h * g.out_w;
        for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
          if ((kh * g.dilation_h) % g.stride_h != a) continue;
          const int64_t oh = ih2 - kh * g.dilation_h / g.stride_h;
          for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
            if ((kw * g.dilation_w) % g.stride_w != b) continue;
            const int64_t ow = iw2 - kw * g.dilation_w / g.stride_w;
            const float y = Inside(oh, g.out_h) && Inside(ow, g.out_w) ? dy[oh * g.out_w + ow] : 0.0f;
            acc = MulAdd(y, w[(c * m + j) * taps + kh * g.kernel_w + kw], acc, fused);
          }
        }
      }
      diff_src[(c * g.in_h + ih) * g.in_w + iw] = acc;
    }
}

void DwBackpropFilterNchw(const DwGeometry& g, int64_t c, const float* src, const float* diff_dst, float* dw,
                          bool fused, int64_t lanes) {
  const int64_t taps = g.kernel_h * g.kernel_w, width = kernels::DwInputPhases(g, 4 * lanes).width;
  const int64_t partials = kernels::kDwFilterAccs * lanes;
  const float* plane = src + c * g.in_h * g.in_w;
  std::vector<float> partial(static_cast<size_t>(partials));
  for (int64_t j = 0; j < g.multiplier; ++j) {
    const int64_t o = c * g.multiplier + j;
    const float* dy = diff_dst + o * g.out_h * g.out_w;
    for (int64_t tap = 0; tap < taps; ++tap) {
      std::fill(partial.begin(), partial.end(), 0.0f);
      // Flat index u = oh * width + ow; the kernel's other u hold diff_dst zeros, which change no partial.
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          float& p = partial[static_cast<size_t>((oh * width + ow) % partials)];
          p = MulAdd(PlaneAt(g, plane, oh, ow, tap / g.kernel_w, tap % g.kernel_w), dy[oh * g.out_w + ow], p, fused);
        }
      for (float p : partial) dw[o * taps + tap] += p;
    }
  }
}

}  // namespace reference
}  // namespace colconv
