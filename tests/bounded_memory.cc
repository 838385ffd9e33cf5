// A layer whose whole column matrix would take 38.7 GB (batch 64, 256 channels, 256x256, 3x3, stride 1) runs
// forward and backprop-filter in a workspace of a few MB: the peak RSS grows by no more than the workspaces
// plus a fixed allowance for the libraries' own buffers, and a sample of each result matches the reference.
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "colconv/conv2d.h"
#include "src/reference/reference.h"

namespace {

constexpr long long kAllowanceBytes = 256ll << 20;  // OpenBLAS's packing buffers, TBB's threads and stacks

long long PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<long long>(usage.ru_maxrss) * 1024;
}

void Fill(std::vector<float>& v, unsigned seed) {
  unsigned x = seed;
  for (float& f : v) {
    x = x * 1664525u + 1013904223u;
    f = static_cast<float>(x >> 9) * (2.0f / 8388608.0f) - 1.0f;
  }
}

// Largest |error| / tolerance over a spread sample; <= 1 passes.
template <typename At>
double Sample(size_t count, const float* got, At at) {
  double worst = 0;
  for (size_t i = 0; i < 48; ++i) {
    const size_t index = i == 0 ? 0 : i == 1 ? count - 1 : (i * 2654435761u) % count;
    const colconv::reference::Value want = at(index);
    const double tol = 1e-5 * want.magnitude + 1e-6;
    worst = std::max(worst, std::fabs(double(got[index]) - want.value) / tol);
  }
  return worst;
}

}  // namespace

int main() {
  using namespace colconv;
  const int64_t n = 64, c = 256, h = 256, w = 256, oc = 64, k = 3;
  const double columns = double(n) * h * w * k * k * c * sizeof(float);
  Conv2dDesc desc;  // NHWC, HWIO
  desc.padding = Padding::kSame;
  std::vector<float> src(static_cast<size_t>(n * h * w * c)), weights(static_cast<size_t>(k * k * c * oc));
  std::vector<float> dst(static_cast<size_t>(n * h * w * oc)), diff_weights(weights.size());
  Fill(src, 1);
  Fill(weights, 2);
  Fill(dst, 3);  // touched now, so that the tensors are in the RSS before the runs
  Fill(diff_weights, 4);
  const long long tensors = PeakRssBytes();

  PlanOptions options;
  options.own_workspace = false;
  Conv2dPlan forward, backprop_filter;
  Status s = Conv2dPlan::CreateForward(desc, {n, h, w, c}, {k, k, c, oc}, &forward, options);
  if (s.ok()) s = Conv2dPlan::CreateBackpropFilter(desc, {n, h, w, c}, {k, k, c, oc}, {n, h, w, oc}, &backprop_filter,
                                                   options);
  if (!s.ok()) {
    std::printf("bounded_memory: %s\n", s.message().c_str());
    return 1;
  }
  const size_t workspace = std::max(forward.workspace_bytes(), backprop_filter.workspace_bytes());
  std::vector<unsigned char> scratch(workspace);
  s = forward.Forward(src.data(), weights.data(), dst.data(), scratch.data());
  const long long after_forward = PeakRssBytes();
  // The forward output serves as out_backprop.
  if (s.ok()) s = backprop_filter.BackpropFilter(src.data(), dst.data(), diff_weights.data(), scratch.data());
  const long long after_both = PeakRssBytes();
  if (!s.ok()) {
    std::printf("bounded_memory: %s\n", s.message().c_str());
    return 1;
  }
  const Conv2dGeometry& g = forward.geometry();
  const double fwd_err = Sample(dst.size(), dst.data(), [&](size_t i) {
    const int64_t px = static_cast<int64_t>(i) / oc;
    return reference::ForwardAt(g, src.data(), weights.data(), px / (h * w), static_cast<int64_t>(i) % oc,
                                (px / w) % h, px % w);
  });
  const double bwd_err = Sample(diff_weights.size(), diff_weights.data(), [&](size_t i) {
    const int64_t kk = static_cast<int64_t>(i) / oc;  // HWIO: ((kh * k + kw) * c + ic) * oc + o
    return reference::BackpropFilterAt(backprop_filter.geometry(), src.data(), dst.data(), static_cast<int64_t>(i) % oc,
                                       kk % c, kk / c / k, kk / c % k);
  });
  const long long growth = after_both - tensors;
  const bool bounded = growth <= static_cast<long long>(workspace) + kAllowanceBytes;
  std::printf("bounded_memory: full column matrix %.1f GB; tensors %.2f GB; workspace %.2f MB; peak RSS grew by "
              "%.1f MB in forward and %.1f MB in all (allowed %.1f MB)\n",
              columns / 1e9, tensors / 1e9, workspace / 1e6, (after_forward - tensors) / 1e6, growth / 1e6,
              (workspace + kAllowanceBytes) / 1e6);
  std::printf("bounded_memory: sampled error / tolerance: forward %.3g, backprop-filter %.3g\n", fwd_err, bwd_err);
  const bool ok = bounded && fwd_err <= 1 && bwd_err <= 1;
  std::printf("bounded_memory: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
