// Hostile input: sizes at and past the edges of int64, and many threads calling the C API at once. Every bad
// call is refused with a message before anything is allocated or written; every good one gives the bits a
// single-threaded call gives.
#include <doctest/doctest.h>

#include <tbb/parallel_for.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "colconv/colconv.h"
#include "src/shape.h"
#include "tests/test_util.h"

namespace colconv {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr float kUntouched = -1234.5f;

enum class Op { kForward, kBackpropInput, kBackpropFilter };

// One call with the given shapes and real (small) buffers; the result buffer must stay untouched on error.
colconv_status Call(Op op, const colconv_conv2d_attrs* attrs, const int64_t a[4], const int64_t f[4],
                    const int64_t dy[4], bool* untouched) {
  std::vector<float> in0(64, 1.0f), in1(64, 1.0f);
  test::GuardedBuffer out(64, kUntouched);
  colconv_status s = COLCONV_OK;
  switch (op) {
    case Op::kForward:
      s = colconv_conv2d(attrs, a, in0.data(), f, in1.data(), out.data());
      break;
    case Op::kBackpropInput:
      s = colconv_conv2d_backprop_input(attrs, a, f, in0.data(), dy, in1.data(), out.data());
      break;
    case Op::kBackpropFilter:
      s = colconv_conv2d_backprop_filter(attrs, a, in0.data(), f, dy, in1.data(), out.data());
      break;
  }
  *untouched = out.AllEqual(kUntouched) && out.GuardsIntact();
  return s;
}

struct Hostile {
  const char* name;
  int64_t a[4], f[4], dy[4];
  void (*attrs)(colconv_conv2d_attrs*);
  const char* words;
  colconv_status status;
};

void Plain(colconv_conv2d_attrs*) {}

TEST_CASE("sizes at the edges of int64 are refused with a message, in every op, without allocating") {
  const Hostile cases[] = {
      {"batch INT64_MAX", {kMax, 1, 1, 1}, {1, 1, 1, 1}, {kMax, 1, 1, 1}, Plain, "more float32 bytes than fit int64",
       COLCONV_INVALID_ARGUMENT},
      {"elements overflow int64", {int64_t{1} << 32, int64_t{1} << 32, 1, 1}, {1, 1, 1, 1},
       {int64_t{1} << 32, int64_t{1} << 32, 1, 1}, Plain, "more float32 bytes than fit int64", COLCONV_INVALID_ARGUMENT},
      {"bytes overflow", {int64_t{1} << 61, 1, 1, 1}, {1, 1, 1, 1}, {int64_t{1} << 61, 1, 1, 1}, Plain,
       "more float32 bytes", COLCONV_INVALID_ARGUMENT},
      {"INT64_MIN size", {1, kMin, 4, 1}, {1, 1, 1, 1}, {1, 4, 4, 1}, Plain, "sizes must be >= 0",
       COLCONV_INVALID_ARGUMENT},
      {"negative channels", {1, 4, 4, -1}, {1, 1, 1, 1}, {1, 4, 4, 1}, Plain, "is -1", COLCONV_INVALID_ARGUMENT},
      {"negative filter", {1, 4, 4, 1}, {-3, 1, 1, 1}, {1, 4, 4, 1}, Plain, "filter", COLCONV_INVALID_ARGUMENT},
      {"zero filter width", {1, 4, 4, 1}, {1, 0, 1, 1}, {1, 4, 4, 1}, Plain, "filter sizes must be >= 1",
       COLCONV_INVALID_ARGUMENT},
      {"zero stride", {1, 4, 4, 1}, {1, 1, 1, 1}, {1, 4, 4, 1}, [](colconv_conv2d_attrs* t) { t->strides[1] = 0; },
       "strides must be >= 1", COLCONV_INVALID_ARGUMENT},
      {"INT64_MIN stride", {1, 4, 4, 1}, {1, 1, 1, 1}, {1, 4, 4, 1},
       [](colconv_conv2d_attrs* t) { t->strides[0] = kMin; }, "strides must be >= 1", COLCONV_INVALID_ARGUMENT},
      {"negative dilation", {1, 4, 4, 1}, {1, 1, 1, 1}, {1, 4, 4, 1},
       [](colconv_conv2d_attrs* t) { t->dilations[1] = -7; }, "dilations must be >= 1", COLCONV_INVALID_ARGUMENT},
      {"huge dilation", {1, 4, 4, 1}, {2, 1, 1, 1}, {1, 4, 4, 1},
       [](colconv_conv2d_attrs* t) { t->dilations[0] = kMax; }, "does not fit int64", COLCONV_INVALID_ARGUMENT},
      {"explicit pads at INT64_MAX", {1, 4, 4, 1}, {1, 1, 1, 1}, {1, 4, 4, 1},
       [](colconv_conv2d_attrs* t) {
         t->padding = COLCONV_EXPLICIT;
         t->explicit_paddings[2] = kMax;
         t->explicit_paddings[3] = kMax;
       },
       "does not fit int64", COLCONV_INVALID_ARGUMENT},
      {"groups do not divide", {1, 4, 4, 6}, {1, 1, 2, 4}, {1, 4, 4, 4},
       [](colconv_conv2d_attrs* t) { t->groups = 4; }, "must equal attrs.groups 4", COLCONV_INVALID_ARGUMENT},
      {"groups INT64_MAX", {1, 4, 4, 6}, {1, 1, 3, 4}, {1, 4, 4, 4},
       [](colconv_conv2d_attrs* t) { t->groups = kMax; }, "attrs.groups", COLCONV_INVALID_ARGUMENT},
      {"zero groups", {1, 4, 4, 1}, {1, 1, 1, 1}, {1, 4, 4, 1}, [](colconv_conv2d_attrs* t) { t->groups = 0; },
       "groups must be >= 1", COLCONV_INVALID_ARGUMENT},
      {"SAME on a huge input", {kMax / 2, kMax / 2, 1, 1}, {1, 1, 1, 1}, {kMax / 2, kMax / 2, 1, 1},
       [](colconv_conv2d_attrs* t) { t->padding = COLCONV_SAME; }, "more float32 bytes", COLCONV_INVALID_ARGUMENT},
      // Valid shapes whose reordered filter (NHWC data, OIHW filter) would need 144 GiB of workspace: refused for
      // the memory, before any allocation or any read of the (here tiny) buffers.
      {"workspace beyond memory", {1, 3, 3, 4096}, {int64_t{1} << 20, 4096, 3, 3}, {1, 1, 1, int64_t{1} << 20},
       [](colconv_conv2d_attrs* t) { t->filter_format = COLCONV_OIHW; }, "more than half of this machine's memory",
       COLCONV_RESOURCE_EXHAUSTED},
  };
  for (const Hostile& c : cases) {
    for (Op op : {Op::kForward, Op::kBackpropInput, Op::kBackpropFilter}) {
      // The memory case concerns the ops that reorder the filter into the workspace.
      if (c.status == COLCONV_RESOURCE_EXHAUSTED && op == Op::kBackpropFilter) continue;
      colconv_conv2d_attrs attrs;
      colconv_conv2d_attrs_init(&attrs);
      c.attrs(&attrs);
      CAPTURE(c.name);
      CAPTURE(static_cast<int>(op));
      bool untouched = false;
      const colconv_status s = Call(op, &attrs, c.a, c.f, c.dy, &untouched);
      const std::string message = colconv_last_error();
      CAPTURE(message);
      CHECK(s == c.status);
      CHECK(untouched);
      CHECK(message.find(c.words) != std::string::npos);
    }
  }
}

TEST_CASE("null attrs and null data with non-zero sizes, in every op") {
  const int64_t a[4] = {1, 4, 4, 2}, f[4] = {3, 3, 2, 3}, dy[4] = {1, 2, 2, 3};
  colconv_conv2d_attrs attrs;
  colconv_conv2d_attrs_init(&attrs);
  for (Op op : {Op::kForward, Op::kBackpropInput, Op::kBackpropFilter}) {
    bool untouched = false;
    CHECK(Call(op, nullptr, a, f, dy, &untouched) == COLCONV_INVALID_ARGUMENT);
    CHECK(untouched);
    CHECK(std::string(colconv_last_error()).find("attrs is NULL") != std::string::npos);
  }
  std::vector<float> data(64, 1.0f), out(64, kUntouched);
  CHECK(colconv_conv2d(&attrs, a, nullptr, f, data.data(), out.data()) == COLCONV_INVALID_ARGUMENT);
  CHECK(colconv_conv2d(&attrs, a, data.data(), f, nullptr, out.data()) == COLCONV_INVALID_ARGUMENT);
  CHECK(colconv_conv2d_backprop_input(&attrs, a, f, data.data(), dy, nullptr, out.data()) == COLCONV_INVALID_ARGUMENT);
  CHECK(colconv_conv2d_backprop_filter(&attrs, a, nullptr, f, dy, data.data(), out.data()) ==
        COLCONV_INVALID_ARGUMENT);
  CHECK(colconv_conv2d_backprop_filter(&attrs, a, data.data(), f, dy, data.data(), nullptr) ==
        COLCONV_INVALID_ARGUMENT);
  CHECK(out == std::vector<float>(64, kUntouched));
}

TEST_CASE("valid problems too big to hold are planned without overflow and refused for NULL data, by every algorithm") {
  struct Huge {
    const char* name;
    int64_t a[4], f[4], dy[4];
    colconv_padding padding;
    int64_t stride_h;
  };
  const int64_t m20 = int64_t{1} << 20;
  const Huge cases[] = {
      // Found by the fuzzer: an 11 x 2^20 filter over 2^20 images of 2^20 x 4 pixels, whose im2col columns
      // (batch x pixels x taps) overflow int64.
      {"column matrix beyond int64", {m20, m20, 4, 1}, {11, m20, 1, 1}, {m20, m20 / 4, 4, 1}, COLCONV_SAME, 4},
      {"batch 2^24 of ResNet's 7x7 layer", {int64_t{1} << 24, 7, 7, 512}, {3, 3, 512, 512},
       {int64_t{1} << 24, 7, 7, 512}, COLCONV_SAME, 1},
  };
  for (const Huge& c : cases) {
    colconv_conv2d_attrs attrs;
    colconv_conv2d_attrs_init(&attrs);
    attrs.padding = c.padding;
    attrs.strides[0] = c.stride_h;
    for (const char* algorithm : {"", "im2col_gemm", "pointwise_gemm", "batch_gemm", "direct_nhwc", "depthwise"}) {
      REQUIRE(colconv_set_algorithm(algorithm) == COLCONV_OK);
      // Refused for the data, or (forced) for a problem the algorithm does not compute: never a crash.
      auto refused = [&](colconv_status s) {
        const std::string message = colconv_last_error();
        CAPTURE(c.name);
        CAPTURE(algorithm);
        CAPTURE(message);
        CHECK(s == COLCONV_INVALID_ARGUMENT);
        CHECK((message.find("is NULL") != std::string::npos || message.find("does not compute") != std::string::npos));
        if (*algorithm == '\0') CHECK(message.find("is NULL") != std::string::npos);
      };
      refused(colconv_conv2d(&attrs, c.a, nullptr, c.f, nullptr, nullptr));
      refused(colconv_conv2d_backprop_input(&attrs, c.a, c.f, nullptr, c.dy, nullptr, nullptr));
      refused(colconv_conv2d_backprop_filter(&attrs, c.a, nullptr, c.f, c.dy, nullptr, nullptr));
    }
  }
  REQUIRE(colconv_set_algorithm(nullptr) == COLCONV_OK);
}

TEST_CASE("a dilation far beyond the input is fine where the filter has one tap") {
  colconv_conv2d_attrs attrs;
  colconv_conv2d_attrs_init(&attrs);
  attrs.dilations[0] = attrs.dilations[1] = kMax;
  const int64_t a[4] = {1, 3, 3, 2}, f[4] = {1, 1, 2, 2};
  const std::vector<float> x = test::RandomFloats(18, 1), w = test::RandomFloats(4, 2);
  std::vector<float> y(18);
  REQUIRE(colconv_conv2d(&attrs, a, x.data(), f, w.data(), y.data()) == COLCONV_OK);
  CHECK(y[0] == x[0] * w[0] + x[1] * w[2]);
}

TEST_CASE("a one-tap filter's huge dilation changes nothing in the im2col path, in every op and layout") {
  // Padding sends the problem through im2col and col2im (four channels: the run path, not the per-element one),
  // whose walks must not scale the unused dilation.
  for (const colconv_data_format format : {COLCONV_NHWC, COLCONV_NCHW}) {
    CAPTURE(format);
    colconv_conv2d_attrs attrs;
    colconv_conv2d_attrs_init(&attrs);
    attrs.data_format = format;
    attrs.padding = COLCONV_EXPLICIT;
    for (int64_t& pad : attrs.explicit_paddings) pad = 1;
    colconv_conv2d_attrs dilated = attrs;
    dilated.dilations[0] = int64_t{1} << 62;
    dilated.dilations[1] = kMax;
    const bool nhwc = format == COLCONV_NHWC;
    const int64_t a[4] = {1, nhwc ? 3 : 4, 3, nhwc ? 4 : 3}, f[4] = {1, 1, 4, 2};
    const int64_t dy[4] = {1, nhwc ? 5 : 2, 5, nhwc ? 2 : 5};
    const std::vector<float> x = test::RandomFloats(36, 3), w = test::RandomFloats(8, 4), g = test::RandomFloats(50, 5);
    std::vector<float> y(50), dx(36), dw(8), y1(50), dx1(36), dw1(8);
    REQUIRE(colconv_conv2d(&attrs, a, x.data(), f, w.data(), y1.data()) == COLCONV_OK);
    REQUIRE(colconv_conv2d_backprop_input(&attrs, a, f, w.data(), dy, g.data(), dx1.data()) == COLCONV_OK);
    REQUIRE(colconv_conv2d_backprop_filter(&attrs, a, x.data(), f, dy, g.data(), dw1.data()) == COLCONV_OK);
    REQUIRE(colconv_conv2d(&dilated, a, x.data(), f, w.data(), y.data()) == COLCONV_OK);
    REQUIRE(colconv_conv2d_backprop_input(&dilated, a, f, w.data(), dy, g.data(), dx.data()) == COLCONV_OK);
    REQUIRE(colconv_conv2d_backprop_filter(&dilated, a, x.data(), f, dy, g.data(), dw.data()) == COLCONV_OK);
    CHECK(test::SameBits(y, y1));
    CHECK(test::SameBits(dx, dx1));
    CHECK(test::SameBits(dw, dw1));
  }
}

TEST_CASE("strides of INT64_MAX size their outputs without overflowing") {
  colconv_conv2d_attrs attrs;
  colconv_conv2d_attrs_init(&attrs);
  attrs.strides[0] = attrs.strides[1] = kMax;
  int64_t out[4];
  // (4 - 1 + MAX) / MAX = 1 in exact arithmetic: one window, at the origin.
  const int64_t a[4] = {1, 4, 4, 1}, f1[4] = {1, 1, 1, 1}, f5[4] = {5, 1, 1, 1};
  REQUIRE(colconv_conv2d_output_shape(&attrs, a, f1, out) == COLCONV_OK);
  CHECK(out[1] == 1);
  CHECK(out[2] == 1);
  // (4 - 5 + MAX) / MAX = 0: an empty output, and the admissible sizes for one output row end at INT64_MAX.
  REQUIRE(colconv_conv2d_output_shape(&attrs, a, f5, out) == COLCONV_OK);
  CHECK(out[1] == 0);
  const int64_t dy[4] = {1, 1, 4, 1};
  const std::vector<float> w(5, 1.0f), g(4, 1.0f);
  std::vector<float> dx(16, kUntouched);
  CHECK(colconv_conv2d_backprop_input(&attrs, a, f5, w.data(), dy, g.data(), dx.data()) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()).find("input heights 5 to 9223372036854775807 give 1") != std::string::npos);
}

TEST_CASE("pads and strides of 2^40 are computed exactly (the reference path), in every op") {
  // Top pad 2^40 and stride 2^40: (3 + 2^40 - 1 + 2^40) / 2^40 = 2 output rows; row 0 sits in the padding,
  // row 1 starts exactly at input row 0.
  const int64_t big = int64_t{1} << 40;
  colconv_conv2d_attrs attrs;
  colconv_conv2d_attrs_init(&attrs);
  attrs.padding = COLCONV_EXPLICIT;
  attrs.explicit_paddings[0] = big;
  attrs.strides[0] = big;
  const int64_t a[4] = {1, 3, 2, 1}, f[4] = {1, 1, 1, 1}, dy[4] = {1, 2, 2, 1};
  const std::vector<float> x = {1, 2, 3, 4, 5, 6}, w = {0.5f}, g = {7, 8, 9, 10};
  std::vector<float> y(4, kUntouched), dx(6, kUntouched), dw(1, kUntouched);
  REQUIRE(colconv_conv2d(&attrs, a, x.data(), f, w.data(), y.data()) == COLCONV_OK);
  CHECK(y == std::vector<float>{0, 0, 0.5f, 1.0f});
  REQUIRE(colconv_conv2d_backprop_input(&attrs, a, f, w.data(), dy, g.data(), dx.data()) == COLCONV_OK);
  CHECK(dx == std::vector<float>{4.5f, 5, 0, 0, 0, 0});
  REQUIRE(colconv_conv2d_backprop_filter(&attrs, a, x.data(), f, dy, g.data(), dw.data()) == COLCONV_OK);
  CHECK(dw[0] == 9 * 1 + 10 * 2);
}

// Problems of every direction and layout for the stress test, each with its single-threaded result.
struct StressCase {
  Op op;
  colconv_conv2d_attrs attrs;
  int64_t a[4], f[4], dy[4];
  std::vector<float> in0, in1, want;
};

std::vector<StressCase> StressCases() {
  std::vector<StressCase> cases;
  std::mt19937_64 rng(77);
  for (int i = 0; i < 24; ++i) {
    const test::Problem p = test::RandomProblem(rng, 16);
    StressCase c;
    c.op = static_cast<Op>(i % 3);
    colconv_conv2d_attrs_init(&c.attrs);
    c.attrs.data_format = static_cast<colconv_data_format>(p.desc.data_format);
    c.attrs.filter_format = static_cast<colconv_filter_format>(p.desc.filter_format);
    c.attrs.strides[0] = p.desc.strides[0], c.attrs.strides[1] = p.desc.strides[1];
    c.attrs.dilations[0] = p.desc.dilations[0], c.attrs.dilations[1] = p.desc.dilations[1];
    c.attrs.padding = static_cast<colconv_padding>(p.desc.padding);
    for (int j = 0; j < 4; ++j) c.attrs.explicit_paddings[j] = p.desc.explicit_paddings[j];
    c.attrs.groups = p.desc.groups;
    const Shape4 src = p.geometry.src_shape(), w = p.geometry.weights_shape(), dst = p.geometry.dst_shape();
    std::memcpy(c.a, src.data(), sizeof c.a);
    std::memcpy(c.f, w.data(), sizeof c.f);
    std::memcpy(c.dy, dst.data(), sizeof c.dy);
    const std::array<Shape4, 3> operands = OperandShapes(p.geometry, static_cast<Direction>(i % 3));
    c.in0 = test::RandomFloats(NumElements(operands[0]), rng());
    c.in1 = test::RandomFloats(NumElements(operands[1]), rng());
    c.want.assign(NumElements(operands[2]), 0.0f);
    cases.push_back(std::move(c));
  }
  return cases;
}

colconv_status Run(const StressCase& c, float* out) {
  switch (c.op) {
    case Op::kForward:
      return colconv_conv2d(&c.attrs, c.a, c.in0.data(), c.f, c.in1.data(), out);
    case Op::kBackpropInput:
      return colconv_conv2d_backprop_input(&c.attrs, c.a, c.f, c.in0.data(), c.dy, c.in1.data(), out);
    case Op::kBackpropFilter:
      return colconv_conv2d_backprop_filter(&c.attrs, c.a, c.in0.data(), c.f, c.dy, c.in1.data(), out);
  }
  return COLCONV_INTERNAL;
}

TEST_CASE("stress: std::threads and TBB tasks call the C API on different shapes at once, bit for bit") {
  std::vector<StressCase> cases = StressCases();
  for (StressCase& c : cases) REQUIRE(Run(c, c.want.data()) == COLCONV_OK);
  const char* scale = std::getenv("COLCONV_TEST_SCALE");
  const auto duration = std::chrono::milliseconds(scale != nullptr && std::atof(scale) < 1 ? 1000 : 3000);
  const auto stop = std::chrono::steady_clock::now() + duration;
  std::atomic<int64_t> calls{0}, mismatches{0}, errors{0};
  auto worker = [&](uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<float> out;
    while (std::chrono::steady_clock::now() < stop) {
      const StressCase& c = cases[rng() % cases.size()];
      out.assign(c.want.size(), kUntouched);
      if (Run(c, out.data()) != COLCONV_OK) {
        ++errors;
      } else if (!test::SameBits(out, c.want)) {
        ++mismatches;
      }
      ++calls;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) threads.emplace_back(worker, 1000 + t);
  // Meanwhile TBB tasks on this thread's arena, each running ops that use the same arena inside (not under
  // ThreadSanitizer, which cannot see TBB's synchronization: there this thread is one more std::thread worker).
#if defined(__SANITIZE_THREAD__)
  worker(2000);
#else
  tbb::parallel_for(0, 16, [&](int t) { worker(2000 + static_cast<uint64_t>(t)); });
#endif
  for (std::thread& t : threads) t.join();
  MESSAGE(calls.load() << " concurrent calls");
  CHECK(calls.load() > 100);
  CHECK(errors.load() == 0);
  CHECK(mismatches.load() == 0);
}

}  // namespace
}  // namespace colconv
