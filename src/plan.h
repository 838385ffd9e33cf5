// A plan: one resolved problem with the algorithm that computes it, its executable (tiles, tasks) and workspace
// layout, the GEMM backend and SIMD kernels, all fixed when it is made. Nothing in a plan follows the thread
// count, so every run gives the same bits whatever runs it; the workers of a run are decided beside it
// (src/threading.h).
#ifndef COLCONV_SRC_PLAN_H_
#define COLCONV_SRC_PLAN_H_

#include <cstddef>
#include <memory>
#include <string>

#include "colconv/conv2d.h"
#include "src/algorithms/algorithm.h"
#include "src/gemm/gemm.h"
#include "src/kernels/kernels.h"
#include "src/workspace.h"

namespace colconv {
namespace internal {

struct Plan {
  Direction direction = Direction::kForward;
  Conv2dGeometry geometry;
  const Algorithm* algorithm = nullptr;
  std::string declined;  // why the algorithms before it declined: "empty: ...; reference: ..."
  std::unique_ptr<const Executable> executable;
  WorkspaceLayout workspace;
  size_t workspace_budget = 0;  // the caller's, or 0 for the default
  PostOps post_ops;
  bool prepacked_weights = false;  // runs receive the weights packed by executable->weights_packing()
  const gemm::Backend* gemm = nullptr;
  kernels::KernelTable kernels{};

  int Workers(int threads) const;
  size_t WorkspaceBytes(int workers) const { return workspace.Bytes(workers); }
  // "im2col_gemm [AVX3] NHWC/HWIO: 12 tasks of 256 px x 576 k, 2 workers, workspace 4722752 bytes"
  std::string Describe(int workers) const;
};

// Chooses the first registered algorithm that computes the problem and plans it. Fails when the post-ops do not
// apply to the direction, when no algorithm computes it, or when a budget the caller set
// (options.workspace_budget) cannot hold one worker's workspace, or the workspace would take more than half the
// machine's memory. prepacked_weights: an operator's plan, whose runs receive packed weights.
Status MakePlan(Direction direction, const Conv2dGeometry& geometry, const PlanOptions& options,
                bool prepacked_weights, std::shared_ptr<const Plan>* plan);

// Runs the plan on `workers` workers with `memory` (plan.WorkspaceBytes(workers) bytes at any alignment), and its
// post-ops where the algorithm does not fuse them. The operands are the caller's, checked.
void RunPlan(const Plan& plan, int workers, const Operands& io, void* memory);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_PLAN_H_
