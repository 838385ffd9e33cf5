#include "src/api/plan_impl.h"

#include <new>

#include "src/shape.h"
#include "src/str_cat.h"
#include "src/threading.h"

namespace colconv {
namespace internal {

Status CreatePlanImpl(const Request& request, const PlanOptions& options, bool prepacked_weights,
                      std::shared_ptr<const PlanImpl>* impl) {
  return Guarded([&] {
    Conv2dGeometry g;
    Status s = Resolve(request, &g);
    auto made = std::make_shared<PlanImpl>();
    if (s.ok()) s = MakePlan(request.direction, g, options, prepacked_weights, &made->plan);
    if (!s.ok()) return s;
    made->workers = made->plan->Workers(EffectiveNumThreads(options.num_threads));
    made->workspace_bytes = made->plan->WorkspaceBytes(made->workers);
    if (options.own_workspace && made->workspace_bytes > 0) {
      made->own_workspace.reset(new (std::nothrow) unsigned char[made->workspace_bytes]);
      if (!made->own_workspace) {
        return Status(StatusCode::kResourceExhausted, StrCat(OpName(request.direction), ": cannot allocate the plan's workspace of ",
                                                             made->workspace_bytes, " bytes"));
      }
    }
    *impl = std::move(made);
    return s;
  });
}

Status RunPlanImpl(const PlanImpl* impl, Direction direction, const char* what, const OpTensors& tensors,
                   void* workspace) {
  return Guarded([&] {
    if (impl == nullptr) return Status(StatusCode::kInvalidArgument, StrCat(what, ": it is empty: no Create* has succeeded on it"));
    if (impl->plan->direction != direction) {
      return Status(StatusCode::kInvalidArgument, StrCat(what, ": it was created for ", OpName(impl->plan->direction)));
    }
    Status s = CheckTensors(*impl->plan, tensors);
    if (s.ok()) impl->WithWorkspace(workspace, [&](void* ws) { RunChecked(*impl->plan, impl->workers, tensors, ws); });
    return s;
  });
}

}  // namespace internal
}  // namespace colconv
