#include "src/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include "src/str_cat.h"

namespace colconv {
namespace internal {

namespace {

struct Pool {
  ParallelRunFn run = nullptr;
  void* context = nullptr;
  int threads = 0;
};

std::mutex g_pool_mutex;
Pool g_pool;

Pool CurrentPool() {
  const std::lock_guard<std::mutex> lock(g_pool_mutex);
  return g_pool;
}

// The op's workers through the engine's runner: one work call per worker, each taking tasks from the shared
// counter until none are left, so the runner may run the calls at once or one after another. An exception stays
// on colconv's side of the runner (which may be C code, or an OpenMP region an exception must not leave) and is
// rethrown once the runner returns; a runner that returns before every call has returned broke its contract, and
// the op fails instead of trusting its results.
void RunOnPool(const Pool& pool, int count, const std::function<void(int)>& run_worker) {
  struct Shared {
    const std::function<void(int)>* run_worker;
    std::atomic<int> returned{0};
    std::mutex error_mutex;
    std::exception_ptr error;
  } shared;
  shared.run_worker = &run_worker;
  const auto work = [](void* work_context, int index) {
    Shared& s = *static_cast<Shared*>(work_context);
    try {
      (*s.run_worker)(index);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(s.error_mutex);
      if (!s.error) s.error = std::current_exception();
    }
    s.returned.fetch_add(1, std::memory_order_acq_rel);
  };
  pool.run(pool.context, count, work, &shared);
  if (shared.error) std::rethrow_exception(shared.error);
  const int returned = shared.returned.load(std::memory_order_acquire);
  if (returned != count) {
    throw std::runtime_error(StrCat("the parallel runner returned when ", returned, " of its ", count,
                                    " work calls had returned (SetParallelRunner: a runner calls each once and "
                                    "returns when all have)"));
  }
}

}  // namespace

void SetPool(ParallelRunFn run, void* context, int threads) {
  const std::lock_guard<std::mutex> lock(g_pool_mutex);
  g_pool = run == nullptr ? Pool() : Pool{run, context, threads};
}

int PoolConcurrency() {
  const Pool pool = CurrentPool();
  return pool.run != nullptr ? pool.threads : tbb::this_task_arena::max_concurrency();
}

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
  const Pool pool = CurrentPool();
  if (pool.run != nullptr) return RunOnPool(pool, count, run_worker);
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
