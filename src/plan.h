// A plan: one resolved problem with its algorithm, tiles, kernels and workspace size, fixed at creation.
#ifndef COLCONV_SRC_PLAN_H_
#define COLCONV_SRC_PLAN_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "colconv/conv2d.h"

namespace colconv {
namespace internal {

enum class Algorithm { kReference };

struct PlanImpl {
  Direction direction = Direction::kForward;
  Conv2dGeometry geometry;
  Algorithm algorithm = Algorithm::kReference;
  size_t workspace_bytes = 0;
  std::string description;

  // The plan's own workspace, lent to one run at a time.
  std::unique_ptr<unsigned char[]> owned_workspace;
  mutable std::atomic<bool> owned_workspace_busy{false};
};

Status MakePlan(Direction direction, const Conv2dGeometry& geometry, const PlanOptions& options,
                std::shared_ptr<PlanImpl>* plan);

// The three runs; pointers are checked by the caller. `workspace` holds plan.workspace_bytes or is null.
void RunForward(const PlanImpl& plan, const float* src, const float* weights, float* dst, void* workspace);
void RunBackpropInput(const PlanImpl& plan, const float* weights, const float* diff_dst, float* diff_src,
                      void* workspace);
void RunBackpropFilter(const PlanImpl& plan, const float* src, const float* diff_dst, float* diff_weights,
                       void* workspace);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_PLAN_H_
