// Compiles col2im-inl.h once per Highway target and exports the per-target table.
#include "src/kernels/dispatch.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/col2im.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/col2im-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

TargetKernels<Col2imFn> GetCol2imKernels() {
  return {&Col2imNhwc, &Col2imNchw, HWY_TARGET, hwy::HWY_NAMESPACE::Lanes(hwy::HWY_NAMESPACE::ScalableTag<float>())};
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace colconv {
namespace kernels {

HWY_EXPORT(GetCol2imKernels);

TargetKernels<Col2imFn> ChooseCol2im() { return HWY_DYNAMIC_DISPATCH(GetCol2imKernels)(); }

}  // namespace kernels
}  // namespace colconv
#endif
