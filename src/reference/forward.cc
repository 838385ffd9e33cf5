#include <cmath>

#include "src/checked_math.h"
#include "src/layout.h"
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
      const Int128 ih = Int128(oh) * g.height.stride - g.height.pad_before + Int128(kh) * g.height.dilation;
      if (ih < 0 || ih >= g.height.input) continue;
      for (int64_t kw = 0; kw < g.width.filter; ++kw) {
        const Int128 iw = Int128(ow) * g.width.stride - g.width.pad_before + Int128(kw) * g.width.dilation;
        if (iw < 0 || iw >= g.width.input) continue;
        const double p = double(src[si(n, group * icg + ic, static_cast<int64_t>(ih), static_cast<int64_t>(iw))]) * double(weights[wi(oc, ic, kh, kw)]);
        v.value += p;
        v.magnitude += std::fabs(p);
      }
    }
  }
  return v;
}

void Forward(const Conv2dGeometry& g, const float* src, const float* weights, float* dst) {
  if (g.batch * g.out_channels * g.height.output * g.width.output == 0) return;  // a batch of 2^40 empty images
  const TensorIndex di = DstIndex(g);
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t oc = 0; oc < g.out_channels; ++oc)
      for (int64_t oh = 0; oh < g.height.output; ++oh)
        for (int64_t ow = 0; ow < g.width.output; ++ow)
          dst[di(n, oc, oh, ow)] = static_cast<float>(ForwardAt(g, src, weights, n, oc, oh, ow).value);
}

}  // namespace reference
}  // namespace colconv
