#include "src/parallel.h"

#include <atomic>

#include <tbb/task_arena.h>

namespace colconv {
namespace {
std::atomic<int> g_thread_setting{0};
}  // namespace

void SetThreadSetting(int num_threads) { g_thread_setting.store(num_threads, std::memory_order_relaxed); }

int ThreadSetting() { return g_thread_setting.load(std::memory_order_relaxed); }

int EffectiveNumThreads(int requested) {
  if (requested > 0) return requested;
  const int setting = ThreadSetting();
  if (setting > 0) return setting;
  return tbb::this_task_arena::max_concurrency();
}

}  // namespace colconv
