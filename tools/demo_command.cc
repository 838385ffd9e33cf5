// colconv demo, the main job: the question colconv was started for, answered on three small convolutions.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

#include "colconv/colconv.h"
#include "src/reference/reference.h"
#include "src/shape.h"
#include "tools/commands.h"
#include "tools/describe.h"

namespace colconv {
namespace cli {
namespace {

struct DemoCase {
  const char* title;
  int64_t size;     // square input
  int64_t stride;
  colconv_padding padding;
  int64_t wrong_input;  // an input_sizes height that does not fit the out_backprop
};

std::vector<float> Pattern(int64_t count, float phase) {
  std::vector<float> v(static_cast<size_t>(count));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.7f * static_cast<float>(i) + phase);
  return v;
}

double MaxError(const std::vector<float>& got, const std::vector<float>& want) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(double(got[i]) - double(want[i])));
  return worst;
}

void Report(const char* what, colconv_status status, const std::vector<float>& got, const std::vector<float>& want) {
  if (status != COLCONV_OK) {
    std::printf("    %-16s failed: %s\n", what, colconv_last_error());
    return;
  }
  std::printf("    %-16s %zu values, max |colconv - reference| = %.2g\n", what, got.size(), MaxError(got, want));
}

int RunCase(const DemoCase& c) {
  std::printf("\n== %s: %lldx%lld input, 3x3 filter, 3 -> 4 channels, stride %lld, %s\n", c.title,
              static_cast<long long>(c.size), static_cast<long long>(c.size), static_cast<long long>(c.stride),
              c.padding == COLCONV_SAME ? "SAME" : "VALID");
  colconv_conv2d_attrs attrs;
  colconv_conv2d_attrs_init(&attrs);
  attrs.strides[0] = attrs.strides[1] = c.stride;
  attrs.padding = c.padding;
  const int64_t input_shape[4] = {1, c.size, c.size, 3};
  const int64_t filter_shape[4] = {3, 3, 3, 4};
  int64_t output_shape[4];
  if (colconv_conv2d_output_shape(&attrs, input_shape, filter_shape, output_shape) != COLCONV_OK) {
    std::printf("  %s\n", colconv_last_error());
    return 1;
  }
  Conv2dDesc desc;
  desc.strides = {c.stride, c.stride};
  desc.padding = static_cast<Padding>(c.padding);
  Conv2dGeometry g;
  ResolveBackpropInput(desc, input_shape, 4, {3, 3, 3, 4}, {output_shape[0], output_shape[1], output_shape[2], output_shape[3]}, &g);
  DescribeGeometry(std::cout, Direction::kBackpropInput, desc, g);
  std::cout << "  PyTorch: " << TorchEquivalent(Direction::kForward, g) << "\n";

  const std::vector<float> src = Pattern(NumElements(g.src_shape()), 0.1f);
  const std::vector<float> weights = Pattern(NumElements(g.weights_shape()), 0.2f);
  const std::vector<float> diff_dst = Pattern(NumElements(g.dst_shape()), 0.3f);
  std::vector<float> dst(diff_dst.size()), want_dst(diff_dst.size());
  std::vector<float> diff_src(src.size()), want_diff_src(src.size());
  std::vector<float> diff_weights(weights.size()), want_diff_weights(weights.size());
  reference::Forward(g, src.data(), weights.data(), want_dst.data());
  reference::BackpropInput(g, weights.data(), diff_dst.data(), want_diff_src.data());
  reference::BackpropFilter(g, src.data(), diff_dst.data(), want_diff_weights.data());
  std::printf("  running the three ops through the C API:\n");
  Report("forward", colconv_conv2d(&attrs, input_shape, src.data(), filter_shape, weights.data(), dst.data()), dst,
         want_dst);
  Report("backprop_input",
         colconv_conv2d_backprop_input(&attrs, input_shape, filter_shape, weights.data(), output_shape,
                                       diff_dst.data(), diff_src.data()),
         diff_src, want_diff_src);
  Report("backprop_filter",
         colconv_conv2d_backprop_filter(&attrs, input_shape, src.data(), filter_shape, output_shape,
                                        diff_dst.data(), diff_weights.data()),
         diff_weights, want_diff_weights);

  const int64_t wrong_sizes[4] = {1, c.wrong_input, c.size, 3};
  std::vector<float> untouched(src.size(), 0.0f);
  const colconv_status s = colconv_conv2d_backprop_input(&attrs, wrong_sizes, filter_shape, weights.data(),
                                                         output_shape, diff_dst.data(), untouched.data());
  std::printf("  backprop_input with input_sizes height %lld instead of %lld -> status %d:\n    %s\n",
              static_cast<long long>(c.wrong_input), static_cast<long long>(c.size), static_cast<int>(s),
              colconv_last_error());
  return s == COLCONV_INVALID_ARGUMENT ? 0 : 1;
}

}  // namespace

int DemoCommand(int argc, char**) {
  if (argc > 0) {
    std::cerr << "usage: colconv demo\n";
    return 2;
  }
  std::printf("Why does the gradient size differ from the size I computed? With stride > 1 several input sizes\n"
              "map to one output size, SAME padding splits unevenly (the extra row goes bottom/right), and\n"
              "dilation widens the filter. Three cases:\n");
  const DemoCase cases[] = {
      {"stride 2, SAME", 5, 2, COLCONV_SAME, 7},
      {"stride 2, VALID", 5, 2, COLCONV_VALID, 8},
      {"stride 3, SAME", 7, 3, COLCONV_SAME, 10},
  };
  int failures = 0;
  for (const DemoCase& c : cases) failures += RunCase(c);
  return failures == 0 ? 0 : 1;
}

}  // namespace cli
}  // namespace colconv
