#include "src/plan.h"

#include "src/reference/reference.h"
#include "src/str_cat.h"

namespace colconv {
namespace internal {

Status MakePlan(Direction direction, const Conv2dGeometry& geometry, const PlanOptions& options,
                std::shared_ptr<PlanImpl>* plan) {
  auto impl = std::make_shared<PlanImpl>();
  impl->direction = direction;
  impl->geometry = geometry;
  impl->algorithm = Algorithm::kReference;
  impl->workspace_bytes = 0;
  impl->description = "reference";
  if (options.own_workspace && impl->workspace_bytes > 0) {
    impl->owned_workspace.reset(new unsigned char[impl->workspace_bytes]);
  }
  *plan = std::move(impl);
  return Status();
}

void RunForward(const PlanImpl& plan, const float* src, const float* weights, float* dst, void*) {
  reference::Forward(plan.geometry, src, weights, dst);
}

void RunBackpropInput(const PlanImpl& plan, const float* weights, const float* diff_dst, float* diff_src, void*) {
  reference::BackpropInput(plan.geometry, weights, diff_dst, diff_src);
}

void RunBackpropFilter(const PlanImpl& plan, const float* src, const float* diff_dst, float* diff_weights,
                       void*) {
  reference::BackpropFilter(plan.geometry, src, diff_dst, diff_weights);
}

}  // namespace internal
}  // namespace colconv
