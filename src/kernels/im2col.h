// im2col kernels, compiled for every Highway target (im2col-inl.h) and chosen at run time.
#ifndef COLCONV_SRC_KERNELS_IM2COL_H_
#define COLCONV_SRC_KERNELS_IM2COL_H_

#include <cstddef>
#include <cstdint>

#include "src/kernels/col_tile.h"

namespace colconv {
namespace kernels {

struct Im2colKernels {
  Im2colFn nhwc;   // pixel rows, tap-major
  Im2colFn nchw;   // K rows, either order
  int64_t target;  // the HWY_* bit the functions were compiled for
  size_t lanes;    // floats per vector on that target
};

// The kernels of the best target among those the CPU supports (and hwy::SetSupportedTargetsForTest allows).
Im2colKernels ChooseIm2col();

}  // namespace kernels
}  // namespace colconv

#endif  // COLCONV_SRC_KERNELS_IM2COL_H_
