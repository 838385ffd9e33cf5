// Operators: a plan made for prepacked weights, and the weights packed once by its executable's WeightsPacking (or
// copied as they are, where the run reads the caller's layout). Runs go through the same wall as plans.
#include "colconv/operator.h"

#include <algorithm>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "src/api/plan_impl.h"
#include "src/api/wall.h"
#include "src/shape.h"
#include "src/str_cat.h"
#include "src/threading.h"

namespace colconv {
namespace internal {

struct OperatorImpl {
  std::shared_ptr<const PlanImpl> plan;
  // In the layout the runs read, aligned as the workspace is: in a std::vector (16-byte aligned) the packed
  // vectors straddled cache lines, and ResNeXt's 4-channel groups ran 0.84x as fast as with per-call packing.
  hwy::AlignedFreeUniquePtr<float[]> weights;
  int64_t weight_floats = 0;
  std::vector<float> bias;  // empty without one
  int64_t packs = 0;
};

namespace {

// Packs weights (and a bias) for the operator's plan into *impl. Backprop-filter keeps nothing.
Status Pack(const char* what, const float* weights, const float* bias, OperatorImpl* impl) {
  const Plan& plan = *impl->plan->plan;
  const Conv2dGeometry& g = plan.geometry;
  if (plan.direction == Direction::kBackpropFilter) {
    return Status(StatusCode::kInvalidArgument, StrCat(what, ": backprop-filter reads no weights to pack"));
  }
  const int64_t floats = NumElements(g.weights_shape());
  if (weights == nullptr && floats > 0) {
    return Status(StatusCode::kInvalidArgument, StrCat(what, ": weights is NULL but the filter has ", floats, " elements"));
  }
  if (bias != nullptr && plan.direction != Direction::kForward) {
    return Status(StatusCode::kInvalidArgument, StrCat(what, ": a bias applies to forward only"));
  }
  const WeightsPacking* packing = plan.executable->weights_packing();
  const bool reorders = packing != nullptr && packing->packed_floats() > 0;
  const int64_t packed_floats = reorders ? packing->packed_floats() : floats;
  auto packed = hwy::AllocateAligned<float>(static_cast<size_t>(std::max<int64_t>(packed_floats, 1)));
  if (packed == nullptr) {
    return Status(StatusCode::kResourceExhausted, StrCat(what, ": no memory for ", packed_floats, " packed floats"));
  }
  if (reorders) {
    packing->Pack(RunWorkers(impl->plan->workers), weights, packed.get());
  } else if (floats > 0) {
    std::copy(weights, weights + floats, packed.get());
  }
  impl->weights = std::move(packed);
  impl->weight_floats = packed_floats;
  impl->bias.assign(bias, bias == nullptr ? bias : bias + g.out_channels);
  ++impl->packs;
  return Status();
}

// Runs the operator's plan after checking the caller's workspace size.
Status RunOperator(const OperatorImpl* op, Direction direction, const char* what, const OpTensors& tensors,
                   void* workspace, size_t workspace_size) {
  if (op != nullptr && workspace != nullptr && workspace_size < op->plan->workspace_bytes) {
    return Status(StatusCode::kInvalidArgument, StrCat(what, ": workspace_size is ", workspace_size,
                                                       " bytes; this operator needs ", op->plan->workspace_bytes,
                                                       " (workspace_bytes())"));
  }
  return RunPlanImpl(op ? op->plan.get() : nullptr, direction, what, tensors, workspace);
}

Status Create(const Request& request, const float* weights, const float* bias, const PlanOptions& options,
              std::unique_ptr<OperatorImpl>* op) {
  const char* what = request.direction == Direction::kForward         ? "Conv2dOperator::CreateForward"
                     : request.direction == Direction::kBackpropInput ? "Conv2dOperator::CreateBackpropInput"
                                                                      : "Conv2dOperator::CreateBackpropFilter";
  if (op == nullptr) return Status(StatusCode::kInvalidArgument, StrCat(what, ": op is null"));
  return Guarded([&] {
    auto made = std::make_unique<OperatorImpl>();
    Status s = CreatePlanImpl(request, options, true, &made->plan);
    if (s.ok() && request.direction != Direction::kBackpropFilter) s = Pack(what, weights, bias, made.get());
    if (s.ok()) *op = std::move(made);
    return s;
  });
}

}  // namespace
}  // namespace internal

using internal::MakeRequest;
using internal::Sizes;

Conv2dOperator::Conv2dOperator() = default;
Conv2dOperator::~Conv2dOperator() = default;
Conv2dOperator::Conv2dOperator(Conv2dOperator&&) noexcept = default;
Conv2dOperator& Conv2dOperator::operator=(Conv2dOperator&&) noexcept = default;

Status Conv2dOperator::CreateForward(const Conv2dDesc& desc, const Shape4& src_shape, const Shape4& weights_shape,
                                     const float* weights, const float* bias, Conv2dOperator* op,
                                     const PlanOptions& options) {
  return internal::Create(MakeRequest(Direction::kForward, desc, Sizes(src_shape), weights_shape, {}), weights, bias,
                          options, op ? &op->impl_ : nullptr);
}

Status Conv2dOperator::CreateBackpropInput(const Conv2dDesc& desc, const std::vector<int64_t>& input_sizes,
                                           const Shape4& weights_shape, const float* weights,
                                           const Shape4& diff_dst_shape, Conv2dOperator* op,
                                           const PlanOptions& options) {
  return internal::Create(MakeRequest(Direction::kBackpropInput, desc, input_sizes, weights_shape, diff_dst_shape),
                          weights, nullptr, options, op ? &op->impl_ : nullptr);
}

Status Conv2dOperator::CreateBackpropFilter(const Conv2dDesc& desc, const Shape4& src_shape,
                                            const Shape4& weights_sizes, const Shape4& diff_dst_shape,
                                            Conv2dOperator* op, const PlanOptions& options) {
  return internal::Create(MakeRequest(Direction::kBackpropFilter, desc, Sizes(src_shape), weights_sizes, diff_dst_shape),
                          nullptr, nullptr, options, op ? &op->impl_ : nullptr);
}

Status Conv2dOperator::Repack(const float* weights, const float* bias) {
  if (!impl_) return Status(StatusCode::kInvalidArgument, "Conv2dOperator::Repack: it is empty: no Create* has succeeded on it");
  return internal::Guarded([&] {
    internal::OperatorImpl repacked;
    repacked.plan = impl_->plan;
    repacked.packs = impl_->packs;
    const Status s = internal::Pack("Conv2dOperator::Repack", weights, bias, &repacked);
    if (s.ok()) *impl_ = std::move(repacked);
    return s;
  });
}

Direction Conv2dOperator::direction() const { return impl_ ? impl_->plan->plan->direction : Direction::kForward; }

const Conv2dGeometry& Conv2dOperator::geometry() const {
  static const Conv2dGeometry kEmpty;
  return impl_ ? impl_->plan->plan->geometry : kEmpty;
}

size_t Conv2dOperator::workspace_bytes() const { return impl_ ? impl_->plan->workspace_bytes : 0; }

std::string Conv2dOperator::description() const {
  return impl_ ? impl_->plan->plan->Describe(impl_->plan->workers) : "empty operator";
}

std::string Conv2dOperator::algorithm() const { return impl_ ? impl_->plan->plan->algorithm->name() : ""; }

int64_t Conv2dOperator::packed_floats() const {
  return impl_ ? impl_->weight_floats + static_cast<int64_t>(impl_->bias.size()) : 0;
}

Status Conv2dOperator::Forward(const float* src, float* dst, void* workspace, size_t workspace_size) const {
  const float* weights = impl_ ? impl_->weights.get() : nullptr;
  const float* bias = impl_ && !impl_->bias.empty() ? impl_->bias.data() : nullptr;
  return internal::RunOperator(impl_.get(), Direction::kForward, "Conv2dOperator::Forward",
                               {{"src", "weights", "dst"}, src, weights, dst, bias}, workspace, workspace_size);
}

Status Conv2dOperator::BackpropInput(const float* diff_dst, float* diff_src, void* workspace,
                                     size_t workspace_size) const {
  const float* weights = impl_ ? impl_->weights.get() : nullptr;
  return internal::RunOperator(impl_.get(), Direction::kBackpropInput, "Conv2dOperator::BackpropInput",
                               {{"weights", "diff_dst", "diff_src"}, weights, diff_dst, diff_src}, workspace,
                               workspace_size);
}

Status Conv2dOperator::BackpropFilter(const float* src, const float* diff_dst, float* diff_weights, void* workspace,
                                      size_t workspace_size) const {
  return internal::RunOperator(impl_.get(), Direction::kBackpropFilter, "Conv2dOperator::BackpropFilter",
                               {{"src", "diff_dst", "diff_weights"}, src, diff_dst, diff_weights}, workspace,
                               workspace_size);
}

Conv2dOperator::Counters Conv2dOperator::counters() const {
  Counters c;
  if (impl_) {
    c.packs = impl_->packs;
    c.temporary_workspaces = impl_->plan->temporary_workspaces.load(std::memory_order_relaxed);
  }
  return c;
}

}  // namespace colconv
