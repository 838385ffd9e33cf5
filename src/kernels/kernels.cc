// The one Highway dispatch unit: every kernel family compiled once per target, exported as one table.
#include "src/kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/targets.h"
#include "src/kernels/col2im-inl.h"
#include "src/kernels/depthwise_nchw-inl.h"
#include "src/kernels/depthwise_nhwc-inl.h"
#include "src/kernels/direct_nhwc-inl.h"
#include "src/kernels/im2col-inl.h"
#include "src/kernels/transpose-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

KernelTable GetKernelTable() {
  KernelTable t;
  t.im2col_nhwc = &Im2colNhwc;
  t.im2col_nchw = &Im2colNchw;
  t.col2im_nhwc = &Col2imNhwc;
  t.col2im_nchw = &Col2imNchw;
  t.dw_forward_nhwc = &DwForwardNhwc;
  t.dw_backprop_input_nhwc = &DwBackpropInputNhwc;
  t.dw_backprop_filter_nhwc = &DwBackpropFilterNhwc;
  t.dw_forward_nchw = &DwForwardNchw;
  t.dw_backprop_input_nchw = &DwBackpropInputNchw;
  t.dw_backprop_filter_nchw = &DwBackpropFilterNchw;
  t.direct_forward_nhwc = &DirectForwardNhwc;
  t.direct_backprop_filter_nhwc = &DirectBackpropFilterNhwc;
  t.transpose = &Transpose;
  t.fused = HWY_NATIVE_FMA != 0;
  t.target = HWY_TARGET;
  t.target_name = hwy::TargetName(HWY_TARGET);
  t.lanes = hwy::HWY_NAMESPACE::Lanes(hwy::HWY_NAMESPACE::ScalableTag<float>());
  return t;
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace colconv {
namespace kernels {

HWY_EXPORT(GetKernelTable);

KernelTable ChooseKernels() { return HWY_DYNAMIC_DISPATCH(GetKernelTable)(); }

std::vector<int64_t> CompiledTargets() {
  std::vector<int64_t> targets;
  for (int64_t bits = HWY_TARGETS; bits != 0; bits &= bits - 1) targets.push_back(bits & ~(bits - 1));
  return targets;
}

std::vector<int64_t> RunnableTargets() { return hwy::SupportedAndGeneratedTargets(); }

const char* TargetName(int64_t target) { return hwy::TargetName(target); }

}  // namespace kernels
}  // namespace colconv
#endif
