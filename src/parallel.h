// Threading policy. The only part of colconv that sees TBB: how many threads an op uses and how its tasks run.
#ifndef COLCONV_SRC_PARALLEL_H_
#define COLCONV_SRC_PARALLEL_H_

#include <cstdint>
#include <functional>

namespace colconv {

// colconv's thread setting: 0 follows the calling thread's TBB arena.
void SetThreadSetting(int num_threads);
int ThreadSetting();

// Threads an op started now on this thread would use: `requested` if > 0, else the setting if > 0, else the
// concurrency of the calling thread's arena.
int EffectiveNumThreads(int requested);

// Runs task(worker, t) for every t in [0, num_tasks), on at most `workers` workers and never more than the
// calling thread's arena allows. Each worker index is held by one thread at a time, so per-worker scratch needs
// no locks; which worker runs which task varies, so a task's result must not depend on it. One parallel loop,
// no nesting: tasks call single-threaded code only.
void ForEachTask(int workers, int64_t num_tasks, const std::function<void(int worker, int64_t task)>& task);

}  // namespace colconv

#endif  // COLCONV_SRC_PARALLEL_H_
