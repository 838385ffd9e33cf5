#include "src/algorithms/nhwc_copies.h"

#include "src/algorithms/common.h"
#include "src/parallel.h"

namespace colconv {
namespace internal {
namespace {

// Pixels per task: a block of every channel, whose lines stay in cache while the transpose crosses them.
constexpr int64_t kBlockPixels = 256;

}  // namespace

void PlanesToPixels(const RunContext& ctx, const float* planes, int64_t channels, int64_t plane, float* pixels) {
  ForEachTask(ctx.workers, CeilDiv(plane, kBlockPixels), [&](int, int64_t block) {
    const Range px = BlockOf(block, kBlockPixels, plane);
    ctx.kernels.transpose(planes + px.begin, plane, channels, px.size(), pixels + px.begin * channels, channels);
  });
}

void PixelsToPlanes(const RunContext& ctx, const float* pixels, int64_t channels, int64_t plane, float* planes) {
  ForEachTask(ctx.workers, CeilDiv(plane, kBlockPixels), [&](int, int64_t block) {
    const Range px = BlockOf(block, kBlockPixels, plane);
    ctx.kernels.transpose(pixels + px.begin * channels, channels, px.size(), channels, planes + px.begin, plane);
  });
}

}  // namespace internal
}  // namespace colconv
