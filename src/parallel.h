// The only part of colconv that sees TBB: it runs an op's tasks on the workers src/threading.cc decided, on TBB's
// threads or on an engine's pool (SetParallelRunner).
#ifndef COLCONV_SRC_PARALLEL_H_
#define COLCONV_SRC_PARALLEL_H_

#include <cstdint>
#include <functional>

#include "colconv/conv2d.h"

namespace colconv {
namespace internal {

// The pool the ops run on from now on: `run` with `threads` threads, or TBB's where run is null.
void SetPool(ParallelRunFn run, void* context, int threads);

// Threads the pool has for an op started now on this thread: the runner's, or the concurrency of the calling
// thread's TBB arena (all cores unless the caller limits it).
int PoolConcurrency();

// Runs task(worker, t) for every t in [0, num_tasks) on `workers` workers (fewer when there are fewer tasks).
// Each worker index is held by one thread at a time, so per-worker scratch needs no locks; which worker runs
// which task varies, so a task's result must not depend on it. One parallel loop, no nesting: tasks call
// single-threaded code only.
void ForEachTask(int workers, int64_t num_tasks, const std::function<void(int worker, int64_t task)>& task);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_PARALLEL_H_
