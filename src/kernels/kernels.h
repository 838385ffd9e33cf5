// The kernel table a plan binds to, and the Highway targets this build has. Each kernel family (*-inl.h) is
// compiled once per target in its own Highway dispatch unit (columns.cc: im2col, col2im, transposes;
// depthwise_nhwc_forward.cc; depthwise_nhwc_backprop.cc; depthwise_nchw.cc; direct_nhwc.cc), so the units, the
// slowest files to compile, build in parallel; kernels.cc assembles their parts into one table.
#ifndef COLCONV_SRC_KERNELS_KERNELS_H_
#define COLCONV_SRC_KERNELS_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "src/kernels/col_tile.h"
#include "src/kernels/depthwise.h"
#include "src/kernels/direct.h"
#include "src/kernels/transpose.h"

namespace colconv {
namespace kernels {

struct KernelTable {
  Im2colFn im2col_nhwc;  // pixel rows, tap-major
  Im2colFn im2col_nchw;  // K rows, either order
  Col2imFn col2im_nhwc;
  Col2imFn col2im_nchw;
  DwForwardFn dw_forward_nhwc;
  DwBackpropInputFn dw_backprop_input_nhwc;
  DwBackpropFilterFn dw_backprop_filter_nhwc;
  DwNchwFn dw_forward_nchw;
  DwNchwFn dw_backprop_input_nchw;
  DwNchwFilterFn dw_backprop_filter_nchw;
  DirectForwardFn direct_forward_nhwc;
  DirectBandFn direct_band_nhwc;
  DirectForwardOnBandFn direct_forward_on_band_nhwc;
  DirectForwardOnBandFn direct_forward_skipping_edges_nhwc;
  DirectBackpropFilterFn direct_backprop_filter_nhwc;
  TransposeFn transpose;
  bool fused;            // a multiply-add rounds once (the target has FMA): what the kernels' emulation must do
  int64_t target;        // the HWY_* bit the kernels were compiled for
  const char* target_name;
  size_t lanes;          // floats per vector on that target
};

// The kernels of the best target the CPU supports (or hwy::SetSupportedTargetsForTest allows).
KernelTable ChooseKernels();

// The dispatch units: each fills its kernels (and AddColumnKernels the target's name, lanes and FMA) for the
// chosen target.
void AddColumnKernels(KernelTable* t);
void AddDepthwiseNhwcForwardKernels(KernelTable* t);
void AddDepthwiseNhwcBackpropKernels(KernelTable* t);
void AddDepthwiseNchwKernels(KernelTable* t);
void AddDirectNhwcKernels(KernelTable* t);

// Targets compiled into this binary, and those of them this CPU runs, best first.
std::vector<int64_t> CompiledTargets();
std::vector<int64_t> RunnableTargets();
const char* TargetName(int64_t target);

}  // namespace kernels
}  // namespace colconv

#endif  // COLCONV_SRC_KERNELS_KERNELS_H_
