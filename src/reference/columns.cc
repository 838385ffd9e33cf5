#include "src/reference/columns.h"

#include "src/kernels/window.h"

namespace colconv {
namespace reference {

int64_t ColumnSource(const kernels::ColGeometry& g, const kernels::ColTile& t, bool nhwc, int64_t p, int64_t k) {
  const int64_t taps = g.kernel_h * g.kernel_w;
  const bool tap_major = t.order == kernels::KOrder::kTapMajor;
  const int64_t c = t.channel0 + (tap_major ? k % t.channels : k / taps);
  const int64_t tap = tap_major ? k / t.channels : k % taps;
  const int64_t oh = p / g.out_w, ow = p % g.out_w;
  const int64_t ih = kernels::TapInput(oh, g.stride_h, g.pad_top, tap / g.kernel_w, g.dilation_h);
  const int64_t iw = kernels::TapInput(ow, g.stride_w, g.pad_left, tap % g.kernel_w, g.dilation_w);
  if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) return -1;
  return nhwc ? (ih * g.in_w + iw) * g.channels + c : (c * g.in_h + ih) * g.in_w + iw;
}

namespace {
int64_t Entry(bool nhwc, const kernels::ColTile& t, int64_t ld, int64_t p, int64_t k) {
  return nhwc ? (p - t.p0) * ld + (k - t.k0) : (k - t.k0) * ld + (p - t.p0);
}
}  // namespace

void Im2col(const kernels::ColGeometry& g, const kernels::ColTile& t, bool nhwc, const float* src, float* col,
            int64_t ld) {
  for (int64_t p = t.p0; p < t.p1; ++p) {
    for (int64_t k = t.k0; k < t.k1; ++k) {
      const int64_t s = ColumnSource(g, t, nhwc, p, k);
      col[Entry(nhwc, t, ld, p, k)] = s < 0 ? 0.0f : src[s];
    }
  }
}

void Col2im(const kernels::ColGeometry& g, const kernels::ColTile& t, bool nhwc, const float* col, int64_t ld,
            float* diff_src) {
  auto add = [&](int64_t p, int64_t k) {
    const int64_t s = ColumnSource(g, t, nhwc, p, k);
    if (s >= 0) diff_src[s] += col[Entry(nhwc, t, ld, p, k)];
  };
  if (nhwc) {
    for (int64_t p = t.p0; p < t.p1; ++p)
      for (int64_t k = t.k0; k < t.k1; ++k) add(p, k);
  } else {
    for (int64_t k = t.k0; k < t.k1; ++k)
      for (int64_t p = t.p0; p < t.p1; ++p) add(p, k);
  }
}

}  // namespace reference
}  // namespace colconv
