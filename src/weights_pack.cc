#include "src/weights_pack.h"

#include "src/conv_common.h"
#include "src/parallel.h"

namespace colconv {
namespace internal {

void PackOihwTapMajor(const Conv2dGeometry& g, const float* oihw, int64_t group, int64_t oc0, int64_t oc1,
                      float* packed) {
  const int64_t icg = g.in_channels_per_group(), ocg = g.out_channels_per_group();
  const int64_t taps = g.height.filter * g.width.filter, k = taps * icg;
  float* out = packed + group * k * ocg;
  for (int64_t oc = oc0; oc < oc1; ++oc) {
    const float* in = oihw + (group * ocg + oc) * k;
    for (int64_t ic = 0; ic < icg; ++ic)
      for (int64_t tap = 0; tap < taps; ++tap) out[(tap * icg + ic) * ocg + oc] = in[ic * taps + tap];
  }
}

void PackFilter(const PlanImpl& plan, const float* oihw, float* packed) {
  const Conv2dGeometry& g = plan.geometry;
  const int64_t ocg = g.out_channels_per_group(), chunks = CeilDiv(ocg, 16);
  ForEachTask(plan.workers, g.groups * chunks, [&](int, int64_t task) {
    const Range oc = BlockOf(task % chunks, 16, ocg);
    PackOihwTapMajor(g, oihw, task / chunks, oc.begin, oc.end, packed);
  });
}

void UnpackTapMajorToOihw(const Conv2dGeometry& g, const float* packed, int64_t group, int64_t k0, int64_t k1,
                          int64_t oc0, int64_t oc1, float* oihw) {
  const int64_t icg = g.in_channels_per_group(), ocg = g.out_channels_per_group();
  const int64_t taps = g.height.filter * g.width.filter, k = taps * icg;
  const float* in = packed + group * k * ocg;
  for (int64_t row = k0; row < k1; ++row) {
    const int64_t tap = row / icg, ic = row % icg;
    for (int64_t oc = oc0; oc < oc1; ++oc) oihw[((group * ocg + oc) * icg + ic) * taps + tap] = in[row * ocg + oc];
  }
}

}  // namespace internal
}  // namespace colconv
