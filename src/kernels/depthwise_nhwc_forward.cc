// The NHWC depthwise forward kernels' Highway dispatch unit, compiled once per target (the 5- and 7-wide windows
// in depthwise_nhwc_forward_wide.cc).
#include "src/kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/depthwise_nhwc_forward.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/depthwise_nhwc_forward-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE void DwForwardNhwc(const DwGeometry& geometry, const DwTile& tile, const float* HWY_RESTRICT src,
                                const float* HWY_RESTRICT weights, int64_t ldw, float* HWY_RESTRICT dst,
                                float* HWY_RESTRICT scratch) {
  // Copies the compiler knows no store reaches: Highway's stores may alias anything, and loops reload through a
  // reference after each one.
  const DwGeometry g = geometry;
  const DwTile t = tile;
  switch (g.multiplier) {
    case 1:
      return DwForwardNhwcM<1>(g, t, src, weights, ldw, dst, scratch);
    case 2:
      return DwForwardNhwcM<2>(g, t, src, weights, ldw, dst, scratch);
    case 3:
      return DwForwardNhwcM<3>(g, t, src, weights, ldw, dst, scratch);
    case 4:
      return DwForwardNhwcM<4>(g, t, src, weights, ldw, dst, scratch);
    default:
      return DwForwardNhwcM<0>(g, t, src, weights, ldw, dst, scratch);
  }
}

void AddDepthwiseNhwcForwardKernels(KernelTable* t) {
  t->dw_forward_nhwc = &DwForwardNhwc;
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace colconv {
namespace kernels {

HWY_EXPORT(AddDepthwiseNhwcForwardKernels);

void AddDepthwiseNhwcForwardKernels(KernelTable* t) { HWY_DYNAMIC_DISPATCH(AddDepthwiseNhwcForwardKernels)(t); }

}  // namespace kernels
}  // namespace colconv
#endif
