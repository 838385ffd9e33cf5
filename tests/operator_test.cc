// Operators (prepacked weights) and post-ops (bias, activation, accumulate mode): operators against plans bit for
// bit, post-ops against the reference for every algorithm in every layout and direction, the stale-weights case,
// the counters that prove a second run packs and allocates nothing, and hostile arguments.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "colconv/colconv.h"
#include "colconv/conv2d.h"
#include "colconv/operator.h"
#include "src/shape.h"
#include "tests/test_util.h"
#include "tools/plan_of.h"

namespace colconv {
namespace {

double Scale() {
  const char* s = std::getenv("COLCONV_TEST_SCALE");
  return s != nullptr ? std::atof(s) : 1.0;
}

constexpr Direction kDirections[] = {Direction::kForward, Direction::kBackpropInput, Direction::kBackpropFilter};

// One problem's operands: a and b as the plan's runs take them (forward: src, weights; backprop-input: weights,
// diff_dst; backprop-filter: src, diff_dst), the result's values before the run, and forward's bias.
struct Data {
  std::vector<float> a, b, before, bias;
};

Data MakeData(Direction d, const Conv2dGeometry& g, uint64_t seed) {
  const std::array<Shape4, 3> shapes = OperandShapes(g, d);
  Data data;
  data.a = test::RandomFloats(NumElements(shapes[0]), seed);
  data.b = test::RandomFloats(NumElements(shapes[1]), seed + 1);
  data.before = test::RandomFloats(NumElements(shapes[2]), seed + 2);
  if (d == Direction::kForward) data.bias = test::RandomFloats(g.out_channels, seed + 3);
  return data;
}

// The weights among a run's operands, and the other input.
const std::vector<float>& WeightsOf(Direction d, const Data& data) { return d == Direction::kForward ? data.b : data.a; }

Status RunPlan(const Conv2dPlan& plan, const Data& data, const float* bias, float* out) {
  switch (plan.direction()) {
    case Direction::kForward:
      return plan.Forward(data.a.data(), data.b.data(), out, nullptr, bias);
    case Direction::kBackpropInput:
      return plan.BackpropInput(data.a.data(), data.b.data(), out);
    case Direction::kBackpropFilter:
      return plan.BackpropFilter(data.a.data(), data.b.data(), out);
  }
  return Status();
}

Status MakeOperator(Direction d, const Conv2dDesc& desc, const Conv2dGeometry& g, const float* weights,
                    const float* bias, Conv2dOperator* op, const PlanOptions& options) {
  const Shape4 src = g.src_shape();
  switch (d) {
    case Direction::kForward:
      return Conv2dOperator::CreateForward(desc, src, g.weights_shape(), weights, bias, op, options);
    case Direction::kBackpropInput:
      return Conv2dOperator::CreateBackpropInput(desc, {src[0], src[1], src[2], src[3]}, g.weights_shape(), weights,
                                                 g.dst_shape(), op, options);
    case Direction::kBackpropFilter:
      return Conv2dOperator::CreateBackpropFilter(desc, src, g.weights_shape(), g.dst_shape(), op, options);
  }
  return Status();
}

Status RunOperator(const Conv2dOperator& op, const Data& data, float* out) {
  switch (op.direction()) {
    case Direction::kForward:
      return op.Forward(data.a.data(), out);
    case Direction::kBackpropInput:
      return op.BackpropInput(data.b.data(), out);
    case Direction::kBackpropFilter:
      return op.BackpropFilter(data.a.data(), data.b.data(), out);
  }
  return Status();
}

float Activate(const PostOps& ops, float v) {
  if (std::isnan(v)) return v;
  switch (ops.activation) {
    case Activation::kNone:
      return v;
    case Activation::kRelu:
      return std::max(v, 0.0f);
    case Activation::kRelu6:
      return std::min(std::max(v, 0.0f), 6.0f);
    case Activation::kClamp:
      return std::min(std::max(v, ops.clamp_min), ops.clamp_max);
  }
  return v;
}

// activation(before + exact + bias) per element, within the tolerance of the sum; returns the failures' count.
int CompareWithPostOps(Direction d, const Conv2dGeometry& g, const Data& data, const PostOps& ops, bool with_bias,
                       const std::vector<float>& got, const std::string& what) {
  int failures = 0;
  const Shape4 dst = g.dst_shape();
  const int64_t channel_axis = g.data_format == DataFormat::kNHWC ? 3 : 1;
  test::ForEachReferenceValue(d, g, data.a.data(), data.b.data(), [&](size_t i, const reference::Value& want, int64_t terms) {
    double exact = want.value, magnitude = want.magnitude;
    if (ops.accumulate) exact += data.before[i], magnitude += std::fabs(data.before[i]);
    if (with_bias) {
      // The output channel of element i of dst.
      const int64_t inner = channel_axis == 3 ? 1 : dst[2] * dst[3];
      const float b = data.bias[static_cast<size_t>((static_cast<int64_t>(i) / inner) % dst[channel_axis])];
      exact += b, magnitude += std::fabs(b);
    }
    const double want_value = Activate(ops, static_cast<float>(exact));
    const double err = std::fabs(double(got[i]) - want_value);
    if (!(err <= test::Tolerance(magnitude, terms + 2)) && failures++ < 5) {
      FAIL_CHECK(what << ": element " << i << " = " << got[i] << ", want " << want_value);
    }
  });
  return failures;
}

// The random grid plus problems that reach each algorithm's own tiling of the result: depthwise in both layouts
// (transposed NCHW, and a channel multiplier of 2), direct_nhwc's grouped and stem shapes (NHWC, and NCHW on NHWC
// copies at strides 1 and 2), a 1x1 problem, a filter covering its input, and an empty output (backprop-input's
// result is then a zero gradient).
std::vector<test::Problem> Problems(std::mt19937_64& rng) {
  std::vector<test::Problem> problems;
  for (int i = 0; i < std::max(10, static_cast<int>(40 * Scale())); ++i) problems.push_back(test::RandomProblem(rng, 12));
  struct Shape {
    DataFormat df;
    FilterFormat ff;
    int64_t n, c, h, w, o, kh, kw, groups, stride;
    Padding padding;
  };
  const Shape shapes[] = {
      {DataFormat::kNHWC, FilterFormat::kHWIO, 2, 24, 9, 7, 24, 3, 3, 24, 1, Padding::kSame},
      {DataFormat::kNHWC, FilterFormat::kOIHW, 1, 20, 8, 9, 40, 5, 5, 20, 2, Padding::kSame},
      // 1x1 OIHW filters, which NHWC's backprop-input and backprop-filter read and write in place.
      {DataFormat::kNHWC, FilterFormat::kOIHW, 2, 8, 5, 4, 24, 1, 1, 1, 1, Padding::kValid},
      {DataFormat::kNHWC, FilterFormat::kOIHW, 1, 16, 6, 5, 24, 1, 1, 2, 2, Padding::kSame},
      // Fewer pixels than output channels: NHWC's backprop-filter writes OIHW from channel-major columns (over two
      // partial sums, and over two K slices of whole channels).
      {DataFormat::kNHWC, FilterFormat::kOIHW, 2, 16, 4, 4, 96, 3, 3, 2, 1, Padding::kSame},
      {DataFormat::kNHWC, FilterFormat::kOIHW, 1, 130, 5, 5, 40, 3, 3, 1, 2, Padding::kSame},
      {DataFormat::kNCHW, FilterFormat::kOIHW, 2, 32, 8, 8, 32, 3, 3, 32, 1, Padding::kSame},
      {DataFormat::kNCHW, FilterFormat::kHWIO, 1, 6, 7, 6, 12, 3, 3, 6, 2, Padding::kValid},
      {DataFormat::kNHWC, FilterFormat::kHWIO, 2, 32, 7, 6, 32, 3, 3, 8, 2, Padding::kSame},
      {DataFormat::kNHWC, FilterFormat::kOIHW, 1, 3, 11, 10, 32, 3, 3, 1, 2, Padding::kSame},
      {DataFormat::kNCHW, FilterFormat::kOIHW, 2, 64, 7, 6, 64, 3, 3, 4, 1, Padding::kSame},
      {DataFormat::kNCHW, FilterFormat::kHWIO, 1, 32, 9, 8, 32, 3, 3, 2, 2, Padding::kSame},
      {DataFormat::kNHWC, FilterFormat::kHWIO, 2, 8, 5, 4, 80, 1, 1, 1, 1, Padding::kValid},
      {DataFormat::kNCHW, FilterFormat::kOIHW, 2, 8, 5, 4, 24, 1, 1, 2, 1, Padding::kValid},
      {DataFormat::kNCHW, FilterFormat::kOIHW, 3, 4, 3, 2, 5, 3, 2, 1, 1, Padding::kValid},
      {DataFormat::kNHWC, FilterFormat::kHWIO, 2, 3, 2, 2, 4, 3, 3, 1, 1, Padding::kValid},
  };
  for (const Shape& s : shapes) {
    test::Problem p;
    p.desc.data_format = s.df, p.desc.filter_format = s.ff, p.desc.groups = s.groups;
    p.desc.strides = {{s.stride, s.stride}}, p.desc.padding = s.padding;
    p.src_shape = test::DataShape(s.df, s.n, s.c, s.h, s.w);
    p.weights_shape = test::FilterShape(s.ff, s.o, s.c / s.groups, s.kh, s.kw);
    REQUIRE(ResolveForward(p.desc, p.src_shape, p.weights_shape, &p.geometry).ok());
    problems.push_back(p);
  }
  return problems;
}

std::vector<PostOps> PostOpsOf(Direction d) {
  std::vector<PostOps> all;
  PostOps accumulate;
  accumulate.accumulate = true;
  all.push_back(accumulate);
  if (d != Direction::kForward) return all;
  for (Activation a : {Activation::kNone, Activation::kRelu, Activation::kRelu6, Activation::kClamp}) {
    for (bool acc : {false, true}) {
      PostOps ops;
      ops.activation = a, ops.accumulate = acc, ops.clamp_min = -0.25f, ops.clamp_max = 0.5f;
      all.push_back(ops);
    }
  }
  return all;
}

TEST_CASE("post-ops against the reference for every algorithm, layout and direction; operators equal plans bit for bit") {
  std::mt19937_64 rng(2026);
  std::map<std::string, int> ran;
  for (const test::Problem& p : Problems(rng)) {
    for (Direction d : kDirections) {
      for (const std::string& algorithm : Algorithms()) {
        for (const PostOps& ops : PostOpsOf(d)) {
          PlanOptions options;
          options.algorithm = algorithm;
          options.post_ops = ops;
          Conv2dPlan plan;
          if (!check::PlanOf(d, p.desc, p.geometry, &plan, options).ok()) continue;  // declined (ops_test checks why)
          ++ran[algorithm];
          const Data data = MakeData(d, p.geometry, rng());
          const bool with_bias = d == Direction::kForward && ops.activation != Activation::kRelu6;
          const float* bias = with_bias ? data.bias.data() : nullptr;
          const std::string what = p.Describe() + " " + OpName(d) + " via " + plan.description();

          std::vector<float> via_plan = data.before;
          Status s = RunPlan(plan, data, bias, via_plan.data());
          REQUIRE_MESSAGE(s.ok(), s.message());
          CHECK_MESSAGE(CompareWithPostOps(d, p.geometry, data, ops, with_bias, via_plan, what) == 0, what);

          Conv2dOperator op;
          s = MakeOperator(d, p.desc, p.geometry, WeightsOf(d, data).data(), bias, &op, options);
          REQUIRE_MESSAGE(s.ok(), s.message());
          CHECK(op.algorithm() == algorithm);
          std::vector<float> via_operator = data.before;
          s = RunOperator(op, data, via_operator.data());
          REQUIRE_MESSAGE(s.ok(), s.message());
          CHECK_MESSAGE(test::SameBits(via_plan, via_operator), what);
        }
      }
    }
  }
  for (const std::string& algorithm : Algorithms()) {
    if (algorithm != "reference") CHECK_MESSAGE(ran[algorithm] > 0, algorithm);
  }
}

// A depthwise NHWC forward layer with an OIHW filter: every algorithm that takes it reorders the filter.
struct Layer {
  Conv2dDesc desc;
  Conv2dGeometry g;
  Layer() {
    desc.filter_format = FilterFormat::kOIHW;
    desc.padding = Padding::kSame;
    desc.groups = 16;
    REQUIRE(ResolveForward(desc, {1, 9, 9, 16}, {16, 1, 3, 3}, &g).ok());
  }
};

TEST_CASE("an operator keeps the weights it packed until Repack, which takes the new ones") {
  const Layer layer;
  const Data data = MakeData(Direction::kForward, layer.g, 5);
  std::vector<float> weights = data.b;
  Conv2dOperator op;
  REQUIRE(Conv2dOperator::CreateForward(layer.desc, layer.g.src_shape(), layer.g.weights_shape(), weights.data(),
                                        data.bias.data(), &op).ok());
  CHECK(op.counters().packs == 1);
  Conv2dPlan plan;
  REQUIRE(check::PlanOf(Direction::kForward, layer.desc, layer.g, &plan).ok());
  const size_t out = static_cast<size_t>(NumElements(layer.g.dst_shape()));
  std::vector<float> want_old(out), want_new(out), got(out);
  REQUIRE(plan.Forward(data.a.data(), weights.data(), want_old.data(), nullptr, data.bias.data()).ok());

  // An in-place update of the caller's weights (an optimizer step) does not reach the packed copy...
  for (float& w : weights) w = 0.5f * w + 0.125f;
  REQUIRE(plan.Forward(data.a.data(), weights.data(), want_new.data(), nullptr, data.bias.data()).ok());
  REQUIRE(!test::SameBits(want_old, want_new));
  REQUIRE(op.Forward(data.a.data(), got.data()).ok());
  CHECK(test::SameBits(got, want_old));
  // ...until Repack.
  REQUIRE(op.Repack(weights.data(), data.bias.data()).ok());
  CHECK(op.counters().packs == 2);
  REQUIRE(op.Forward(data.a.data(), got.data()).ok());
  CHECK(test::SameBits(got, want_new));
  // Repacking without a bias drops it.
  REQUIRE(op.Repack(weights.data()).ok());
  REQUIRE(plan.Forward(data.a.data(), weights.data(), want_new.data()).ok());
  REQUIRE(op.Forward(data.a.data(), got.data()).ok());
  CHECK(test::SameBits(got, want_new));
}

TEST_CASE("operator stress: a second run packs and allocates nothing, nor do concurrent runs with their own workspaces") {
  const Layer layer;
  const Data data = MakeData(Direction::kForward, layer.g, 9);
  Conv2dOperator op;
  REQUIRE(Conv2dOperator::CreateForward(layer.desc, layer.g.src_shape(), layer.g.weights_shape(), data.b.data(),
                                        nullptr, &op).ok());
  const size_t out = static_cast<size_t>(NumElements(layer.g.dst_shape()));
  std::vector<float> first(out), second(out);
  REQUIRE(op.Forward(data.a.data(), first.data()).ok());
  REQUIRE(op.Forward(data.a.data(), second.data()).ok());
  CHECK(test::SameBits(first, second));
  CHECK(op.counters().packs == 1);
  CHECK(op.counters().temporary_workspaces == 0);

  std::vector<std::vector<float>> results(4, std::vector<float>(out));
  std::vector<std::vector<unsigned char>> workspaces(4, std::vector<unsigned char>(op.workspace_bytes()));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        CHECK(op.Forward(data.a.data(), results[t].data(), workspaces[t].data(), workspaces[t].size()).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::vector<float>& r : results) CHECK(test::SameBits(r, first));
  CHECK(op.counters().packs == 1);
  CHECK(op.counters().temporary_workspaces == 0);
}

bool Says(const Status& s, const std::string& words) {
  return !s.ok() && s.code() == StatusCode::kInvalidArgument && s.message().find(words) != std::string::npos;
}

TEST_CASE("operators and post-ops: hostile arguments are clear errors that write nothing") {
  const Layer layer;
  const Data data = MakeData(Direction::kForward, layer.g, 3);
  const Shape4 src = layer.g.src_shape(), weights = layer.g.weights_shape(), dst = layer.g.dst_shape();
  CHECK(Says(Conv2dOperator::CreateForward(layer.desc, src, weights, data.b.data(), nullptr, nullptr), "op is null"));
  Conv2dOperator op;
  CHECK(Says(Conv2dOperator::CreateForward(layer.desc, src, weights, nullptr, nullptr, &op), "weights is NULL"));
  const Shape4 wrong_weights{weights[0], 2, weights[2], weights[3]};  // 2 input channels per group, not 1
  const Status wrong = Conv2dOperator::CreateForward(layer.desc, src, wrong_weights, data.b.data(), nullptr, &op);
  const bool names_groups = !wrong.ok() && wrong.message().find("groups") != std::string::npos;
  CHECK_MESSAGE(names_groups, wrong.message());
  CHECK_FALSE(op.valid());
  test::GuardedBuffer out(static_cast<size_t>(NumElements(dst)), 1.5f);
  CHECK(Says(op.Forward(data.a.data(), out.data()), "Conv2dOperator::Forward: it is empty"));

  PlanOptions relu;
  relu.post_ops.activation = Activation::kRelu;
  CHECK(Says(Conv2dOperator::CreateBackpropInput(layer.desc, {src[0], src[1], src[2], src[3]}, weights, data.b.data(),
                                                 dst, &op, relu),
             "activations apply to forward only"));
  PlanOptions clamp;
  clamp.post_ops.activation = Activation::kClamp;
  clamp.post_ops.clamp_min = 1.0f, clamp.post_ops.clamp_max = -1.0f;
  CHECK(Says(Conv2dOperator::CreateForward(layer.desc, src, weights, data.b.data(), nullptr, &op, clamp), "clamp_min"));
  clamp.post_ops.clamp_min = NAN;
  CHECK(Says(Conv2dOperator::CreateForward(layer.desc, src, weights, data.b.data(), nullptr, &op, clamp), "clamp_min"));
  PlanOptions unknown;
  unknown.post_ops.activation = static_cast<Activation>(9);
  CHECK(Says(Conv2dOperator::CreateForward(layer.desc, src, weights, data.b.data(), nullptr, &op, unknown), "activation is 9"));

  REQUIRE(Conv2dOperator::CreateForward(layer.desc, src, weights, data.b.data(), nullptr, &op).ok());
  CHECK(Says(op.Forward(nullptr, out.data()), "src is NULL"));
  CHECK(Says(op.Forward(data.a.data(), nullptr), "dst is NULL"));
  CHECK(Says(op.BackpropInput(data.a.data(), out.data()), "it was created for conv2d"));
  if (op.workspace_bytes() > 0) {
    std::vector<unsigned char> small(op.workspace_bytes() - 1);
    CHECK(Says(op.Forward(data.a.data(), out.data(), small.data(), small.size()), "workspace_size is"));
  }
  CHECK(Says(op.Repack(nullptr), "weights is NULL"));
  CHECK(out.AllEqual(1.5f));
  CHECK(out.GuardsIntact());
  CHECK(op.counters().packs == 1);  // the failed Repack kept the weights

  Conv2dOperator filter_op;
  REQUIRE(Conv2dOperator::CreateBackpropFilter(layer.desc, src, weights, dst, &filter_op).ok());
  CHECK(Says(filter_op.Repack(data.b.data()), "reads no weights"));
  Conv2dOperator data_op;
  REQUIRE(Conv2dOperator::CreateBackpropInput(layer.desc, {src[0], src[1], src[2], src[3]}, weights, data.b.data(), dst,
                                              &data_op).ok());
  CHECK(Says(data_op.Repack(data.b.data(), data.bias.data()), "a bias applies to forward only"));
}

TEST_CASE("the C API's operators: the C++ operator's bits, and hostile arguments named") {
  const Layer layer;
  const Data data = MakeData(Direction::kForward, layer.g, 11);
  colconv_conv2d_attrs attrs;
  colconv_conv2d_attrs_init(&attrs);
  attrs.filter_format = COLCONV_OIHW, attrs.padding = COLCONV_SAME, attrs.groups = layer.desc.groups;
  const Shape4 src = layer.g.src_shape(), weights = layer.g.weights_shape(), dst = layer.g.dst_shape();
  colconv_post_ops post_ops;
  colconv_post_ops_init(&post_ops);
  post_ops.activation = COLCONV_ACTIVATION_CLAMP, post_ops.clamp_min = -0.5f, post_ops.clamp_max = 0.25f;
  colconv_conv2d_op* op = nullptr;
  REQUIRE(colconv_conv2d_op_create(COLCONV_FORWARD, &attrs, src.data(), weights.data(), nullptr, data.b.data(),
                                   data.bias.data(), &post_ops, &op) == COLCONV_OK);
  PlanOptions options;
  options.post_ops.activation = Activation::kClamp, options.post_ops.clamp_min = -0.5f, options.post_ops.clamp_max = 0.25f;
  Conv2dOperator cpp;
  REQUIRE(Conv2dOperator::CreateForward(layer.desc, src, weights, data.b.data(), data.bias.data(), &cpp, options).ok());
  CHECK(std::string(colconv_conv2d_op_algorithm(op)) == cpp.algorithm());
  const size_t out = static_cast<size_t>(NumElements(dst));
  std::vector<float> via_c(out), via_cpp(out);
  REQUIRE(colconv_conv2d_op_run(op, data.a.data(), nullptr, via_c.data(), nullptr, 0) == COLCONV_OK);
  REQUIRE(cpp.Forward(data.a.data(), via_cpp.data()).ok());
  CHECK(test::SameBits(via_c, via_cpp));

  test::GuardedBuffer untouched(out, 2.5f);
  if (colconv_conv2d_op_workspace_size(op) > 0) {
    std::vector<unsigned char> small(colconv_conv2d_op_workspace_size(op) - 1);
    CHECK(colconv_conv2d_op_run(op, data.a.data(), nullptr, untouched.data(), small.data(), small.size()) ==
          COLCONV_INVALID_ARGUMENT);
    CHECK(std::string(colconv_last_error()).find("workspace_size is") != std::string::npos);
  }
  CHECK(colconv_conv2d_op_run(op, nullptr, nullptr, untouched.data(), nullptr, 0) == COLCONV_INVALID_ARGUMENT);
  CHECK(untouched.AllEqual(2.5f));
  CHECK(colconv_conv2d_op_repack(nullptr, data.b.data(), nullptr) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()).find("op is NULL") != std::string::npos);
  CHECK(colconv_conv2d_op_repack(op, data.b.data(), nullptr) == COLCONV_OK);
  CHECK(std::string(colconv_last_error()).empty());
  colconv_conv2d_op_destroy(op);

  colconv_conv2d_op* none = nullptr;
  CHECK(colconv_conv2d_op_create(static_cast<colconv_direction>(7), &attrs, src.data(), weights.data(), dst.data(),
                                 data.b.data(), nullptr, nullptr, &none) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()).find("direction is 7") != std::string::npos);
  CHECK(colconv_conv2d_op_create(COLCONV_FORWARD, &attrs, src.data(), weights.data(), nullptr, nullptr, nullptr,
                                 nullptr, &none) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()).find("filter is NULL") != std::string::npos);
  CHECK(colconv_conv2d_op_create(COLCONV_BACKPROP_INPUT, &attrs, src.data(), weights.data(), dst.data(), data.b.data(),
                                 data.bias.data(), nullptr, &none) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()).find("bias applies to forward only") != std::string::npos);
  post_ops.activation = COLCONV_ACTIVATION_RELU;
  CHECK(colconv_conv2d_op_create(COLCONV_BACKPROP_FILTER, &attrs, src.data(), weights.data(), dst.data(), nullptr,
                                 nullptr, &post_ops, &none) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()).find("forward only") != std::string::npos);
  CHECK(colconv_conv2d_op_create(COLCONV_FORWARD, &attrs, src.data(), weights.data(), nullptr, data.b.data(), nullptr,
                                 nullptr, nullptr) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()).find("op is NULL") != std::string::npos);
  CHECK(none == nullptr);
}

}  // namespace
}  // namespace colconv
