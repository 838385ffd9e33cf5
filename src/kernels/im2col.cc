// Compiles im2col-inl.h once per Highway target and exports the per-target table.
#include "src/kernels/dispatch.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/im2col.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/im2col-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

TargetKernels<Im2colFn> GetIm2colKernels() {
  return {&Im2colNhwc, &Im2colNchw, HWY_TARGET, hwy::HWY_NAMESPACE::Lanes(hwy::HWY_NAMESPACE::ScalableTag<float>())};
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace colconv {
namespace kernels {

HWY_EXPORT(GetIm2colKernels);

TargetKernels<Im2colFn> ChooseIm2col() { return HWY_DYNAMIC_DISPATCH(GetIm2colKernels)(); }

}  // namespace kernels
}  // namespace colconv
#endif
