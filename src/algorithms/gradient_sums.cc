#include "src/algorithms/gradient_sums.h"

#include <algorithm>

#include "src/parallel.h"
#include "src/str_cat.h"

namespace colconv {
namespace internal {
namespace {

constexpr const char* kPartials = "partial_sums";
constexpr int64_t kMaxPartials = 4;
constexpr int64_t kMaxPartialFloats = int64_t{4} << 20;
// The final additions run over chunks of this many floats.
constexpr int64_t kReduceChunk = 16384;

}  // namespace

GradientSums::GradientSums(const FilterMatrix& filter, int64_t units)
    : filter_(filter),
      units_(units),
      partials_(std::clamp<int64_t>(std::min(kMaxPartials, 1 + kMaxPartialFloats / std::max<int64_t>(1, filter.floats())),
                                    1, std::max<int64_t>(1, units))) {}

void GradientSums::BookPartials(WorkspaceLayout* layout, int64_t partials) const {
  const int64_t in_workspace = filter_.packed() ? partials : partials - 1;
  if (in_workspace > 0) {
    layout->Book(kPartials, static_cast<size_t>(in_workspace * filter_.floats()) * sizeof(float), 64,
                 filter_.packed() ? "bytes of reordered filter" : "bytes of partial sums");
  }
}

void GradientSums::Book(WorkspaceLayout* layout, size_t budget) {
  while (budget > 0 && partials_ > 1) {
    WorkspaceLayout trial = *layout;
    BookPartials(&trial, partials_);
    if (trial.Bytes(1) <= budget) break;
    --partials_;
  }
  BookPartials(layout, partials_);
}

TaskSpace GradientSums::Tasks(int64_t groups, int64_t tile_k) const {
  return TaskSpace({groups, partials_, CeilDiv(filter_.k(), tile_k)});
}

void GradientSums::Sum(const RunContext& ctx, const TaskSpace& tasks, int64_t tile_k, float* diff_weights,
                       const AddUnit& add) const {
  ForEachTask(ctx.workers, tasks.size(), [&](int worker, int64_t task) {
    const TaskSpace::Digits d = tasks.Decode(task);
    const int64_t group = d[0], r = d[1];
    const Range k = BlockOf(d[2], tile_k, filter_.k());
    const gemm::Matrix dw = filter_.Of(Partial(ctx, diff_weights, r), group).Block(k.begin, 0, k.size(), filter_.ocg());
    const Range run{r * units_ / partials_, (r + 1) * units_ / partials_};
    for (int64_t u = run.begin; u < run.end; ++u) add(worker, group, u, k, u == run.begin ? 0.0f : 1.0f, dw);
  });
  Finish(ctx, diff_weights);
}

float* GradientSums::Partial(const RunContext& ctx, float* diff_weights, int64_t r) const {
  if (!filter_.packed() && r == 0) return diff_weights;
  return ctx.workspace.Get<float>(kPartials) + (filter_.packed() ? r : r - 1) * filter_.floats();
}

// Partial 0 += partial 1 + ... in that order, chunk by chunk; then a packed gradient is reordered into OIHW.
void GradientSums::Finish(const RunContext& ctx, float* diff_weights) const {
  float* total = Partial(ctx, diff_weights, 0);
  const int64_t floats = filter_.floats();
  if (partials_ > 1) {
    ForEachTask(ctx.workers, CeilDiv(floats, kReduceChunk), [&](int, int64_t chunk) {
      const Range range = BlockOf(chunk, kReduceChunk, floats);
      for (int64_t r = 1; r < partials_; ++r) {
        const float* part = Partial(ctx, diff_weights, r);
        for (int64_t i = range.begin; i < range.end; ++i) total[i] += part[i];
      }
    });
  }
  if (filter_.packed()) filter_.Unpack(total, diff_weights, ctx.workers);
}

std::string GradientSums::Describe() const {
  return partials_ > 1 ? StrCat(" into ", partials_, " partial sums") : std::string();
}

}  // namespace internal
}  // namespace colconv
