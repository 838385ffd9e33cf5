// colconv bench: times the three directions on a benchdnn-style suite, next to the same-shape GEMM.
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "src/gemm/gemm.h"
#include "src/kernels/kernels.h"
#include "tools/bench_suite.h"
#include "tools/cli_args.h"
#include "tools/commands.h"
#include "tools/layer_runner.h"
#include "tools/timing.h"

namespace colconv {
namespace cli {
namespace {

constexpr const char* kUsage =
    "usage: colconv bench --suite FILE [--mb N] [--threads T] [--dir FWD,BWD_D,BWD_W] [--layout nhwc|nchw]\n"
    "                     [--filter hwio|oihw] [--gemm openblas|onednn] [--algorithm NAME] [--check] [--no-roof]\n"
    "                     [--prepacked]\n"
    "  CSV name,dir,impl,threads,ms,gflops per layer and direction (impl colconv[TARGET:ALGORITHM]), and a\n"
    "  gemm-roof row: the GEMM backend on the direction's im2col GEMM (same M, N, K) once per image and group,\n"
    "  in the same run, after all the convolutions.\n"
    "  --check compares a sample of every result with the reference before timing. NHWC runs with HWIO filters,\n"
    "  NCHW with OIHW, as TensorFlow and PyTorch store them, unless --filter says otherwise (PyTorch's channels_last\n"
    "  is NHWC with OIHW). --gemm chooses the GEMM backend (default: COLCONV_GEMM,\n"
    "  else openblas) for the convolutions and the roof; --algorithm forces one (colconv info lists them).\n"
    "  --prepacked runs each layer through an operator (include/colconv/operator.h) made once with its weights\n"
    "  packed, as engines run and as oneDNN's peer times its convolutions (weight reorder not timed); impl then\n"
    "  reads colconv-prepacked[TARGET:ALGORITHM]. Without it the one-shot calls pack the weights every call.\n";

int Usage(const std::string& error) {
  std::cerr << "colconv bench: " << error << "\n" << kUsage;
  return 2;
}

}  // namespace

int BenchCommand(int argc, char** argv) {
  Args args;
  std::string error;
  if (!args.Parse(argc, argv, {"check", "no-roof", "prepacked", "help"}, &error)) return Usage(error);
  if (args.Has("help")) {
    std::cout << kUsage;
    return 0;
  }
  const auto unknown =
      args.Unknown({"suite", "mb", "threads", "dir", "layout", "filter", "gemm", "algorithm", "check", "no-roof",
                    "prepacked", "help"});
  if (!unknown.empty()) return Usage("unknown option --" + unknown[0]);
  if (!args.Has("suite")) return Usage("--suite is required");
  std::vector<int64_t> mb{0}, threads{1};
  if (args.Has("mb") && (!args.Ints("mb", &mb, &error) || mb.size() != 1 || mb[0] < 1)) return Usage("--mb takes one number >= 1");
  if (args.Has("threads") && (!args.Ints("threads", &threads, &error) || threads.size() != 1 || threads[0] < 1)) {
    return Usage("--threads takes one number >= 1");
  }
  const std::string layout = args.Get("layout", "nhwc");
  if (layout != "nhwc" && layout != "nchw") return Usage("--layout is nhwc or nchw");
  const std::string filter_name = args.Get("filter", layout == "nhwc" ? "hwio" : "oihw");
  if (filter_name != "hwio" && filter_name != "oihw") return Usage("--filter is hwio or oihw");
  std::vector<Direction> dirs;
  std::stringstream dir_list(args.Get("dir", "FWD,BWD_D,BWD_W"));
  for (std::string d; std::getline(dir_list, d, ',');) {
    if (d == "FWD") {
      dirs.push_back(Direction::kForward);
    } else if (d == "BWD_D") {
      dirs.push_back(Direction::kBackpropInput);
    } else if (d == "BWD_W") {
      dirs.push_back(Direction::kBackpropFilter);
    } else {
      return Usage("--dir takes FWD, BWD_D and BWD_W");
    }
  }
  std::vector<Layer> layers;
  if (!LoadSuite(args.Get("suite"), mb[0], &layers, &error)) return Usage(error);

  if (args.Has("gemm")) {
    const Status s = SetGemmBackend(args.Get("gemm"));
    if (!s.ok()) return Usage(s.message());
  }
  if (args.Has("algorithm")) {
    const Status s = SetForcedAlgorithm(args.Get("algorithm"));
    if (!s.ok()) return Usage(s.message());
  }
  const gemm::Backend* backend = nullptr;
  const Status chosen = gemm::ChooseBackend("", &backend);
  if (!chosen.ok()) return Usage(chosen.message());

  const int t = static_cast<int>(threads[0]);
  const std::string target = kernels::ChooseKernels().target_name;
  std::printf("# colconv bench: %s layout, %s filter, %d thread(s), Highway target %s, GEMM %s (%s)\n",
              layout.c_str(), filter_name.c_str(), t, target.c_str(), backend->name(), backend->Describe().c_str());
  std::printf("name,dir,impl,threads,ms,gflops\n");
  const DataFormat data = layout == "nhwc" ? DataFormat::kNHWC : DataFormat::kNCHW;
  const FilterFormat filter = filter_name == "hwio" ? FilterFormat::kHWIO : FilterFormat::kOIHW;
  const bool roof = !args.Has("no-roof"), prepacked = args.Has("prepacked");
  const char* impl = prepacked ? "colconv-prepacked" : "colconv";
  // Every convolution is timed first, its calls back to back as the peers time theirs, and the GEMM roofs after:
  // a roof timed call by call between the convolution's calls evicts the caches the convolution warmed (the 16 MB
  // gradient of U-Net's 1-channel layer then took 1.5-1.8x as long), and at more threads pits colconv's workers
  // against the backend's, which spin for a while after each threaded GEMM.
  // The roof runs on the backend's own threads, as many as colconv's; inside its ops colconv holds them at one.
  const int saved_gemm_threads = backend->threads();
  backend->set_threads(t);
  int failures = 0;
  for (int phase = 0; phase < (roof ? 2 : 1); ++phase) {
    for (const Layer& layer : layers) {
      for (Direction d : dirs) {
        LayerRunner runner;
        if (!runner.Init(layer, d, data, filter, t, prepacked, &error)) {
          std::fprintf(stderr, "colconv bench: %s\n", error.c_str());
          return 1;
        }
        const char* name = layer.name.c_str();
        if (phase == 1) {  // the GEMM roofs
          const double seconds = MedianSeconds([&] { runner.RunGemmRoof(); });
          std::printf("%s,%s,gemm-roof,%d,%.4f,%.2f\n", name, DirName(d), t, seconds * 1e3, runner.flops() / seconds * 1e-9);
          std::fflush(stdout);
          continue;
        }
        if (args.Has("check")) {
          const double worst = runner.CheckSample(300);
          if (!(worst <= 1.0)) {
            std::fprintf(stderr, "colconv bench: %s %s differs from the reference (%.3g x tolerance)\n", name,
                         DirName(d), worst);
            ++failures;
          }
        }
        const double seconds = MedianSeconds([&] { runner.Run(); });
        std::printf("%s,%s,%s[%s:%s],%d,%.4f,%.2f\n", name, DirName(d), impl, target.c_str(),
                    runner.algorithm().c_str(), t, seconds * 1e3,
                    runner.flops() / seconds * 1e-9);
        std::fflush(stdout);
      }
    }
  }
  backend->set_threads(saved_gemm_threads);
  return failures == 0 ? 0 : 1;
}

}  // namespace cli
}  // namespace colconv
