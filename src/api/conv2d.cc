// The C++ API: plans and their runs, and the one-shot ops, each through the wall (src/api/wall.h).
#include <atomic>
#include <cstdint>
#include <memory>
#include <new>

#include "colconv/conv2d.h"
#include "src/algorithms/registry.h"
#include "src/api/wall.h"
#include "src/gemm/gemm.h"
#include "src/shape.h"
#include "src/str_cat.h"
#include "src/threading.h"

namespace colconv {
namespace internal {

// A public plan: the shared internal plan, the workers its runs use, and its own workspace, lent to one run at a
// time (runs that find it taken allocate a temporary one).
struct PlanImpl {
  std::shared_ptr<const Plan> plan;
  int workers = 1;
  size_t workspace_bytes = 0;
  std::unique_ptr<unsigned char[]> own_workspace;
  mutable std::atomic<bool> own_workspace_busy{false};

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
    run(temporary.get());
  }
};

}  // namespace internal

namespace {

using internal::OpTensors;
using internal::PlanImpl;
using internal::Request;

// Validates and plans a request; *impl changes only on success.
Status Create(const Request& request, const PlanOptions& options, Conv2dPlan* plan,
              std::shared_ptr<const PlanImpl>* impl) {
  if (plan == nullptr) return Status(StatusCode::kInvalidArgument, StrCat(OpName(request.direction), ": plan is null"));
  return internal::Guarded([&] {
    Conv2dGeometry g;
    Status s = internal::Resolve(request, &g);
    auto made = std::make_shared<PlanImpl>();
    if (s.ok()) s = internal::MakePlan(request.direction, g, options, &made->plan);
    if (!s.ok()) return s;
    made->workers = made->plan->Workers(internal::EffectiveNumThreads(options.num_threads));
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

// The plan is made for this direction and each pointer fits its tensor; then it runs.
Status Run(const PlanImpl* impl, Direction direction, const char* method, const OpTensors& tensors, void* workspace) {
  return internal::Guarded([&] {
    if (impl == nullptr) {
      return Status(StatusCode::kInvalidArgument, StrCat("Conv2dPlan::", method, ": the plan is empty"));
    }
    if (impl->plan->direction != direction) {
      return Status(StatusCode::kInvalidArgument,
                    StrCat("Conv2dPlan::", method, ": the plan was created for ", OpName(impl->plan->direction)));
    }
    Status s = internal::CheckTensors(*impl->plan, tensors);
    if (s.ok()) impl->WithWorkspace(workspace, [&](void* ws) { internal::RunChecked(*impl->plan, impl->workers, tensors, ws); });
    return s;
  });
}

Request MakeRequest(Direction direction, const Conv2dDesc& desc, std::vector<int64_t> input, const Shape4& filter,
                    const Shape4& out_backprop) {
  Request r;
  r.direction = direction;
  r.desc = desc;
  r.input = std::move(input);
  r.filter = filter;
  r.out_backprop = out_backprop;
  return r;
}

std::vector<int64_t> Sizes(const Shape4& shape) { return {shape.begin(), shape.end()}; }

}  // namespace

Conv2dPlan::Conv2dPlan() = default;
Conv2dPlan::~Conv2dPlan() = default;
Conv2dPlan::Conv2dPlan(const Conv2dPlan&) = default;
Conv2dPlan& Conv2dPlan::operator=(const Conv2dPlan&) = default;

Status Conv2dPlan::CreateForward(const Conv2dDesc& desc, const Shape4& src_shape, const Shape4& weights_shape,
                                 Conv2dPlan* plan, const PlanOptions& options) {
  return Create(MakeRequest(Direction::kForward, desc, Sizes(src_shape), weights_shape, {}), options, plan,
                plan ? &plan->impl_ : nullptr);
}

Status Conv2dPlan::CreateBackpropInput(const Conv2dDesc& desc, const std::vector<int64_t>& input_sizes,
                                       const Shape4& weights_shape, const Shape4& diff_dst_shape, Conv2dPlan* plan,
                                       const PlanOptions& options) {
  return Create(MakeRequest(Direction::kBackpropInput, desc, input_sizes, weights_shape, diff_dst_shape), options, plan,
                plan ? &plan->impl_ : nullptr);
}

Status Conv2dPlan::CreateBackpropFilter(const Conv2dDesc& desc, const Shape4& src_shape, const Shape4& weights_sizes,
                                        const Shape4& diff_dst_shape, Conv2dPlan* plan, const PlanOptions& options) {
  return Create(MakeRequest(Direction::kBackpropFilter, desc, Sizes(src_shape), weights_sizes, diff_dst_shape), options,
                plan, plan ? &plan->impl_ : nullptr);
}

Direction Conv2dPlan::direction() const { return impl_ ? impl_->plan->direction : Direction::kForward; }

const Conv2dGeometry& Conv2dPlan::geometry() const {
  static const Conv2dGeometry kEmpty;
  return impl_ ? impl_->plan->geometry : kEmpty;
}

size_t Conv2dPlan::workspace_bytes() const { return impl_ ? impl_->workspace_bytes : 0; }

std::string Conv2dPlan::description() const { return impl_ ? impl_->plan->Describe(impl_->workers) : "empty plan"; }

std::string Conv2dPlan::algorithm() const { return impl_ ? impl_->plan->algorithm->name() : ""; }

std::string Conv2dPlan::declined_algorithms() const { return impl_ ? impl_->plan->declined : ""; }

Status Conv2dPlan::Forward(const float* src, const float* weights, float* dst, void* workspace) const {
  return Run(impl_.get(), Direction::kForward, "Forward", {{"src", "weights", "dst"}, src, weights, dst}, workspace);
}

Status Conv2dPlan::BackpropInput(const float* weights, const float* diff_dst, float* diff_src, void* workspace) const {
  return Run(impl_.get(), Direction::kBackpropInput, "BackpropInput",
             {{"weights", "diff_dst", "diff_src"}, weights, diff_dst, diff_src}, workspace);
}

Status Conv2dPlan::BackpropFilter(const float* src, const float* diff_dst, float* diff_weights, void* workspace) const {
  return Run(impl_.get(), Direction::kBackpropFilter, "BackpropFilter",
             {{"src", "diff_dst", "diff_weights"}, src, diff_dst, diff_weights}, workspace);
}

Status Conv2dForward(const Conv2dDesc& desc, const Shape4& src_shape, const float* src, const Shape4& weights_shape,
                     const float* weights, float* dst) {
  return internal::Guarded([&] {
    return internal::RunOneShot(MakeRequest(Direction::kForward, desc, Sizes(src_shape), weights_shape, {}),
                                {{"src", "weights", "dst"}, src, weights, dst});
  });
}

Status Conv2dBackpropInput(const Conv2dDesc& desc, const std::vector<int64_t>& input_sizes, const Shape4& weights_shape,
                           const float* weights, const Shape4& diff_dst_shape, const float* diff_dst, float* diff_src) {
  return internal::Guarded([&] {
    return internal::RunOneShot(
        MakeRequest(Direction::kBackpropInput, desc, input_sizes, weights_shape, diff_dst_shape),
        {{"weights", "diff_dst", "diff_src"}, weights, diff_dst, diff_src});
  });
}

Status Conv2dBackpropFilter(const Conv2dDesc& desc, const Shape4& src_shape, const float* src,
                            const Shape4& weights_sizes, const Shape4& diff_dst_shape, const float* diff_dst,
                            float* diff_weights) {
  return internal::Guarded([&] {
    return internal::RunOneShot(
        MakeRequest(Direction::kBackpropFilter, desc, Sizes(src_shape), weights_sizes, diff_dst_shape),
        {{"src", "diff_dst", "diff_weights"}, src, diff_dst, diff_weights});
  });
}

Status InferConv2dBackpropInputShape(const Conv2dDesc& desc, const std::vector<int64_t>& input_sizes,
                                     const Shape4& weights_shape, const Shape4& diff_dst_shape, Shape4* diff_src_shape) {
  return internal::Guarded([&] {
    Conv2dGeometry g;
    Status s = internal::Resolve(MakeRequest(Direction::kBackpropInput, desc, input_sizes, weights_shape, diff_dst_shape), &g);
    if (s.ok()) *diff_src_shape = g.src_shape();
    return s;
  });
}

Status SetNumThreads(int num_threads) {
  if (num_threads < 0) {
    return Status(StatusCode::kInvalidArgument,
                  StrCat("SetNumThreads: num_threads is ", num_threads, "; must be >= 0 (0 = the TBB arena's)"));
  }
  internal::SetThreadSetting(num_threads);
  return Status();
}

int GetNumThreads() { return internal::EffectiveNumThreads(0); }

Status SetGemmBackend(const std::string& name) { return gemm::SetProcessBackend(name); }

Status GetGemmBackend(std::string* name) {
  const gemm::Backend* backend = nullptr;
  const Status s = gemm::ChooseBackend("", &backend);
  if (s.ok()) *name = backend->name();
  return s;
}

Status SetForcedAlgorithm(const std::string& name) { return internal::SetForcedAlgorithm(name); }

std::vector<std::string> Algorithms() {
  std::vector<std::string> names;
  for (const internal::Algorithm* a : internal::Algorithms()) names.push_back(a->name());
  return names;
}

std::vector<std::string> GemmBackends() {
  std::vector<std::string> names;
  for (const gemm::Backend* b : gemm::BuiltBackends()) names.push_back(b->name());
  return names;
}

const char* Version() { return COLCONV_VERSION; }

}  // namespace colconv
