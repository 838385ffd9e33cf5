// The NHWC depthwise backprop kernels' Highway dispatch unit, compiled once per target.
#include "src/kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/depthwise_nhwc_backprop.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/depthwise_nhwc_backprop-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

void AddDepthwiseNhwcBackpropKernels(KernelTable* t) {
  t->dw_backprop_input_nhwc = &DwBackpropInputNhwc;
  t->dw_backprop_filter_nhwc = &DwBackpropFilterNhwc;
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace colconv {
namespace kernels {

HWY_EXPORT(AddDepthwiseNhwcBackpropKernels);

void AddDepthwiseNhwcBackpropKernels(KernelTable* t) { HWY_DYNAMIC_DISPATCH(AddDepthwiseNhwcBackpropKernels)(t); }

}  // namespace kernels
}  // namespace colconv
#endif
