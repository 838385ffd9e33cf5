#include "src/reference/direct.h"

#include <vector>

#include "src/kernels/window.h"
#include "src/reference/mul_add.h"

namespace colconv {
namespace reference {
namespace {

using kernels::DirectGeometry;
using kernels::TapInput;

// Whether tap (kh, kw) of output pixel (oh, ow) reads inside the image.
bool Inside(const DirectGeometry& g, int64_t oh, int64_t ow, int64_t kh, int64_t kw) {
  const int64_t ih = TapInput(oh, g.stride_h, g.pad_top, kh, g.dilation_h);
  const int64_t iw = TapInput(ow, g.stride_w, g.pad_left, kw, g.dilation_w);
  return ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
}

// Input channel c under tap (kh, kw) of output pixel (oh, ow), 0 in the padding.
float InputAt(const DirectGeometry& g, const float* src, int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t c) {
  if (!Inside(g, oh, ow, kh, kw)) return 0.0f;
  const int64_t ih = TapInput(oh, g.stride_h, g.pad_top, kh, g.dilation_h);
  const int64_t iw = TapInput(ow, g.stride_w, g.pad_left, kw, g.dilation_w);
  return src[(ih * g.in_w + iw) * g.in_channels + c];
}

// Reduce mode (src/kernels/direct.h): output o (the tile's j-th) of pixel (oh, ow) as lanes partial sums over the
// taps inside the image (filter rows `rows`, the ones inside for output row oh), then added by halves.
float ReducedOutput(const DirectGeometry& g, const float* src, const float* w, kernels::TapRange rows, int64_t oh,
                    int64_t ow, int64_t o, int64_t j, bool fused, int64_t lanes) {
  const kernels::TapRange columns =
      kernels::TapsInside(ow, g.stride_w, g.pad_left, g.dilation_w, g.kernel_w, g.in_w);
  std::vector<float> sums(static_cast<size_t>(lanes), 0.0f);
  for (int64_t l = 0; l < lanes; ++l) {
    float& acc = sums[static_cast<size_t>(l)];
    for (int64_t kh = rows.lo; kh < rows.hi; ++kh)
      for (int64_t kw = columns.lo; kw < columns.hi; ++kw)
        for (int64_t ic = l; ic < g.cpg; ic += lanes) {
          const float x = InputAt(g, src, oh, ow, kh, kw, o / g.opg * g.cpg + ic);
          acc = MulAdd(x, w[((j * g.kernel_h + kh) * g.kernel_w + kw) * g.cpg + ic], acc, fused);
        }
  }
  for (size_t half = sums.size() / 2; half > 0; half /= 2) {
    for (size_t i = 0; i < half; ++i) sums[i] += sums[i + half];
  }
  return sums[0];
}

}  // namespace

void DirectForwardNhwc(const DirectGeometry& g, const kernels::DirectTile& t, const float* src, const float* weights,
                       int64_t ldw, int64_t weights_step, float* dst, bool fused, int64_t lanes) {
  const int64_t width = kernels::DirectGroupsPerTile(g, lanes) * g.opg, o0 = t.group * g.opg, o1 = o0 + t.tiles * width;
  for (int64_t oh = t.row0; oh < t.row1; ++oh) {
    const kernels::TapRange rows = kernels::TapsInside(oh, g.stride_h, g.pad_top, g.dilation_h, g.kernel_h, g.in_h);
    for (int64_t ow = 0; ow < g.out_w; ++ow)
      for (int64_t o = o0; o < o1; ++o) {
        const float* w = weights + (o - o0) / width * weights_step;
        const int64_t j = (o - o0) % width;
        if (kernels::DirectReduces(g, lanes)) {
          dst[oh * g.out_row + ow * g.out_pixel + o] = ReducedOutput(g, src, w, rows, oh, ow, o, j, fused, lanes);
          continue;
        }
        float acc = 0.0f;
        for (int64_t kh = rows.lo; kh < rows.hi; ++kh)
          for (int64_t kw = 0; kw < g.kernel_w; ++kw)
            for (int64_t ic = 0; ic < g.cpg; ++ic) {
              const float x = InputAt(g, src, oh, ow, kh, kw, o / g.opg * g.cpg + ic);
              acc = MulAdd(x, w[((kh * g.kernel_w + kw) * g.cpg + ic) * ldw + j], acc, fused);
            }
        dst[oh * g.out_row + ow * g.out_pixel + o] = acc;
      }
  }
}

void DirectBackpropFilterNhwc(const DirectGeometry& g, const kernels::DirectTile& t, const float* src,
                              const float* diff_dst, int64_t ldw, int64_t weights_step, float* dw, bool accumulate,
                              bool fused, int64_t lanes) {
  const int64_t width = kernels::DirectGroupsPerTile(g, lanes) * g.opg, o0 = t.group * g.opg, o1 = o0 + t.tiles * width;
  for (int64_t kh = 0; kh < g.kernel_h; ++kh)
    for (int64_t kw = 0; kw < g.kernel_w; ++kw)
      for (int64_t ic = 0; ic < g.cpg; ++ic)
        for (int64_t o = o0; o < o1; ++o) {
          float& acc =
              dw[(o - o0) / width * weights_step + ((kh * g.kernel_w + kw) * g.cpg + ic) * ldw + (o - o0) % width];
          if (!accumulate) acc = 0.0f;
          for (int64_t oh = t.row0; oh < t.row1; ++oh)
            for (int64_t ow = 0; ow < g.out_w; ++ow) {
              if (!Inside(g, oh, ow, kh, kw)) continue;  // the padding's products are skipped (direct.h)
              const float x = InputAt(g, src, oh, ow, kh, kw, o / g.opg * g.cpg + ic);
              acc = MulAdd(x, diff_dst[oh * g.out_row + ow * g.out_pixel + o], acc, fused);
            }
        }
}

}  // namespace reference
}  // namespace colconv
