// colconv kernelcheck: the im2col/col2im kernels of every Highway target against the reference, or (--bench)
// their speed per target.
#include <cstdlib>
#include <iostream>
#include <string>

#include "src/kernels/kernels.h"
#include "tools/cli_args.h"
#include "tools/commands.h"
#include "tools/kernel_bench.h"
#include "tools/kernel_check.h"

namespace colconv {
namespace cli {
namespace {

constexpr const char* kUsage =
    "usage: colconv kernelcheck [--target NAME] [--list] [--scale F] [--bench [--suite FILE]...]\n"
    "  Checks im2col, col2im and the direct depthwise and NHWC kernels of every Highway target this CPU runs\n"
    "  against their references (bit-exact).\n"
    "  --list      the compiled targets, which of them this CPU runs, and the one dispatch picks\n"
    "  --target    one target only (a name from --list)\n"
    "  --scale     thin the random part of the grid, 0 < F <= 1 (emulators)\n"
    "  --bench     time each kernel per target on L2-sized tiles of the suites' shapes (default: the 3x3 and\n"
    "              7x7 layers of bench/resnet50 and every shape of bench/mixed)\n";

int List() {
  const kernels::KernelTable chosen = kernels::ChooseKernels();
  for (int64_t target : kernels::CompiledTargets()) {
    bool runnable = false;
    for (int64_t t : kernels::RunnableTargets()) runnable |= t == target;
    std::cout << kernels::TargetName(target) << (runnable ? "  runs here" : "  not supported by this CPU")
              << (target == chosen.target ? "  (chosen)" : "") << "\n";
  }
  return 0;
}

}  // namespace

int KernelcheckCommand(int argc, char** argv) {
  Args args;
  std::string error;
  if (!args.Parse(argc, argv, {"list", "bench", "help"}, &error)) {
    std::cerr << "colconv kernelcheck: " << error << "\n" << kUsage;
    return 2;
  }
  const auto unknown = args.Unknown({"target", "list", "bench", "suite", "scale", "help", "repeat"});
  if (!unknown.empty()) {
    std::cerr << "colconv kernelcheck: unknown option --" << unknown[0] << "\n" << kUsage;
    return 2;
  }
  if (args.Has("help")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.Has("list")) return List();
  const std::string only = args.Get("target");
  if (args.Has("bench")) return KernelBench(only, args);
  const double scale = std::atof(args.Get("scale", "1").c_str());
  if (!(scale > 0 && scale <= 1)) {
    std::cerr << "colconv kernelcheck: --scale must be in (0, 1]\n";
    return 2;
  }
  const std::vector<check::TargetReport> reports = check::CheckTargets(only, scale);
  if (reports.empty()) {
    std::cerr << "colconv kernelcheck: no runnable target named '" << only << "' (see --list)\n";
    return 2;
  }
  int failed = 0;
  for (const check::TargetReport& r : reports) {
    std::cout << r.target << " (" << r.lanes << " lanes): " << r.cases << " cases x {im2col, col2im}, " << r.dw_cases
              << " cases x 6 depthwise kernels, " << r.direct_cases
              << " cases x 4 direct NHWC kernels (forward, on a shared band, skipping edges, backprop-filter; "
              << r.direct_in_place << " cases skipping edges on src in place), "
              << r.transpose_cases << " transpose shapes, "
              << (r.failures.empty() ? "all bit-exact" : std::to_string(r.failures.size()) + " FAILED") << "\n";
    for (size_t i = 0; i < r.failures.size() && i < 20; ++i) std::cout << "  " << r.failures[i] << "\n";
    failed += r.failures.empty() ? 0 : 1;
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace cli
}  // namespace colconv
