#include "tools/plan_of.h"

namespace colconv {
namespace check {

Status PlanOf(Direction direction, const Conv2dDesc& desc, const Conv2dGeometry& g, Conv2dPlan* plan,
              const PlanOptions& options) {
  const Shape4 src = g.src_shape();
  switch (direction) {
    case Direction::kForward:
      break;
    case Direction::kBackpropInput:
      return Conv2dPlan::CreateBackpropInput(desc, {src[0], src[1], src[2], src[3]}, g.weights_shape(), g.dst_shape(),
                                             plan, options);
    case Direction::kBackpropFilter:
      return Conv2dPlan::CreateBackpropFilter(desc, src, g.weights_shape(), g.dst_shape(), plan, options);
  }
  return Conv2dPlan::CreateForward(desc, src, g.weights_shape(), plan, options);
}

}  // namespace check
}  // namespace colconv
