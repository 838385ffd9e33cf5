// The NCHW depthwise kernels' Highway dispatch unit, compiled once per target.
#include "src/kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/depthwise_nchw.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/depthwise_nchw-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

void AddDepthwiseNchwKernels(KernelTable* t) {
  t->dw_forward_nchw = &DwForwardNchw;
  t->dw_backprop_input_nchw = &DwBackpropInputNchw;
  t->dw_backprop_filter_nchw = &DwBackpropFilterNchw;
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace colconv {
namespace kernels {

HWY_EXPORT(AddDepthwiseNchwKernels);

void AddDepthwiseNchwKernels(KernelTable* t) { HWY_DYNAMIC_DISPATCH(AddDepthwiseNchwKernels)(t); }

}  // namespace kernels
}  // namespace colconv
#endif
