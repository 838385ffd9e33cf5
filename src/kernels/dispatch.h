// The per-target tables that im2col.cc and col2im.cc export, each compiled for every Highway target and
// chosen at run time; kernels.h joins them into the table a plan binds.
#ifndef COLCONV_SRC_KERNELS_DISPATCH_H_
#define COLCONV_SRC_KERNELS_DISPATCH_H_

#include <cstddef>
#include <cstdint>

#include "src/kernels/col_tile.h"

namespace colconv {
namespace kernels {

template <typename Fn>
struct TargetKernels {
  Fn nhwc;         // pixel rows, tap-major
  Fn nchw;         // K rows, either order
  int64_t target;  // the HWY_* bit the functions were compiled for
  size_t lanes;    // floats per vector on that target
};

// The kernels of the best target among those the CPU supports (and hwy::SetSupportedTargetsForTest allows).
TargetKernels<Im2colFn> ChooseIm2col();
TargetKernels<Col2imFn> ChooseCol2im();

}  // namespace kernels
}  // namespace colconv

#endif  // COLCONV_SRC_KERNELS_DISPATCH_H_
