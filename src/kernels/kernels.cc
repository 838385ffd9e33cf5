// The kernel table, assembled from the Highway dispatch units (kernels.h), and the targets this build has.
#include "src/kernels/kernels.h"

#include "hwy/targets.h"

namespace colconv {
namespace kernels {

// Each unit dispatches on Highway's one chosen target, so the table's kernels all belong to the same target.
KernelTable ChooseKernels() {
  KernelTable t;
  AddColumnKernels(&t);
  AddDepthwiseNhwcForwardKernels(&t);
  AddDepthwiseNhwcBackpropKernels(&t);
  AddDepthwiseNchwKernels(&t);
  AddDirectNhwcKernels(&t);
  return t;
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
