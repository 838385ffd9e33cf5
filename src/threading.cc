#include "src/threading.h"

#include <algorithm>
#include <atomic>

#include "src/cpu_info.h"
#include "src/parallel.h"

namespace colconv {
namespace internal {
namespace {
std::atomic<int> g_thread_setting{0};
}  // namespace

void SetThreadSetting(int num_threads) { g_thread_setting.store(num_threads, std::memory_order_relaxed); }

int EffectiveNumThreads(int requested) {
  if (requested > 0) return requested;
  const int setting = g_thread_setting.load(std::memory_order_relaxed);
  if (setting > 0) return setting;
  return PoolConcurrency();
}

int PlanWorkers(int64_t num_tasks, const WorkspaceLayout& layout, size_t budget, int threads) {
  threads = std::max(1, threads);
  if (budget == 0) budget = layout.Bytes(0) + static_cast<size_t>(threads) * 2 * L2CacheBytes();
  int workers = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, num_tasks)));
  while (workers > 1 && layout.Bytes(workers) > budget) --workers;
  return workers;
}

int RunWorkers(int planned) { return std::max(1, std::min(planned, PoolConcurrency())); }

}  // namespace internal
}  // namespace colconv
