// colconv demo, the main job: the question colconv was started for, answered on three small convolutions.
#include <cmath>
#include <cstdio>
#include <tuple>
#include <iostream>
#include <vector>

#include <fstream>
#include <string>

#include "colconv/colconv.h"
#include "src/gemm/gemm.h"
#include "src/kernels/kernels.h"
#include "src/reference/reference.h"
#include "src/shape.h"
#include "tools/bench_suite.h"
#include "tools/commands.h"
#include "tools/describe.h"
#include "tools/layer_runner.h"
#include "tools/timing.h"

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

// The suite next to the sources when run from the build tree, else where `ninja install` put it.
std::string FindSuite(const char* name) {
  for (const std::string& dir : {std::string(COLCONV_SOURCE_DIR "/bench/"), std::string(COLCONV_DATA_DIR "/bench/")}) {
    if (std::ifstream(dir + name).good()) return dir + name;
  }
  return "";
}

double Geomean(const std::vector<double>& v) {
  double log_sum = 0;
  for (double x : v) log_sum += std::log(x);
  return v.empty() ? 0 : std::exp(log_sum / static_cast<double>(v.size()));
}

// ResNet-50's convolutions at batch 1, one thread, every direction: each checked on a sample against the
// reference, then timed against the same-shape GEMM.
int ResnetTable() {
  const std::string path = FindSuite("resnet50");
  std::vector<Layer> layers;
  std::string error;
  if (path.empty() || !LoadSuite(path, 1, &layers, &error)) {
    std::printf("\n(the ResNet-50 suite was not found: %s)\n", error.c_str());
    return 1;
  }
  const gemm::Backend* backend = nullptr;
  const Status chosen = gemm::ChooseBackend("", &backend);
  if (!chosen.ok()) {
    std::printf("\n%s\n", chosen.message().c_str());
    return 1;
  }
  std::printf("\n== ResNet-50 at batch 1, one thread, NHWC/HWIO, Highway target %s, GEMM %s (%s)\n",
              kernels::ChooseKernels().target_name, backend->name(), backend->Describe().c_str());
  std::printf("   GFLOP/s and time / time of the same-shape GEMM (the GEMM roof)\n");
  std::printf("%-26s %18s %18s %18s\n", "layer", "forward", "backprop-input", "backprop-filter");
  const Direction dirs[3] = {Direction::kForward, Direction::kBackpropInput, Direction::kBackpropFilter};
  // The roof GEMM runs on the backend's own threads: one, like the convolutions here.
  const int saved_gemm_threads = backend->threads();
  backend->set_threads(1);
  std::vector<double> gflops[3], ratios[3];
  int failures = 0;
  for (const Layer& layer : layers) {
    std::printf("%-26s", layer.name.c_str());
    for (int d = 0; d < 3; ++d) {
      LayerRunner runner;
      if (!runner.Init(layer, dirs[d], DataFormat::kNHWC, FilterFormat::kHWIO, 1, /*prepacked=*/false, &error)) {
        std::printf(" %s\n", error.c_str());
        return 1;
      }
      const bool ok = runner.CheckSample(64) <= 1.0;
      failures += ok ? 0 : 1;
      double conv, roof;
      std::tie(conv, roof) = InterleavedMedianSeconds([&] { runner.Run(); }, [&] { runner.RunGemmRoof(); }, 0.4, 5);
      gflops[d].push_back(runner.flops() / conv * 1e-9);
      ratios[d].push_back(conv / roof);
      std::printf(" %8.1f (%5.3f)%s", gflops[d].back(), ratios[d].back(), ok ? " " : "!");
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  backend->set_threads(saved_gemm_threads);
  std::printf("%-26s", "geometric mean");
  for (int d = 0; d < 3; ++d) std::printf(" %8.1f (%5.3f) ", Geomean(gflops[d]), Geomean(ratios[d]));
  std::printf("\n%s\n", failures == 0 ? "every sample matched the reference"
                                       : "! marks results that differ from the reference");
  return failures == 0 ? 0 : 1;
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
  failures += ResnetTable();
  return failures == 0 ? 0 : 1;
}

}  // namespace cli
}  // namespace colconv
