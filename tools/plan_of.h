// A plan for any direction of a problem already resolved by its forward shapes: what the CLI, the benchmarks and
// the tests create when they walk one problem through the three directions.
#ifndef COLCONV_TOOLS_PLAN_OF_H_
#define COLCONV_TOOLS_PLAN_OF_H_

#include "colconv/conv2d.h"

namespace colconv {
namespace check {

Status PlanOf(Direction direction, const Conv2dDesc& desc, const Conv2dGeometry& g, Conv2dPlan* plan,
              const PlanOptions& options = PlanOptions());

}  // namespace check
}  // namespace colconv

#endif  // COLCONV_TOOLS_PLAN_OF_H_
