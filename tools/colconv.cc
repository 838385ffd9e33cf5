// The colconv tool: one binary, one subcommand per job.
#include <cstring>
#include <iostream>

#include "tools/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: colconv <command> [options]\n"
    "  shape        resolve a convolution's shapes and pads, or explain a size mismatch (colconv shape --help)\n"
    "  demo         the main job: the shape walk-through on three small convolutions\n"
    "  kernelcheck  im2col/col2im of every SIMD target against the reference; --bench times them\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const char* command = argv[1];
  if (std::strcmp(command, "shape") == 0) return colconv::cli::ShapeCommand(argc - 2, argv + 2);
  if (std::strcmp(command, "demo") == 0) return colconv::cli::DemoCommand(argc - 2, argv + 2);
  if (std::strcmp(command, "kernelcheck") == 0) return colconv::cli::KernelcheckCommand(argc - 2, argv + 2);
  std::cerr << "colconv: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
