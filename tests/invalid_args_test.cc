// Bad input through the C API: each case gets the right status, a message naming the argument and the rule,
// and an output buffer left exactly as it was.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "colconv/colconv.h"
#include "colconv/conv2d.h"
#include "tests/test_util.h"

namespace colconv {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr float kSentinel = 12345.5f;

// A valid problem (forward: 1x5x5x2 NHWC, 3x3x2x4 HWIO, stride 1, VALID -> 1x3x3x4) that each case breaks once.
struct Call {
  colconv_conv2d_attrs attrs;
  const colconv_conv2d_attrs* attrs_ptr;
  int64_t input[4] = {1, 5, 5, 2};
  int64_t filter[4] = {3, 3, 2, 4};
  int64_t out_backprop[4] = {1, 3, 3, 4};
  bool null_input_shape = false, null_filter_shape = false, null_out_backprop_shape = false;
  bool null_input = false, null_filter = false, null_out_backprop = false, null_result = false;
  Call() : attrs_ptr(&attrs) { colconv_conv2d_attrs_init(&attrs); }
};

enum class Op { kOutputShape, kForward, kBackpropInput, kBackpropFilter };

struct Case {
  const char* name;
  Op op;
  std::function<void(Call&)> breaks;
  std::vector<const char*> words;  // the message must contain each
  colconv_status status = COLCONV_INVALID_ARGUMENT;
};

// Runs the call with a sentinel-filled, guard-banded result buffer; returns the status and checks the buffer.
colconv_status Run(const Case& c, Call& call) {
  const std::vector<float> data(4096, 0.5f);
  test::GuardedBuffer result(4096, kSentinel);
  int64_t shape_result[4] = {-9, -9, -9, -9};
  const int64_t* in_shape = call.null_input_shape ? nullptr : call.input;
  const int64_t* f_shape = call.null_filter_shape ? nullptr : call.filter;
  const int64_t* dy_shape = call.null_out_backprop_shape ? nullptr : call.out_backprop;
  const float* x = call.null_input ? nullptr : data.data();
  const float* w = call.null_filter ? nullptr : data.data();
  const float* dy = call.null_out_backprop ? nullptr : data.data();
  float* out = call.null_result ? nullptr : result.data();
  colconv_status s = COLCONV_OK;
  switch (c.op) {
    case Op::kOutputShape:
      s = colconv_conv2d_output_shape(call.attrs_ptr, in_shape, f_shape, call.null_result ? nullptr : shape_result);
      CHECK(shape_result[0] == -9);
      CHECK(shape_result[3] == -9);
      break;
    case Op::kForward:
      s = colconv_conv2d(call.attrs_ptr, in_shape, x, f_shape, w, out);
      break;
    case Op::kBackpropInput:
      s = colconv_conv2d_backprop_input(call.attrs_ptr, in_shape, f_shape, w, dy_shape, dy, out);
      break;
    case Op::kBackpropFilter:
      s = colconv_conv2d_backprop_filter(call.attrs_ptr, in_shape, x, f_shape, dy_shape, dy, out);
      break;
  }
  CHECK(result.AllEqual(kSentinel));
  CHECK(result.GuardsIntact());
  return s;
}

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"null attrs", Op::kForward, [](Call& c) { c.attrs_ptr = nullptr; }, {"conv2d", "attrs is NULL"}},
      {"null input_shape", Op::kOutputShape, [](Call& c) { c.null_input_shape = true; }, {"input_shape is NULL"}},
      {"null filter_shape", Op::kBackpropInput, [](Call& c) { c.null_filter_shape = true; },
       {"conv2d_backprop_input", "filter_shape is NULL"}},
      {"null out_backprop_shape", Op::kBackpropFilter, [](Call& c) { c.null_out_backprop_shape = true; },
       {"out_backprop_shape is NULL"}},
      {"null output_shape", Op::kOutputShape, [](Call& c) { c.null_result = true; }, {"output_shape is NULL"}},
      {"data_format out of range", Op::kForward,
       [](Call& c) {
         const int bad = 7;
         std::memcpy(&c.attrs.data_format, &bad, sizeof bad);
       },
       {"attrs.data_format is 7", "NHWC (0) or NCHW (1)"}},
      {"filter_format out of range", Op::kOutputShape,
       [](Call& c) {
         const int bad = -1;
         std::memcpy(&c.attrs.filter_format, &bad, sizeof bad);
       },
       {"attrs.filter_format is -1"}},
      {"zero stride", Op::kForward, [](Call& c) { c.attrs.strides[0] = 0; },
       {"attrs.strides[0] (height) is 0", "strides must be >= 1"}},
      {"negative stride", Op::kBackpropInput, [](Call& c) { c.attrs.strides[1] = -2; },
       {"attrs.strides[1] (width) is -2"}},
      {"zero dilation", Op::kBackpropFilter, [](Call& c) { c.attrs.dilations[0] = 0; },
       {"attrs.dilations[0] (height) is 0", "dilations must be >= 1"}},
      {"padding out of range", Op::kForward,
       [](Call& c) {
         const int bad = 5;
         std::memcpy(&c.attrs.padding, &bad, sizeof bad);
       },
       {"attrs.padding is 5", "VALID (0), SAME (1) or EXPLICIT (2)"}},
      {"negative explicit pad", Op::kForward,
       [](Call& c) {
         c.attrs.padding = COLCONV_EXPLICIT;
         c.attrs.explicit_paddings[1] = -1;
       },
       {"attrs.explicit_paddings[1] (bottom) is -1", "must be >= 0"}},
      {"zero groups", Op::kForward, [](Call& c) { c.attrs.groups = 0; }, {"attrs.groups is 0", "groups must be >= 1"}},
      {"negative input dim", Op::kForward, [](Call& c) { c.input[1] = -5; },
       {"input_shape[1] (H) is -5", "sizes must be >= 0"}},
      {"negative filter dim", Op::kBackpropInput, [](Call& c) { c.filter[3] = -1; }, {"filter_shape[3] (O) is -1"}},
      {"negative out_backprop dim", Op::kBackpropFilter, [](Call& c) { c.out_backprop[2] = -3; },
       {"out_backprop_shape[2] (W) is -3"}},
      {"zero filter input depth", Op::kForward, [](Call& c) { c.filter[2] = 0; },
       {"filter_shape[2] (filter input depth) is 0", "must be >= 1"}},
      {"input depth not divisible", Op::kForward,
       [](Call& c) {
         c.input[3] = 5;
       },
       {"input depth 5", "not divisible by filter input depth 2"}},
      {"groups disagree with the depths", Op::kForward, [](Call& c) { c.input[3] = 4; },
       {"input depth 4", "must equal attrs.groups 1 * filter input depth 2", "need attrs.groups = 2"}},
      {"output depth not divisible by groups", Op::kForward,
       [](Call& c) {
         c.attrs.groups = 2;
         c.input[3] = 4;
         c.filter[3] = 5;
       },
       {"filter output depth 5", "not divisible by attrs.groups 2"}},
      {"zero filter height", Op::kForward, [](Call& c) { c.filter[0] = 0; },
       {"filter_shape[0] (filter height) is 0", "filter sizes must be >= 1"}},
      {"negative VALID output", Op::kForward, [](Call& c) { c.input[2] = 1; },
       {"input width 1 gives a negative output width", "Computed output size would be negative"}},
      {"effective filter overflows", Op::kForward, [](Call& c) { c.attrs.dilations[0] = kMax / 2 + 1; },
       {"effective filter height", "does not fit int64"}},
      {"element count overflows", Op::kForward,
       [](Call& c) {
         c.input[0] = kMax / 2;
         c.input[1] = 1 << 20;
       },
       {"input_shape", "more float32 bytes than fit int64"}},
      {"byte count overflows", Op::kOutputShape,
       [](Call& c) {
         c.input[0] = kMax / 4;  // the elements fit int64, their bytes do not
         c.input[1] = 1;
         c.input[2] = 1;
         c.filter[0] = 1;
         c.filter[1] = 1;
       },
       {"input_shape [2305843009213693951, 1, 1, 2] has more float32 bytes than fit int64"}},
      {"explicit pads overflow the output", Op::kOutputShape,
       [](Call& c) {
         c.attrs.padding = COLCONV_EXPLICIT;
         c.attrs.explicit_paddings[0] = kMax;
         c.attrs.explicit_paddings[1] = kMax;
       },
       {"output height", "does not fit int64"}},
      {"null input data", Op::kForward, [](Call& c) { c.null_input = true; },
       {"conv2d: input is NULL", "has 50 elements"}},
      {"null output data", Op::kForward, [](Call& c) { c.null_result = true; }, {"output is NULL", "36 elements"}},
      {"null in_backprop", Op::kBackpropInput, [](Call& c) { c.null_result = true; }, {"in_backprop is NULL"}},
      {"null filter data for backprop_input", Op::kBackpropInput, [](Call& c) { c.null_filter = true; },
       {"conv2d_backprop_input: filter is NULL"}},
      {"null out_backprop data", Op::kBackpropFilter, [](Call& c) { c.null_out_backprop = true; },
       {"out_backprop is NULL"}},
      {"batch mismatch", Op::kBackpropInput, [](Call& c) { c.out_backprop[0] = 2; },
       {"input_sizes batch 1", "differs from out_backprop batch 2"}},
      {"out depth mismatch", Op::kBackpropFilter, [](Call& c) { c.out_backprop[3] = 5; },
       {"filter output depth 4 (filter_sizes[3]) differs from out_backprop depth 5"}},
      {"spatial mismatch in backprop_input", Op::kBackpropInput, [](Call& c) { c.input[1] = 7; },
       {"input_sizes height 7 gives out_backprop height (7 - 3 + 1) / 1 = 5", "input height 5 gives 3"}},
      {"spatial mismatch in backprop_filter", Op::kBackpropFilter, [](Call& c) { c.out_backprop[2] = 2; },
       {"conv2d_backprop_filter: input_shape width 5", "input width 4 gives 2"}},
  };
  return cases;
}

TEST_CASE("invalid arguments: status, message, untouched output") {
  REQUIRE(Cases().size() >= 25);
  for (const Case& c : Cases()) {
    CAPTURE(c.name);
    Call call;
    c.breaks(call);
    const colconv_status s = Run(c, call);
    CHECK(s == c.status);
    const std::string message = colconv_last_error();
    CAPTURE(message);
    for (const char* word : c.words) CHECK(message.find(word) != std::string::npos);
  }
}

TEST_CASE("the unbroken call succeeds for each op, and success clears the last error") {
  Call call;
  const std::vector<float> data(4096, 0.5f);
  std::vector<float> out(4096);
  int64_t shape[4];
  colconv_conv2d_attrs bad = call.attrs;
  bad.groups = 0;
  CHECK(colconv_conv2d_output_shape(&bad, call.input, call.filter, shape) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()) != "");
  CHECK(colconv_conv2d_output_shape(&call.attrs, call.input, call.filter, shape) == COLCONV_OK);
  CHECK(std::string(colconv_last_error()) == "");
  CHECK(shape[1] == 3);
  CHECK(colconv_conv2d(&call.attrs, call.input, data.data(), call.filter, data.data(), out.data()) == COLCONV_OK);
  CHECK(colconv_conv2d_backprop_input(&call.attrs, call.input, call.filter, data.data(), call.out_backprop,
                                      data.data(), out.data()) == COLCONV_OK);
  CHECK(colconv_conv2d_backprop_filter(&call.attrs, call.input, data.data(), call.filter, call.out_backprop,
                                       data.data(), out.data()) == COLCONV_OK);
}

TEST_CASE("null data is fine where the tensor is empty") {
  Call call;
  call.input[0] = 0;
  call.out_backprop[0] = 0;
  const std::vector<float> w(72, 1.0f);
  CHECK(colconv_conv2d(&call.attrs, call.input, nullptr, call.filter, w.data(), nullptr) == COLCONV_OK);
  CHECK(colconv_conv2d_backprop_input(&call.attrs, call.input, call.filter, w.data(), call.out_backprop, nullptr,
                                      nullptr) == COLCONV_OK);
  // Backprop-filter of an empty batch is a zero gradient, not an untouched one.
  std::vector<float> gw(72, 9.0f);
  CHECK(colconv_conv2d_backprop_filter(&call.attrs, call.input, nullptr, call.filter, call.out_backprop, nullptr,
                                       gw.data()) == COLCONV_OK);
  CHECK(gw == std::vector<float>(72, 0.0f));
}

TEST_CASE("C++ API: thread count, empty plan, wrong direction") {
  CHECK(SetNumThreads(-1).code() == StatusCode::kInvalidArgument);
  CHECK(colconv_set_num_threads(-3) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()).find("num_threads is -3") != std::string::npos);
  CHECK(SetNumThreads(1).ok());
  CHECK(GetNumThreads() == 1);
  CHECK(SetNumThreads(0).ok());
  CHECK(GetNumThreads() >= 1);
  Conv2dPlan empty;
  float x = 0;
  CHECK(empty.Forward(&x, &x, &x).message().find("Conv2dPlan::Forward: it is empty") != std::string::npos);
  Conv2dPlan plan;
  REQUIRE(Conv2dPlan::CreateForward(Conv2dDesc(), {1, 3, 3, 1}, {3, 3, 1, 1}, &plan).ok());
  CHECK(plan.BackpropInput(&x, &x, &x).message().find("created for conv2d") != std::string::npos);
  CHECK(Conv2dPlan::CreateForward(Conv2dDesc(), {1, 3, 3, 1}, {3, 3, 1, 1}, nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(std::string(Version()) == colconv_version());
  CHECK(colconv_version_number() >= 100);
}

}  // namespace
}  // namespace colconv
