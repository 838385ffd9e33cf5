#include <cmath>

#include "src/checked_math.h"
#include "src/layout.h"
#include "src/reference/reference.h"

namespace colconv {
namespace reference {
namespace {

// The output position o whose window puts filter tap k on input position i, or -1 when there is none.
// Positions are exact (128-bit): pads and dilations may be anywhere in int64.
int64_t OutputFor(const SpatialDim& d, int64_t i, int64_t k) {
  const Int128 t = Int128(i) + d.pad_before - Int128(k) * d.dilation;
  if (t < 0 || t % d.stride != 0) return -1;
  const Int128 o = t / d.stride;
  return o < d.output ? static_cast<int64_t>(o) : -1;
}

}  // namespace

Value BackpropInputAt(const Conv2dGeometry& g, const float* weights, const float* diff_dst, int64_t n,
                      int64_t c, int64_t ih, int64_t iw) {
  const TensorIndex di = DstIndex(g);
  const FilterIndex wi = WeightsIndex(g);
  const int64_t icg = g.in_channels_per_group();
  const int64_t ocg = g.out_channels_per_group();
  const int64_t group = c / icg;
  const int64_t ic = c % icg;
  Value v;
  if (ocg == 0) return v;  // no output channel: an empty filter, whose kernel sizes bound nothing
  for (int64_t kh = 0; kh < g.height.filter; ++kh) {
    const int64_t oh = OutputFor(g.height, ih, kh);
    if (oh < 0) continue;
    for (int64_t kw = 0; kw < g.width.filter; ++kw) {
      const int64_t ow = OutputFor(g.width, iw, kw);
      if (ow < 0) continue;
      for (int64_t oc = group * ocg; oc < (group + 1) * ocg; ++oc) {
        const double p = double(diff_dst[di(n, oc, oh, ow)]) * double(weights[wi(oc, ic, kh, kw)]);
        v.value += p;
        v.magnitude += std::fabs(p);
      }
    }
  }
  return v;
}

void BackpropInput(const Conv2dGeometry& g, const float* weights, const float* diff_dst, float* diff_src) {
  if (g.batch * g.in_channels * g.height.input * g.width.input == 0) return;
  const TensorIndex si = SrcIndex(g);
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t c = 0; c < g.in_channels; ++c)
      for (int64_t ih = 0; ih < g.height.input; ++ih)
        for (int64_t iw = 0; iw < g.width.input; ++iw)
          diff_src[si(n, c, ih, iw)] =
              static_cast<float>(BackpropInputAt(g, weights, diff_dst, n, c, ih, iw).value);
}

}  // namespace reference
}  // namespace colconv
