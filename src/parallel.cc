#include "src/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

namespace colconv {
namespace internal {

int ArenaConcurrency() { return tbb::this_task_arena::max_concurrency(); }

void ForEachTask(int workers, int64_t num_tasks, const std::function<void(int, int64_t)>& task) {
  if (num_tasks <= 0) return;
  const int count = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(workers, num_tasks)));
  if (count == 1) {
    for (int64_t t = 0; t < num_tasks; ++t) task(0, t);
    return;
  }
  std::atomic<int64_t> next{0};
  auto run_worker = [&](int worker) {
    for (int64_t t = next.fetch_add(1, std::memory_order_relaxed); t < num_tasks;
         t = next.fetch_add(1, std::memory_order_relaxed)) {
      task(worker, t);
    }
  };
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer cannot see TBB's synchronization (Debian's libtbb is not instrumented), so under TSan the
  // workers are std::threads, whose start and join it sees: what it checks is colconv's own sharing.
  std::vector<std::thread> threads;
  for (int worker = 1; worker < count; ++worker) threads.emplace_back(run_worker, worker);
  run_worker(0);
  for (std::thread& thread : threads) thread.join();
#else
  // One iteration per worker; workers claim tasks in order from a shared counter, which balances uneven tasks
  // without tying any result to a thread. Isolated: a thread waiting here runs only these tasks, never an outer
  // task of the caller's, which could start another colconv op on this thread while this one holds the
  // thread's workspace.
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(
        tbb::blocked_range<int>(0, count, 1),
        [&](const tbb::blocked_range<int>& range) {
          for (int worker = range.begin(); worker != range.end(); ++worker) run_worker(worker);
        },
        tbb::simple_partitioner());
  });
#endif
}

}  // namespace internal
}  // namespace colconv
