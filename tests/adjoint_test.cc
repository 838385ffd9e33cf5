// The three directions are one linear map and its two adjoints: <conv(x, w), dy> = <x, backprop_input(dy, w)>
// = <w, backprop_filter(x, dy)>, over random problems from the whole DESIGN §3 grid.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "colconv/conv2d.h"
#include "src/shape.h"
#include "tests/test_util.h"

namespace colconv {
namespace {

struct Dot {
  double value = 0;
  double magnitude = 0;
};

Dot Inner(const std::vector<float>& a, const std::vector<float>& b) {
  Dot d;
  for (size_t i = 0; i < a.size(); ++i) {
    d.value += double(a[i]) * double(b[i]);
    d.magnitude += std::fabs(double(a[i]) * double(b[i]));
  }
  return d;
}

TEST_CASE("adjoint identities over random problems") {
  std::mt19937_64 rng(20261125);
  for (int trial = 0; trial < 400; ++trial) {
    const test::Problem p = test::RandomProblem(rng);
    const Conv2dGeometry& g = p.geometry;
    CAPTURE(p.Describe());
    const std::vector<float> x = test::RandomFloats(NumElements(g.src_shape()), rng());
    const std::vector<float> w = test::RandomFloats(NumElements(g.weights_shape()), rng());
    const std::vector<float> dy = test::RandomFloats(NumElements(g.dst_shape()), rng());
    std::vector<float> y(dy.size()), gx(x.size()), gw(w.size());

    Conv2dPlan fwd, bwd_input, bwd_filter;
    REQUIRE(Conv2dPlan::CreateForward(p.desc, p.src_shape, p.weights_shape, &fwd).ok());
    const Shape4 s = g.src_shape();
    REQUIRE(Conv2dPlan::CreateBackpropInput(p.desc, {s[0], s[1], s[2], s[3]}, p.weights_shape, g.dst_shape(),
                                            &bwd_input)
                .ok());
    REQUIRE(Conv2dPlan::CreateBackpropFilter(p.desc, p.src_shape, p.weights_shape, g.dst_shape(), &bwd_filter).ok());
    REQUIRE(fwd.Forward(x.data(), w.data(), y.data()).ok());
    REQUIRE(bwd_input.BackpropInput(w.data(), dy.data(), gx.data()).ok());
    REQUIRE(bwd_filter.BackpropFilter(x.data(), dy.data(), gw.data()).ok());

    const Dot a = Inner(y, dy), b = Inner(x, gx), c = Inner(w, gw);
    const double scale = std::max({a.magnitude, b.magnitude, c.magnitude});
    const int64_t terms = g.in_channels_per_group() * g.height.filter * g.width.filter * g.out_channels_per_group() *
                          (g.height.output * g.width.output + 1);
    const double tol = test::Tolerance(scale, terms);
    CHECK(std::fabs(a.value - b.value) <= tol);
    CHECK(std::fabs(a.value - c.value) <= tol);
  }
}

}  // namespace
}  // namespace colconv
