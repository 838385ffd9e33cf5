// colconv kernelcheck --bench: im2col and col2im per Highway target on L2-sized tiles, against memcpy.
#ifndef COLCONV_TOOLS_KERNEL_BENCH_H_
#define COLCONV_TOOLS_KERNEL_BENCH_H_

#include <string>

#include "tools/cli_args.h"

namespace colconv {
namespace cli {

int KernelBench(const std::string& only_target, const Args& args);

}  // namespace cli
}  // namespace colconv

#endif  // COLCONV_TOOLS_KERNEL_BENCH_H_
