// Timing for the benchmarks: the median of repeated calls after warm-up, as ../shared/peers times its peers.
#ifndef COLCONV_TOOLS_TIMING_H_
#define COLCONV_TOOLS_TIMING_H_

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

namespace colconv {
namespace cli {

// Median seconds per call: two warm-up calls, then at least `min_reps` calls and `min_seconds` in all.
template <typename F>
double MedianSeconds(F&& f, double min_seconds = 0.3, int min_reps = 5) {
  using Clock = std::chrono::steady_clock;
  f();
  f();
  std::vector<double> times;
  const auto start = Clock::now();
  while (static_cast<int>(times.size()) < min_reps ||
         (std::chrono::duration<double>(Clock::now() - start).count() < min_seconds && times.size() < 200)) {
    const auto t0 = Clock::now();
    f();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

// Median seconds per call of two functions timed alternately, call by call, so that a noisy neighbour slows both
// alike and their ratio holds: two warm-up rounds, then at least `min_reps` pairs and `min_seconds` in all.
template <typename F, typename G>
std::pair<double, double> InterleavedMedianSeconds(F&& f, G&& g, double min_seconds = 0.6, int min_reps = 10) {
  using Clock = std::chrono::steady_clock;
  f(), g(), f(), g();
  std::vector<double> tf, tg;
  const auto start = Clock::now();
  while (static_cast<int>(tf.size()) < min_reps ||
         (std::chrono::duration<double>(Clock::now() - start).count() < min_seconds && tf.size() < 400)) {
    auto t0 = Clock::now();
    f();
    tf.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    t0 = Clock::now();
    g();
    tg.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  auto median = [](std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  return {median(tf), median(tg)};
}

}  // namespace cli
}  // namespace colconv

#endif  // COLCONV_TOOLS_TIMING_H_
