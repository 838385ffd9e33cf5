// Where colconv decides how many threads work on an op: the thread setting, the parallelism tilings aim for, and
// the workers a run uses. Results never depend on any of it: tilings follow the shape alone, and the worker count
// only says how many threads share the tasks. src/parallel.cc executes what is decided here.
#ifndef COLCONV_SRC_THREADING_H_
#define COLCONV_SRC_THREADING_H_

#include <cstddef>
#include <cstdint>

#include "src/workspace.h"

namespace colconv {
namespace internal {

// Tilings split a problem into at least this many tasks where the shape allows: a property of the shape, chosen so
// that small batches still keep a few cores busy, never read from the thread count.
constexpr int64_t kMinTasks = 4;

// colconv's thread setting: 0 follows the pool (the runner's threads, or the calling thread's TBB arena).
void SetThreadSetting(int num_threads);
// Threads an op started now on this thread would use: `requested` if > 0, else the setting if > 0, else the
// pool's (PoolConcurrency).
int EffectiveNumThreads(int requested);

// The workers a plan runs with on `threads` threads: no more than its tasks, and no more than the workspace budget
// holds (`budget` bytes, or by default the shared buffers plus threads x 2 x L2; always at least one worker).
int PlanWorkers(int64_t num_tasks, const WorkspaceLayout& layout, size_t budget, int threads);

// The workers a run actually starts: the plan's, never more than the pool has (the runner's threads, or what the
// calling thread's arena allows).
int RunWorkers(int planned);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_THREADING_H_
