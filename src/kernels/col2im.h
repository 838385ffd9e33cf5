// col2im kernels, compiled for every Highway target (col2im-inl.h) and chosen at run time.
#ifndef COLCONV_SRC_KERNELS_COL2IM_H_
#define COLCONV_SRC_KERNELS_COL2IM_H_

#include <cstddef>
#include <cstdint>

#include "src/kernels/col_tile.h"

namespace colconv {
namespace kernels {

struct Col2imKernels {
  Col2imFn nhwc;   // pixel rows, tap-major
  Col2imFn nchw;   // K rows, either order
  int64_t target;  // the HWY_* bit the functions were compiled for
  size_t lanes;    // floats per vector on that target
};

// The kernels of the best target among those the CPU supports (and hwy::SetSupportedTargetsForTest allows).
Col2imKernels ChooseCol2im();

}  // namespace kernels
}  // namespace colconv

#endif  // COLCONV_SRC_KERNELS_COL2IM_H_
