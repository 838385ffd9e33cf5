// The plans behind the one-shot ops: made on first use of a problem, kept (up to 64, least recently used out),
// shared by every thread. Plans follow no thread count, so neither does the cache: runs decide their workers.
// Runs borrow a per-thread workspace that only grows, so repeated calls allocate nothing.
#ifndef COLCONV_SRC_API_PLAN_CACHE_H_
#define COLCONV_SRC_API_PLAN_CACHE_H_

#include <cstddef>
#include <memory>

#include "src/api/wall.h"
#include "src/plan.h"

namespace colconv {
namespace internal {

// The request's plan (resolved, validated and planned on a miss); on failure *plan is left alone.
Status CachedPlan(const Request& request, std::shared_ptr<const Plan>* plan);

// A workspace of at least `bytes` for the calling thread, valid until its next call here.
void* ThreadWorkspace(size_t bytes);

// The budget the one-shot ops' plans are made with (0: the default); changing it empties the cache.
void SetCachedPlanBudget(size_t bytes);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_API_PLAN_CACHE_H_
