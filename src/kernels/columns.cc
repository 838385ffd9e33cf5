// The column kernels' Highway dispatch unit: im2col, col2im and the transposes, compiled once per target;
// it also records which target the table holds.
#include "src/kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/columns.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/targets.h"
#include "src/kernels/col2im-inl.h"
#include "src/kernels/im2col-inl.h"
#include "src/kernels/transpose-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

void AddColumnKernels(KernelTable* t) {
  t->im2col_nhwc = &Im2colNhwc;
  t->im2col_nchw = &Im2colNchw;
  t->col2im_nhwc = &Col2imNhwc;
  t->col2im_nchw = &Col2imNchw;
  t->transpose = &Transpose;
  t->fused = HWY_NATIVE_FMA != 0;
  t->target = HWY_TARGET;
  t->target_name = hwy::TargetName(HWY_TARGET);
  t->lanes = hwy::HWY_NAMESPACE::Lanes(hwy::HWY_NAMESPACE::ScalableTag<float>());
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace colconv {
namespace kernels {

HWY_EXPORT(AddColumnKernels);

void AddColumnKernels(KernelTable* t) { HWY_DYNAMIC_DISPATCH(AddColumnKernels)(t); }

}  // namespace kernels
}  // namespace colconv
#endif
