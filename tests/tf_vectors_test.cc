// TensorFlow's published Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter vectors (conv_ops_test.py), through
// the C API in NHWC/HWIO as published and transposed to NCHW/OIHW.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "colconv/colconv.h"
#include "tests/json.h"
#include "tests/test_util.h"

namespace colconv {
namespace {

using test::Json;

Json LoadCases() {
  std::ifstream in(COLCONV_TEST_DATA_DIR "/tf_conv_cases.json");
  REQUIRE_MESSAGE(in.good(), "cannot open " COLCONV_TEST_DATA_DIR "/tf_conv_cases.json");
  std::stringstream text;
  text << in.rdbuf();
  return test::JsonParser(text.str()).Parse()["cases"];
}

std::vector<float> Iota(int64_t count) {
  std::vector<float> v(static_cast<size_t>(count));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i + 1);
  return v;
}

int64_t Count(const std::vector<int64_t>& s) { return s[0] * s[1] * s[2] * s[3]; }

// Logical sizes of an NHWC tensor and an HWIO filter as published.
struct Dims {
  int64_t n, h, w, c;
};
Dims OfNhwc(const std::vector<int64_t>& s) { return {s[0], s[1], s[2], s[3]}; }

colconv_conv2d_attrs AttrsOf(const Json& c, DataFormat df, FilterFormat ff) {
  colconv_conv2d_attrs a;
  colconv_conv2d_attrs_init(&a);
  a.data_format = static_cast<colconv_data_format>(df);
  a.filter_format = static_cast<colconv_filter_format>(ff);
  const std::vector<int64_t> strides = c["strides"].ints(), dilations = c["dilations"].ints();
  a.strides[0] = strides[0];
  a.strides[1] = strides[1];
  a.dilations[0] = dilations[0];
  a.dilations[1] = dilations[1];
  const Json& p = c["padding"];
  if (p.kind == Json::Kind::kString) {
    a.padding = p.string == "SAME" ? COLCONV_SAME : COLCONV_VALID;
  } else {
    a.padding = COLCONV_EXPLICIT;
    for (int d = 0; d < 2; ++d) {
      const std::vector<int64_t> pair = p.array[d].ints();
      a.explicit_paddings[2 * d] = pair[0];
      a.explicit_paddings[2 * d + 1] = pair[1];
    }
  }
  return a;
}

// Runs one case in the given formats and returns the result in the published (NHWC or HWIO) order.
std::vector<float> Run(const Json& c, DataFormat df, FilterFormat ff) {
  const colconv_conv2d_attrs attrs = AttrsOf(c, df, ff);
  const std::vector<int64_t> in_s = c["input_shape"].ints(), f_s = c["filter_shape"].ints(),
                             out_s = c["output_shape"].ints();
  const Dims in = OfNhwc(in_s), out = OfNhwc(out_s);
  const int64_t kh = f_s[0], kw = f_s[1], fi = f_s[2], fo = f_s[3];
  const Shape4 in_shape = test::DataShape(df, in.n, in.c, in.h, in.w);
  const Shape4 out_shape = test::DataShape(df, out.n, out.c, out.h, out.w);
  const Shape4 f_shape = test::FilterShape(ff, fo, fi, kh, kw);
  auto data = [&](const std::vector<float>& nhwc, const Dims& d) {
    return test::ConvertData(nhwc, DataFormat::kNHWC, df, d.n, d.c, d.h, d.w);
  };
  auto back = [&](const std::vector<float>& v, const Dims& d) {
    return test::ConvertData(v, df, DataFormat::kNHWC, d.n, d.c, d.h, d.w);
  };
  const std::string op = c["op"].string;
  if (op == "forward") {
    test::GuardedBuffer result(static_cast<size_t>(Count(out_s)), NAN);
    const std::vector<float> x = data(Iota(Count(in_s)), in);
    const std::vector<float> w = test::ConvertFilter(Iota(Count(f_s)), FilterFormat::kHWIO, ff, fo, fi, kh, kw);
    REQUIRE_MESSAGE(colconv_conv2d(&attrs, in_shape.data(), x.data(), f_shape.data(), w.data(), result.data()) ==
                        COLCONV_OK,
                    colconv_last_error());
    CHECK(result.GuardsIntact());
    return back(result.Values(), out);
  }
  if (op == "backprop_input") {
    test::GuardedBuffer result(static_cast<size_t>(Count(in_s)), NAN);
    const std::vector<float> w = test::ConvertFilter(Iota(Count(f_s)), FilterFormat::kHWIO, ff, fo, fi, kh, kw);
    const std::vector<float> dy = data(Iota(Count(out_s)), out);
    REQUIRE_MESSAGE(colconv_conv2d_backprop_input(&attrs, in_shape.data(), f_shape.data(), w.data(),
                                                  out_shape.data(), dy.data(), result.data()) == COLCONV_OK,
                    colconv_last_error());
    CHECK(result.GuardsIntact());
    return back(result.Values(), in);
  }
  test::GuardedBuffer result(static_cast<size_t>(Count(f_s)), NAN);
  const std::vector<float> x = data(Iota(Count(in_s)), in);
  const std::vector<float> dy = data(Iota(Count(out_s)), out);
  REQUIRE_MESSAGE(colconv_conv2d_backprop_filter(&attrs, in_shape.data(), x.data(), f_shape.data(),
                                                 out_shape.data(), dy.data(), result.data()) == COLCONV_OK,
                  colconv_last_error());
  CHECK(result.GuardsIntact());
  return test::ConvertFilter(result.Values(), ff, FilterFormat::kHWIO, fo, fi, kh, kw);
}

void CheckExpected(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(std::fabs(double(got[i]) - double(want[i])) <= 1e-6 * std::fabs(double(want[i])));
  }
}

TEST_CASE("every TensorFlow conv vector, NHWC/HWIO and NCHW/OIHW and the mixed pairs") {
  const Json cases = LoadCases();
  REQUIRE(cases.array.size() == 28);
  for (const Json& c : cases.array) {
    for (DataFormat df : {DataFormat::kNHWC, DataFormat::kNCHW}) {
      for (FilterFormat ff : {FilterFormat::kHWIO, FilterFormat::kOIHW}) {
        CAPTURE(c["name"].string);
        CAPTURE(static_cast<int>(df));
        CAPTURE(static_cast<int>(ff));
        CheckExpected(Run(c, df, ff), c["expected"].floats());
      }
    }
  }
}

TEST_CASE("TensorFlow's 2-value input_sizes vector through the C++ API") {
  const Json cases = LoadCases();
  for (const Json& c : cases.array) {
    if (c["name"].string != "testConv2DInputSizesContainsOnlySpatialDimensionsBackpropInput") continue;
    const std::vector<int64_t> in_s = c["input_shape"].ints(), f_s = c["filter_shape"].ints(),
                               out_s = c["output_shape"].ints();
    Conv2dPlan plan;
    REQUIRE(Conv2dPlan::CreateBackpropInput(Conv2dDesc(), {in_s[1], in_s[2]}, {f_s[0], f_s[1], f_s[2], f_s[3]},
                                            {out_s[0], out_s[1], out_s[2], out_s[3]}, &plan)
                .ok());
    std::vector<float> result(static_cast<size_t>(Count(in_s)));
    REQUIRE(plan.BackpropInput(Iota(Count(f_s)).data(), Iota(Count(out_s)).data(), result.data()).ok());
    CheckExpected(result, c["expected"].floats());
    return;
  }
  FAIL("the 2-value case is missing from the vectors");
}

}  // namespace
}  // namespace colconv
