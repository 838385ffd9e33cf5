#include "src/layout.h"
#include "src/reference/positions.h"
#include "src/reference/reference.h"

namespace colconv {
namespace reference {

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
        v.Add(diff_dst[di(n, oc, oh, ow)], weights[wi(oc, ic, kh, kw)]);
      }
    }
  }
  return v;
}

void BackpropInput(const Conv2dGeometry& g, const float* weights, const float* diff_dst, float* diff_src) {
  if (g.batch * g.in_channels * g.height.input * g.width.input == 0) return;
  const TensorIndex si = SrcIndex(g);
  ForEachIndex({g.batch, g.in_channels, g.height.input, g.width.input}, [&](int64_t n, int64_t c, int64_t ih, int64_t iw) {
    diff_src[si(n, c, ih, iw)] = static_cast<float>(BackpropInputAt(g, weights, diff_dst, n, c, ih, iw).value);
  });
}

}  // namespace reference
}  // namespace colconv
