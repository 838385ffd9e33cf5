// Shared by the tests: reproducible data, guard-banded buffers, layout conversions, random problems over the
// DESIGN §3 grid, and tolerances scaled by the magnitude of what was summed.
#ifndef COLCONV_TESTS_TEST_UTIL_H_
#define COLCONV_TESTS_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "colconv/conv2d.h"
#include "src/layout.h"
#include "src/reference/reference.h"

namespace colconv {
namespace test {

// Values in [-1, 1), the same for the same seed on every machine.
std::vector<float> RandomFloats(size_t count, uint64_t seed);

// A float buffer between two guard bands; run code on data() and check the bands afterwards.
class GuardedBuffer {
 public:
  static constexpr float kGuardValue = -7777.25f;
  explicit GuardedBuffer(size_t count, float fill);
  float* data() { return storage_.data() + kGuard; }
  const float* data() const { return storage_.data() + kGuard; }
  size_t size() const { return count_; }
  bool GuardsIntact() const;
  bool AllEqual(float value) const;  // every element of the body
  std::vector<float> Values() const { return {data(), data() + count_}; }

 private:
  static constexpr size_t kGuard = 64;
  std::vector<float> storage_;
  size_t count_;
};

// The same floats bit for bit (NaNs included); empty vectors are equal without touching their null data.
bool SameBits(const std::vector<float>& a, const std::vector<float>& b);

// Reorders a tensor between storage formats (logical N, C, H, W) or a filter between HWIO and OIHW.
std::vector<float> ConvertData(const std::vector<float>& v, DataFormat from, DataFormat to, int64_t n, int64_t c,
                               int64_t h, int64_t w);
std::vector<float> ConvertFilter(const std::vector<float>& v, FilterFormat from, FilterFormat to, int64_t o,
                                 int64_t i, int64_t kh, int64_t kw);
Shape4 DataShape(DataFormat format, int64_t n, int64_t c, int64_t h, int64_t w);
Shape4 FilterShape(FilterFormat format, int64_t o, int64_t i, int64_t kh, int64_t kw);

// A valid problem drawn from the grid: k in {1,2,3,5,7} (rectangular too), strides 1..4, dilations 1..3, VALID,
// SAME or asymmetric explicit pads, odd channel counts, groups, both layouts, both filter formats.
struct Problem {
  Conv2dDesc desc;
  Shape4 src_shape{};
  Shape4 weights_shape{};
  Conv2dGeometry geometry;
  std::string Describe() const;
};
Problem RandomProblem(std::mt19937_64& rng, int64_t max_spatial = 12);

// Allowed |float result - exact| for a sum of `terms` products whose absolute values sum to `magnitude`.
double Tolerance(double magnitude, int64_t terms);

// Calls f(index in the result's storage, the reference's exact value and magnitude there, the terms it sums) for
// every element of the result of direction d, whose operands are a and b (forward: src, weights; backprop-input:
// weights, diff_dst; backprop-filter: src, diff_dst).
template <typename F>
void ForEachReferenceValue(Direction d, const Conv2dGeometry& g, const float* a, const float* b, F&& f) {
  const int64_t icg = g.in_channels_per_group(), ocg = g.out_channels_per_group();
  const int64_t taps = g.height.filter * g.width.filter;
  switch (d) {
    case Direction::kForward: {
      const TensorIndex di = DstIndex(g);
      ForEachIndex({g.batch, g.out_channels, g.height.output, g.width.output},
                             [&](int64_t n, int64_t oc, int64_t oh, int64_t ow) {
                               f(di(n, oc, oh, ow), reference::ForwardAt(g, a, b, n, oc, oh, ow), icg * taps);
                             });
      return;
    }
    case Direction::kBackpropInput: {
      const TensorIndex si = SrcIndex(g);
      ForEachIndex({g.batch, g.in_channels, g.height.input, g.width.input},
                             [&](int64_t n, int64_t c, int64_t ih, int64_t iw) {
                               f(si(n, c, ih, iw), reference::BackpropInputAt(g, a, b, n, c, ih, iw), ocg * taps);
                             });
      return;
    }
    case Direction::kBackpropFilter: {
      const FilterIndex wi = WeightsIndex(g);
      ForEachIndex({g.out_channels, icg, g.height.filter, g.width.filter},
                             [&](int64_t oc, int64_t ic, int64_t kh, int64_t kw) {
                               f(wi(oc, ic, kh, kw), reference::BackpropFilterAt(g, a, b, oc, ic, kh, kw),
                                 g.batch * g.height.output * g.width.output);
                             });
      return;
    }
  }
}

}  // namespace test
}  // namespace colconv

#endif  // COLCONV_TESTS_TEST_UTIL_H_
