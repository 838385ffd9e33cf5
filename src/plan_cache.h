// The plans behind the one-shot C API: made on first use of a problem, kept (up to kCapacity, least recently
// used out), shared by every thread. Runs borrow a per-thread workspace that only grows, so repeated calls
// allocate nothing.
#ifndef COLCONV_SRC_PLAN_CACHE_H_
#define COLCONV_SRC_PLAN_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "colconv/conv2d.h"

namespace colconv {

struct PlanRequest {
  Direction direction;
  Conv2dDesc desc;
  std::vector<int64_t> input;  // input_shape or input_sizes
  Shape4 filter;               // filter_shape or filter_sizes
  Shape4 out_backprop;         // unused for forward
};

// The cached plan for the request (made and validated on a miss); on failure *plan is left alone.
Status CachedPlan(const PlanRequest& request, Conv2dPlan* plan);

// A workspace of at least `bytes` for the calling thread, valid until its next call here.
void* ThreadWorkspace(size_t bytes);

// The budget the C API's plans are made with (0: the default); changing it empties the cache.
void SetCachedPlanBudget(size_t bytes);

}  // namespace colconv

#endif  // COLCONV_SRC_PLAN_CACHE_H_
