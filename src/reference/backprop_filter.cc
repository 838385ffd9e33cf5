#include "src/layout.h"
#include "src/reference/positions.h"
#include "src/reference/reference.h"

namespace colconv {
namespace reference {

Value BackpropFilterAt(const Conv2dGeometry& g, const float* src, const float* diff_dst, int64_t oc, int64_t ic,
                       int64_t kh, int64_t kw) {
  const TensorIndex si = SrcIndex(g);
  const TensorIndex di = DstIndex(g);
  const int64_t c = oc / g.out_channels_per_group() * g.in_channels_per_group() + ic;
  Value v;
  if (g.height.output == 0 || g.width.output == 0) return v;  // nothing to sum, however large the batch
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t oh = 0; oh < g.height.output; ++oh) {
      const int64_t ih = InputFor(g.height, oh, kh);
      if (ih < 0) continue;
      for (int64_t ow = 0; ow < g.width.output; ++ow) {
        const int64_t iw = InputFor(g.width, ow, kw);
        if (iw < 0) continue;
        v.Add(src[si(n, c, ih, iw)], diff_dst[di(n, oc, oh, ow)]);
      }
    }
  }
  return v;
}

void BackpropFilter(const Conv2dGeometry& g, const float* src, const float* diff_dst, float* diff_weights) {
  if (g.out_channels * g.in_channels_per_group() * g.height.filter * g.width.filter == 0) return;
  const FilterIndex wi = WeightsIndex(g);
  ForEachIndex({g.out_channels, g.in_channels_per_group(), g.height.filter, g.width.filter},
               [&](int64_t oc, int64_t ic, int64_t kh, int64_t kw) {
                 diff_weights[wi(oc, ic, kh, kw)] = static_cast<float>(BackpropFilterAt(g, src, diff_dst, oc, ic, kh, kw).value);
               });
}

}  // namespace reference
}  // namespace colconv
