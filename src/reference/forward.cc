#include "src/layout.h"
#include "src/reference/positions.h"
#include "src/reference/reference.h"

namespace colconv {
namespace reference {

Value ForwardAt(const Conv2dGeometry& g, const float* src, const float* weights, int64_t n, int64_t oc,
                int64_t oh, int64_t ow) {
  const TensorIndex si = SrcIndex(g);
  const FilterIndex wi = WeightsIndex(g);
  const int64_t icg = g.in_channels_per_group();
  const int64_t group = oc / g.out_channels_per_group();
  Value v;
  for (int64_t ic = 0; ic < icg; ++ic) {
    for (int64_t kh = 0; kh < g.height.filter; ++kh) {
      const int64_t ih = InputFor(g.height, oh, kh);
      if (ih < 0) continue;
      for (int64_t kw = 0; kw < g.width.filter; ++kw) {
        const int64_t iw = InputFor(g.width, ow, kw);
        if (iw < 0) continue;
        v.Add(src[si(n, group * icg + ic, ih, iw)], weights[wi(oc, ic, kh, kw)]);
      }
    }
  }
  return v;
}

void Forward(const Conv2dGeometry& g, const float* src, const float* weights, float* dst) {
  if (g.batch * g.out_channels * g.height.output * g.width.output == 0) return;  // a batch of 2^40 empty images
  const TensorIndex di = DstIndex(g);
  ForEachIndex({g.batch, g.out_channels, g.height.output, g.width.output}, [&](int64_t n, int64_t oc, int64_t oh, int64_t ow) {
    dst[di(n, oc, oh, ow)] = static_cast<float>(ForwardAt(g, src, weights, n, oc, oh, ow).value);
  });
}

}  // namespace reference
}  // namespace colconv
