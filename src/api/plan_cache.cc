#include "src/api/plan_cache.h"

#include <map>
#include <mutex>
#include <tuple>

#include "src/algorithms/registry.h"
#include "src/kernels/kernels.h"

namespace colconv {
namespace internal {
namespace {

constexpr size_t kCapacity = 64;

// Everything a plan depends on: the request, the budget it is made for, the SIMD target (which tests may switch),
// the GEMM backend and a forced algorithm (which the process or the environment may switch).
using Key = std::tuple<int, int, int, std::array<int64_t, 2>, std::array<int64_t, 2>, int, std::array<int64_t, 4>,
                       int64_t, std::vector<int64_t>, Shape4, Shape4, size_t, int64_t, const gemm::Backend*,
                       const Algorithm*>;

struct Entry {
  std::shared_ptr<const Plan> plan;
  uint64_t last_use;
};

std::mutex g_mutex;
std::map<Key, Entry> g_plans;
uint64_t g_clock = 0;
size_t g_budget = 0;

Key KeyOf(const Request& r, size_t budget, const gemm::Backend* backend, const Algorithm* forced) {
  const Conv2dDesc& d = r.desc;
  return Key(static_cast<int>(r.direction), static_cast<int>(d.data_format), static_cast<int>(d.filter_format),
             d.strides, d.dilations, static_cast<int>(d.padding), d.explicit_paddings, d.groups, r.input, r.filter,
             r.direction == Direction::kForward ? Shape4{} : r.out_backprop, budget, kernels::ChooseKernels().target,
             backend, forced);
}

}  // namespace

Status CachedPlan(const Request& request, std::shared_ptr<const Plan>* plan) {
  size_t budget;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    budget = g_budget;
  }
  const gemm::Backend* backend = nullptr;
  Status s = gemm::ChooseBackend("", &backend);
  const Algorithm* forced = nullptr;
  std::string source;
  if (s.ok()) s = ForcedAlgorithm("", &forced, &source);
  if (!s.ok()) return s;
  const Key key = KeyOf(request, budget, backend, forced);
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
  Conv2dGeometry geometry;
  s = Resolve(request, &geometry);
  PlanOptions options;
  options.workspace_budget = budget;
  options.gemm = backend->name();  // the forced algorithm MakePlan finds again, naming where it came from
  std::shared_ptr<const Plan> made;
  if (s.ok()) s = MakePlan(request.direction, geometry, options, false, &made);
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

namespace {
thread_local std::unique_ptr<unsigned char[]> t_buffer;
thread_local size_t t_size = 0;
thread_local bool t_held = false;
}  // namespace

ThreadWorkspace::ThreadWorkspace(size_t bytes) {
  if (t_held) {
    temporary_.reset(new unsigned char[bytes]);
    data_ = temporary_.get();
    return;
  }
  if (bytes > t_size) {
    t_buffer.reset();  // release the old one first: the peak is the new size, not the sum
    t_size = 0;
    t_buffer.reset(new unsigned char[bytes]);
    t_size = bytes;
  }
  t_held = true;
  data_ = t_buffer.get();
}

ThreadWorkspace::~ThreadWorkspace() {
  if (!temporary_) t_held = false;
}

void SetCachedPlanBudget(size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (bytes == g_budget) return;
  g_budget = bytes;
  g_plans.clear();
}

}  // namespace internal
}  // namespace colconv
