// What a public Conv2dPlan or Conv2dOperator holds: the shared internal plan, the workers its runs use, and its own
// workspace, lent to one run at a time (runs that find it taken allocate a temporary one, and count it).
#ifndef COLCONV_SRC_API_PLAN_IMPL_H_
#define COLCONV_SRC_API_PLAN_IMPL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "src/api/wall.h"
#include "src/plan.h"

namespace colconv {
namespace internal {

struct PlanImpl {
  std::shared_ptr<const Plan> plan;
  int workers = 1;
  size_t workspace_bytes = 0;
  std::unique_ptr<unsigned char[]> own_workspace;
  mutable std::atomic<bool> own_workspace_busy{false};
  mutable std::atomic<int64_t> temporary_workspaces{0};

  // Calls run(workspace): the caller's, else the plan's own when free, else a temporary one.
  template <typename F>
  void WithWorkspace(void* caller, F&& run) const {
    if (caller != nullptr || workspace_bytes == 0) return run(caller);
    bool expected = false;
    if (own_workspace && own_workspace_busy.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
      struct Release {
        const PlanImpl& p;
        ~Release() { p.own_workspace_busy.store(false, std::memory_order_release); }
      } release{*this};
      return run(own_workspace.get());
    }
    std::unique_ptr<unsigned char[]> temporary(new unsigned char[workspace_bytes]);
    temporary_workspaces.fetch_add(1, std::memory_order_relaxed);
    run(temporary.get());
  }
};

// Validates and plans a request (for prepacked weights: an operator's); *impl changes only on success.
Status CreatePlanImpl(const Request& request, const PlanOptions& options, bool prepacked_weights,
                      std::shared_ptr<const PlanImpl>* impl);

// Checks that the plan is made for this direction and each pointer fits its tensor, then runs it. `what` names the
// method for messages ("Conv2dPlan::Forward").
Status RunPlanImpl(const PlanImpl* impl, Direction direction, const char* what, const OpTensors& tensors,
                   void* workspace);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_API_PLAN_IMPL_H_
