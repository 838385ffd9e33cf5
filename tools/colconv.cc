// The colconv tool: one binary, one subcommand per job.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#if COLCONV_GEMM_OPENBLAS
#include "src/gemm/openblas.h"
#endif
#include "tools/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: colconv <command> [options]\n"
    "  shape        resolve a convolution's shapes and pads, or explain a size mismatch (colconv shape --help)\n"
    "  demo         the main job: the shape walk-through, then ResNet-50's layers timed against GEMM\n"
    "  bench        time a benchdnn-style suite in the three directions (colconv bench --help)\n"
    "  info         SIMD targets, GEMM backends (OpenBLAS core and threads), caches\n"
    "  kernelcheck  im2col/col2im of every SIMD target against the reference; --bench times them\n";

#if COLCONV_GEMM_OPENBLAS
// OpenBLAS reads OPENBLAS_CORETYPE when it loads, before main. When the user has not set it and OpenBLAS picked
// a core below the CPU, the tool restarts itself once with the right one; COLCONV_OPENBLAS_PICKED records what
// OpenBLAS had picked, so the commands can say so. A value the user set is never touched.
void RestartOnTheRightBlasCore(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const std::string core = colconv::gemm::RecommendedCoreType();
  if (core.empty()) return;
  const colconv::gemm::CoreInfo picked = colconv::gemm::GetCoreInfo();
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  setenv("COLCONV_OPENBLAS_PICKED", picked.corename.c_str(), 1);
  std::cerr << "colconv: OpenBLAS picked its " << picked.corename << " kernels on this CPU; running with OPENBLAS_CORETYPE="
            << core << " (set OPENBLAS_CORETYPE yourself to choose another)\n";
  execv("/proc/self/exe", argv);
  // execv returned: carry on with the slower core rather than fail.
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv("COLCONV_OPENBLAS_PICKED");
}

#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
#if COLCONV_GEMM_OPENBLAS
  RestartOnTheRightBlasCore(argv);
#endif
  const char* command = argv[1];
  if (std::strcmp(command, "shape") == 0) return colconv::cli::ShapeCommand(argc - 2, argv + 2);
  if (std::strcmp(command, "demo") == 0) return colconv::cli::DemoCommand(argc - 2, argv + 2);
  if (std::strcmp(command, "bench") == 0) return colconv::cli::BenchCommand(argc - 2, argv + 2);
  if (std::strcmp(command, "info") == 0) return colconv::cli::InfoCommand(argc - 2, argv + 2);
  if (std::strcmp(command, "kernelcheck") == 0) return colconv::cli::KernelcheckCommand(argc - 2, argv + 2);
  std::cerr << "colconv: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
