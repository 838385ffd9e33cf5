#include "src/kernels/kernels.h"

#include <stdexcept>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "src/kernels/dispatch.h"

namespace colconv {
namespace kernels {

KernelTable ChooseKernels() {
  const TargetKernels<Im2colFn> im2col = ChooseIm2col();
  const TargetKernels<Col2imFn> col2im = ChooseCol2im();
  // Both tables come from the same dispatch decision; a mismatch would mean two builds mixed in one binary.
  if (im2col.target != col2im.target) throw std::logic_error("im2col and col2im dispatched to different targets");
  return {im2col.nhwc, im2col.nchw, col2im.nhwc, col2im.nchw, im2col.target, hwy::TargetName(im2col.target),
          im2col.lanes};
}

std::vector<int64_t> CompiledTargets() {
  std::vector<int64_t> targets;
  for (int64_t bits = HWY_TARGETS; bits != 0; bits &= bits - 1) targets.push_back(bits & ~(bits - 1));
  return targets;
}

std::vector<int64_t> RunnableTargets() { return hwy::SupportedAndGeneratedTargets(); }

const char* TargetName(int64_t target) { return hwy::TargetName(target); }

}  // namespace kernels
}  // namespace colconv
