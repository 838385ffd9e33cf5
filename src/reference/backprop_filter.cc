#include <cmath>

#include "src/checked_math.h"
#include "src/layout.h"
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
      const Int128 ih = Int128(oh) * g.height.stride - g.height.pad_before + Int128(kh) * g.height.dilation;
      if (ih < 0 || ih >= g.height.input) continue;
      for (int64_t ow = 0; ow < g.width.output; ++ow) {
        const Int128 iw = Int128(ow) * g.width.stride - g.width.pad_before + Int128(kw) * g.width.dilation;
        if (iw < 0 || iw >= g.width.input) continue;
        const double p = double(src[si(n, c, static_cast<int64_t>(ih), static_cast<int64_t>(iw))]) * double(diff_dst[di(n, oc, oh, ow)]);
        v.value += p;
        v.magnitude += std::fabs(p);
      }
    }
  }
  return v;
}

void BackpropFilter(const Conv2dGeometry& g, const float* src, const float* diff_dst, float* diff_weights) {
  if (g.out_channels * g.in_channels_per_group() * g.height.filter * g.width.filter == 0) return;
  const FilterIndex wi = WeightsIndex(g);
  for (int64_t oc = 0; oc < g.out_channels; ++oc)
    for (int64_t ic = 0; ic < g.in_channels_per_group(); ++ic)
      for (int64_t kh = 0; kh < g.height.filter; ++kh)
        for (int64_t kw = 0; kw < g.width.filter; ++kw)
          diff_weights[wi(oc, ic, kh, kw)] =
              static_cast<float>(BackpropFilterAt(g, src, diff_dst, oc, ic, kh, kw).value);
}

}  // namespace reference
}  // namespace colconv
