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

// A workspace of at least `bytes` for one run on the calling thread: the thread's own, or a temporary one where a run
// on this thread holds it already (a parallel runner's thread may run another of the engine's tasks, and so another
// op, while it waits for its work calls; TBB's threads do not: src/parallel.cc isolates them).
class ThreadWorkspace {
 public:
  explicit ThreadWorkspace(size_t bytes);
  ~ThreadWorkspace();
  ThreadWorkspace(const ThreadWorkspace&) = delete;
  ThreadWorkspace& operator=(const ThreadWorkspace&) = delete;
  void* get() const { return data_; }

 private:
  std::unique_ptr<unsigned char[]> temporary_;
  void* data_ = nullptr;
};

// The budget the one-shot ops' plans are made with (0: the default); changing it empties the cache.
void SetCachedPlanBudget(size_t bytes);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_API_PLAN_CACHE_H_
