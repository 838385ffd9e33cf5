// The C++ API: plans and their runs, and the one-shot ops, each through the wall (src/api/wall.h).
#include <cstdint>
#include <memory>
#include <new>

#include "colconv/conv2d.h"
#include "src/algorithms/registry.h"
#include "src/api/plan_impl.h"
#include "src/api/wall.h"
#include "src/gemm/gemm.h"
#include "src/parallel.h"
#include "src/shape.h"
#include "src/str_cat.h"
#include "src/threading.h"

namespace colconv {
namespace {

using internal::MakeRequest;
using internal::Sizes;

// Validates and plans a request into a public plan; *impl changes only on success.
Status Create(const internal::Request& request, const PlanOptions& options, Conv2dPlan* plan,
              std::shared_ptr<const internal::PlanImpl>* impl) {
  if (plan == nullptr) return Status(StatusCode::kInvalidArgument, StrCat(OpName(request.direction), ": plan is null"));
  return internal::CreatePlanImpl(request, options, false, impl);
}

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

Status Conv2dPlan::Forward(const float* src, const float* weights, float* dst, void* workspace,
                           const float* bias) const {
  return internal::RunPlanImpl(impl_.get(), Direction::kForward, "Conv2dPlan::Forward",
                               {{"src", "weights", "dst"}, src, weights, dst, bias}, workspace);
}

Status Conv2dPlan::BackpropInput(const float* weights, const float* diff_dst, float* diff_src, void* workspace) const {
  return internal::RunPlanImpl(impl_.get(), Direction::kBackpropInput, "Conv2dPlan::BackpropInput",
                               {{"weights", "diff_dst", "diff_src"}, weights, diff_dst, diff_src}, workspace);
}

Status Conv2dPlan::BackpropFilter(const float* src, const float* diff_dst, float* diff_weights, void* workspace) const {
  return internal::RunPlanImpl(impl_.get(), Direction::kBackpropFilter, "Conv2dPlan::BackpropFilter",
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

Status SetParallelRunner(ParallelRunFn run, void* context, int num_threads) {
  if (run != nullptr && num_threads < 1) {
    return Status(StatusCode::kInvalidArgument,
                  StrCat("SetParallelRunner: num_threads is ", num_threads, "; a runner must have >= 1 thread"));
  }
  internal::SetPool(run, context, num_threads);
  return Status();
}

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
