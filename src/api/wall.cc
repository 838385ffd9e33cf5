#include "src/api/wall.h"

#include "src/api/plan_cache.h"
#include "src/shape.h"
#include "src/threading.h"

namespace colconv {
namespace internal {
namespace {

// The roles of an op's tensors, from their argument order.
Operands OperandsOf(Direction direction, const OpTensors& t) {
  Operands io;
  switch (direction) {
    case Direction::kForward:
      io.src = t.in0, io.weights = t.in1, io.dst = t.out, io.bias = t.bias;
      break;
    case Direction::kBackpropInput:
      io.weights = t.in0, io.diff_dst = t.in1, io.diff_src = t.out;
      break;
    case Direction::kBackpropFilter:
      io.src = t.in0, io.diff_dst = t.in1, io.diff_weights = t.out;
      break;
  }
  return io;
}

}  // namespace

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

Status Resolve(const Request& r, Conv2dGeometry* geometry) {
  switch (r.direction) {
    case Direction::kForward:
      break;
    case Direction::kBackpropInput:
      return ResolveBackpropInput(r.desc, r.input.data(), r.input.size(), r.filter, r.out_backprop, geometry);
    case Direction::kBackpropFilter:
      if (r.input.size() != 4) break;
      return ResolveBackpropFilter(r.desc, {r.input[0], r.input[1], r.input[2], r.input[3]}, r.filter, r.out_backprop,
                                   geometry);
  }
  if (r.input.size() != 4) {
    return Status(StatusCode::kInvalidArgument,
                  StrCat(OpName(r.direction), ": input_shape has ", r.input.size(), " values; it must have 4"));
  }
  return ResolveForward(r.desc, {r.input[0], r.input[1], r.input[2], r.input[3]}, r.filter, geometry);
}

Status CheckTensors(const Plan& plan, const OpTensors& tensors) {
  const std::array<Shape4, 3> shapes = OperandShapes(plan.geometry, plan.direction);
  for (int i = 0; i < 3; ++i) {
    const Shape4& s = shapes[i];
    if (tensors.data(i) == nullptr && NumElements(s) != 0) {
      return Status(StatusCode::kInvalidArgument,
                    StrCat(OpName(plan.direction), ": ", tensors.names[i], " is NULL but its tensor [", s[0], ", ", s[1],
                           ", ", s[2], ", ", s[3], "] has ", NumElements(s), " elements"));
    }
  }
  if (tensors.bias != nullptr && plan.direction != Direction::kForward) {
    return Status(StatusCode::kInvalidArgument, StrCat(OpName(plan.direction), ": a bias applies to forward only"));
  }
  return Status();
}

void RunChecked(const Plan& plan, int workers, const OpTensors& tensors, void* workspace) {
  RunPlan(plan, workers, OperandsOf(plan.direction, tensors), workspace);
}

Status RunOneShot(const Request& request, const OpTensors& tensors) {
  std::shared_ptr<const Plan> plan;
  Status s = CachedPlan(request, &plan);
  if (s.ok()) s = CheckTensors(*plan, tensors);
  if (!s.ok()) return s;
  const int workers = plan->Workers(EffectiveNumThreads(0));
  const ThreadWorkspace workspace(plan->WorkspaceBytes(workers));
  RunChecked(*plan, workers, tensors, workspace.get());
  return s;
}

}  // namespace internal
}  // namespace colconv
