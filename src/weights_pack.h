// Reorders an OIHW filter into the tap-major K x OCg matrix that NHWC column tiles multiply, and back.
#ifndef COLCONV_SRC_WEIGHTS_PACK_H_
#define COLCONV_SRC_WEIGHTS_PACK_H_

#include <cstdint>

#include "colconv/conv2d.h"

namespace colconv {
namespace internal {

// packed[(group * K + tap * ICg + ic) * OCg + oc] = oihw[((group * OCg + oc) * ICg + ic) * taps + tap] for the
// output channels [oc0, oc1) of one group.
void PackOihwTapMajor(const Conv2dGeometry& g, const float* oihw, int64_t group, int64_t oc0, int64_t oc1,
                      float* packed);
// The tap-major copy of a plan's OIHW filter for every group, written in parallel into `packed`.
struct PlanImpl;
void PackFilter(const PlanImpl& plan, const float* oihw, float* packed);

// The inverse, for rows [k0, k1) and output channels [oc0, oc1) of one group.
void UnpackTapMajorToOihw(const Conv2dGeometry& g, const float* packed, int64_t group, int64_t k0, int64_t k1,
                          int64_t oc0, int64_t oc1, float* oihw);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_WEIGHTS_PACK_H_
