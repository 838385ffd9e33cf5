// The direct NHWC kernels' Highway dispatch unit, compiled once per target.
#include "src/kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/direct_nhwc.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/direct_nhwc-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

void AddDirectNhwcKernels(KernelTable* t) {
  t->direct_forward_nhwc = &DirectForwardNhwc;
  t->direct_band_nhwc = &DirectBandNhwc;
  t->direct_forward_on_band_nhwc = &DirectForwardOnBandNhwc;
  t->direct_forward_skipping_edges_nhwc = &DirectForwardSkippingEdgesNhwc;
  t->direct_backprop_filter_nhwc = &DirectBackpropFilterNhwc;
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace colconv {
namespace kernels {

HWY_EXPORT(AddDirectNhwcKernels);

void AddDirectNhwcKernels(KernelTable* t) { HWY_DYNAMIC_DISPATCH(AddDirectNhwcKernels)(t); }

}  // namespace kernels
}  // namespace colconv
#endif
