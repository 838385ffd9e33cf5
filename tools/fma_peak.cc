// Highway's dispatch of the peak loop: compiled once per target, like the kernels' dispatch units in src/kernels/.
#include "tools/fma_peak.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tools/fma_peak.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/unroll-inl.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace cli {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Multiply-adds on kChains accumulators per iteration, each chain waiting only on itself: enough chains to
// cover two pipes' latency on every x86 core, and few enough to stay in 16 registers. Returns the flops done;
// the sums go to `sink` so that no compiler drops them.
int64_t MultiplyAdds(int64_t iterations, float x, float y, float* sink) {
  constexpr int kChains = 12;
  const hn::ScalableTag<float> d;
  const auto a = hn::Set(d, x), b = hn::Set(d, y);
  hn::Vec<decltype(d)> acc[kChains];
  kernels::HWY_NAMESPACE::Unroll<kChains>([&](auto c) COLCONV_INLINE_LAMBDA { acc[c] = hn::Set(d, float(c)); });
  for (int64_t i = 0; i < iterations; ++i) {
    kernels::HWY_NAMESPACE::Unroll<kChains>(
        [&](auto c) COLCONV_INLINE_LAMBDA { acc[c] = hn::MulAdd(a, b, acc[c]); });
  }
  auto total = acc[0];
  for (int c = 1; c < kChains; ++c) total = hn::Add(total, acc[c]);
  *sink = hn::GetLane(total);
  return iterations * kChains * static_cast<int64_t>(hn::Lanes(d)) * 2;
}

}  // namespace HWY_NAMESPACE
}  // namespace cli
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <chrono>

namespace colconv {
namespace cli {

HWY_EXPORT(MultiplyAdds);

double FmaPeakGflops(int64_t target) {
  hwy::SetSupportedTargetsForTest(target);
  double best = 0.0;
  volatile float x = 0.999f, y = 1e-3f;  // not constants the compiler could fold
  float sink = 0.0f;
  for (int run = 0; run < 5; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const int64_t flops = HWY_DYNAMIC_DISPATCH(MultiplyAdds)(int64_t{1} << 22, x, y, &sink);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(flops) / seconds * 1e-9);
  }
  hwy::SetSupportedTargetsForTest(0);
  return best;
}

}  // namespace cli
}  // namespace colconv
#endif
