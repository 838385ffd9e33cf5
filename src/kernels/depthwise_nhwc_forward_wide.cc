// The NHWC depthwise forward's 5- and 7-wide windows, compiled once per target: called by
// depthwise_nhwc_forward.cc's kernels of the same target, so this unit exports no dispatch table.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/depthwise_nhwc_forward_wide.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/depthwise_nhwc_forward-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

void ForwardWideWindowTile(const DwGeometry& g, const DwTile& t, const float* src, const float* w, int64_t ldw,
                           float* dst, float* scratch) {
  const hn::ScalableTag<float> d;
  if (g.kernel_w == 5) {
    if (g.stride_w == 1) return ForwardWindowTile<5, 1, 1>(d, g, t, src, w, ldw, dst, scratch);
    return ForwardWindowTile<5, 2, 1>(d, g, t, src, w, ldw, dst, scratch);
  }
  if (g.stride_w == 1) return ForwardWindowTile<7, 1, 1>(d, g, t, src, w, ldw, dst, scratch);
  ForwardWindowTile<7, 2, 1>(d, g, t, src, w, ldw, dst, scratch);
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();
