#include "src/plan_cache.h"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "src/kernels/kernels.h"
#include "src/parallel.h"

namespace colconv {
namespace {

constexpr size_t kCapacity = 64;

// Everything a plan depends on: the request, the thread count and budget it is made for, and the SIMD target
// (which tests may switch).
using Key = std::tuple<int, int, int, std::array<int64_t, 2>, std::array<int64_t, 2>, int, std::array<int64_t, 4>,
                       int64_t, std::vector<int64_t>, Shape4, Shape4, int, size_t, int64_t>;

struct Entry {
  Conv2dPlan plan;
  uint64_t last_use;
};

std::mutex g_mutex;
std::map<Key, Entry> g_plans;
uint64_t g_clock = 0;
size_t g_budget = 0;

Key KeyOf(const PlanRequest& r, int threads, size_t budget) {
  const Conv2dDesc& d = r.desc;
  return Key(static_cast<int>(r.direction), static_cast<int>(d.data_format), static_cast<int>(d.filter_format),
             d.strides, d.dilations, static_cast<int>(d.padding), d.explicit_paddings, d.groups, r.input, r.filter,
             r.direction == Direction::kForward ? Shape4{} : r.out_backprop, threads, budget,
             kernels::ChooseKernels().target);
}

}  // namespace

Status CachedPlan(const PlanRequest& request, Conv2dPlan* plan) {
  const int threads = EffectiveNumThreads(0);
  size_t budget;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    budget = g_budget;
  }
  const Key key = KeyOf(request, threads, budget);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_plans.find(key);
    if (it != g_plans.end()) {
      it->second.last_use = ++g_clock;
      *plan = it->second.plan;
      return Status();
    }
  }
  // Made outside the lock: planning is the slow part, and two threads racing on one new problem both succeed.
  PlanOptions options;
  options.num_threads = threads;
  options.workspace_budget = budget;
  options.own_workspace = false;
  Conv2dPlan made;
  Status s;
  switch (request.direction) {
    case Direction::kForward:
      s = Conv2dPlan::CreateForward(request.desc, {request.input[0], request.input[1], request.input[2], request.input[3]},
                                    request.filter, &made, options);
      break;
    case Direction::kBackpropInput:
      s = Conv2dPlan::CreateBackpropInput(request.desc, request.input, request.filter, request.out_backprop, &made,
                                          options);
      break;
    case Direction::kBackpropFilter:
      s = Conv2dPlan::CreateBackpropFilter(request.desc,
                                           {request.input[0], request.input[1], request.input[2], request.input[3]},
                                           request.filter, request.out_backprop, &made, options);
      break;
  }
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_plans.size() >= kCapacity) {
    auto oldest = g_plans.begin();
    for (auto it = g_plans.begin(); it != g_plans.end(); ++it) {
      if (it->second.last_use < oldest->second.last_use) oldest = it;
    }
    g_plans.erase(oldest);
  }
  g_plans[key] = Entry{made, ++g_clock};
  *plan = made;
  return Status();
}

void* ThreadWorkspace(size_t bytes) {
  thread_local std::unique_ptr<unsigned char[]> buffer;
  thread_local size_t size = 0;
  if (bytes > size) {
    buffer.reset();  // release the old one first: the peak is the new size, not the sum
    size = 0;
    buffer.reset(new unsigned char[bytes]);
    size = bytes;
  }
  return buffer.get();
}

void SetCachedPlanBudget(size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (bytes == g_budget) return;
  g_budget = bytes;
  g_plans.clear();
}

}  // namespace colconv
