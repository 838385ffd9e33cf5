// The C++ API: plans and their runs, behind one wall that turns every failure into a Status.
#include <array>
#include <cstdint>
#include <memory>
#include <new>

#include "colconv/conv2d.h"
#include "src/parallel.h"
#include "src/plan.h"
#include "src/shape.h"
#include "src/str_cat.h"

namespace colconv {
namespace {

using internal::PlanImpl;

// Runs f, turning the exceptions that can escape colconv (allocation failures) into a Status.
template <typename F>
Status Guarded(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kResourceExhausted, "colconv: out of memory");
  } catch (const std::exception& e) {
    return Status(StatusCode::kInternal, StrCat("colconv: internal error: ", e.what()));
  }
}

Status CheckData(Direction d, const char* name, const void* data, const Shape4& shape) {
  if (data != nullptr || NumElements(shape) == 0) return Status();
  return Status(StatusCode::kInvalidArgument,
                StrCat(OpName(d), ": ", name, " is null but its shape [", shape[0], ", ", shape[1], ", ", shape[2],
                       ", ", shape[3], "] has ", NumElements(shape), " elements"));
}

Status CheckPlan(const PlanImpl* impl, Direction wanted, const char* method) {
  if (impl == nullptr) {
    return Status(StatusCode::kInvalidArgument, StrCat("Conv2dPlan::", method, ": the plan is empty"));
  }
  if (impl->direction != wanted) {
    return Status(StatusCode::kInvalidArgument,
                  StrCat("Conv2dPlan::", method, ": the plan was created for ", OpName(impl->direction)));
  }
  return Status();
}

// Lends run() a workspace: the caller's, else the plan's own when free, else a temporary one.
template <typename F>
void WithWorkspace(const PlanImpl& plan, void* workspace, F&& run) {
  if (workspace != nullptr || plan.workspace_bytes == 0) {
    run(workspace);
    return;
  }
  bool expected = false;
  if (plan.owned_workspace &&
      plan.owned_workspace_busy.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
    struct Release {
      const PlanImpl& p;
      ~Release() { p.owned_workspace_busy.store(false, std::memory_order_release); }
    } release{plan};
    run(plan.owned_workspace.get());
    return;
  }
  std::unique_ptr<unsigned char[]> temporary(new unsigned char[plan.workspace_bytes]);
  run(temporary.get());
}

// The plan is made for this direction and each pointer fits its tensor; then run() gets a workspace.
template <typename Run>
Status RunChecked(const PlanImpl* impl, Direction direction, const char* method, std::array<const char*, 3> names,
                  std::array<const void*, 3> data, void* workspace, Run&& run) {
  return Guarded([&] {
    Status s = CheckPlan(impl, direction, method);
    if (!s.ok()) return s;
    const std::array<Shape4, 3> shapes = OperandShapes(impl->geometry, direction);
    for (int i = 0; i < 3 && s.ok(); ++i) s = CheckData(direction, names[i], data[i], shapes[i]);
    if (s.ok()) WithWorkspace(*impl, workspace, run);
    return s;
  });
}

// Validates with `resolve`, then plans; plan->impl_ changes only on success.
template <typename Resolve>
Status Create(Direction direction, const PlanOptions& options, Conv2dPlan* plan,
              std::shared_ptr<const PlanImpl>* impl, Resolve&& resolve) {
  if (plan == nullptr) {
    return Status(StatusCode::kInvalidArgument, StrCat(OpName(direction), ": plan is null"));
  }
  return Guarded([&] {
    Conv2dGeometry g;
    Status s = resolve(&g);
    std::shared_ptr<PlanImpl> made;
    if (s.ok()) s = internal::MakePlan(direction, g, options, &made);
    if (s.ok()) *impl = std::move(made);
    return s;
  });
}

}  // namespace

Conv2dPlan::Conv2dPlan() = default;
Conv2dPlan::~Conv2dPlan() = default;
Conv2dPlan::Conv2dPlan(const Conv2dPlan&) = default;
Conv2dPlan& Conv2dPlan::operator=(const Conv2dPlan&) = default;

Status Conv2dPlan::CreateForward(const Conv2dDesc& desc, const Shape4& src_shape, const Shape4& weights_shape,
                                 Conv2dPlan* plan, const PlanOptions& options) {
  return Create(Direction::kForward, options, plan, plan ? &plan->impl_ : nullptr, [&](Conv2dGeometry* g) {
    return ResolveForward(desc, src_shape, weights_shape, g);
  });
}

Status Conv2dPlan::CreateBackpropInput(const Conv2dDesc& desc, const std::vector<int64_t>& input_sizes,
                                       const Shape4& weights_shape, const Shape4& diff_dst_shape, Conv2dPlan* plan,
                                       const PlanOptions& options) {
  return Create(Direction::kBackpropInput, options, plan, plan ? &plan->impl_ : nullptr, [&](Conv2dGeometry* g) {
    return ResolveBackpropInput(desc, input_sizes.data(), input_sizes.size(), weights_shape, diff_dst_shape, g);
  });
}

Status Conv2dPlan::CreateBackpropFilter(const Conv2dDesc& desc, const Shape4& src_shape,
                                        const Shape4& weights_sizes, const Shape4& diff_dst_shape,
                                        Conv2dPlan* plan, const PlanOptions& options) {
  return Create(Direction::kBackpropFilter, options, plan, plan ? &plan->impl_ : nullptr, [&](Conv2dGeometry* g) {
    return ResolveBackpropFilter(desc, src_shape, weights_sizes, diff_dst_shape, g);
  });
}

Direction Conv2dPlan::direction() const { return impl_ ? impl_->direction : Direction::kForward; }

const Conv2dGeometry& Conv2dPlan::geometry() const {
  static const Conv2dGeometry kEmpty;
  return impl_ ? impl_->geometry : kEmpty;
}

size_t Conv2dPlan::workspace_bytes() const { return impl_ ? impl_->workspace_bytes : 0; }

std::string Conv2dPlan::description() const { return impl_ ? impl_->description : "empty plan"; }

Status Conv2dPlan::Forward(const float* src, const float* weights, float* dst, void* workspace) const {
  return RunChecked(impl_.get(), Direction::kForward, "Forward", {"src", "weights", "dst"}, {src, weights, dst},
                    workspace, [&](void* ws) { internal::RunForward(*impl_, src, weights, dst, ws); });
}

Status Conv2dPlan::BackpropInput(const float* weights, const float* diff_dst, float* diff_src,
                                 void* workspace) const {
  return RunChecked(impl_.get(), Direction::kBackpropInput, "BackpropInput", {"weights", "diff_dst", "diff_src"},
                    {weights, diff_dst, diff_src}, workspace,
                    [&](void* ws) { internal::RunBackpropInput(*impl_, weights, diff_dst, diff_src, ws); });
}

Status Conv2dPlan::BackpropFilter(const float* src, const float* diff_dst, float* diff_weights,
                                  void* workspace) const {
  return RunChecked(impl_.get(), Direction::kBackpropFilter, "BackpropFilter", {"src", "diff_dst", "diff_weights"},
                    {src, diff_dst, diff_weights}, workspace,
                    [&](void* ws) { internal::RunBackpropFilter(*impl_, src, diff_dst, diff_weights, ws); });
}

Status SetNumThreads(int num_threads) {
  if (num_threads < 0) {
    return Status(StatusCode::kInvalidArgument,
                  StrCat("SetNumThreads: num_threads is ", num_threads, "; must be >= 0 (0 = the TBB arena's)"));
  }
  SetThreadSetting(num_threads);
  return Status();
}

int GetNumThreads() { return EffectiveNumThreads(0); }

const char* Version() { return COLCONV_VERSION; }

}  // namespace colconv
