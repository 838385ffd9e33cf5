// The multiply-add peak of one core per SIMD target, measured: the roof every GFLOP/s figure of `colconv bench`
// sits under on the machine it ran on.
#ifndef COLCONV_TOOLS_FMA_PEAK_H_
#define COLCONV_TOOLS_FMA_PEAK_H_

#include <cstdint>

namespace colconv {
namespace cli {

// GFLOP/s of the calling thread running independent multiply-add chains on the Highway target `target` (one of
// kernels::RunnableTargets()), best of 5 runs of 2^22 iterations (about 15 ms each with AVX-512 on a 4 GHz core).
double FmaPeakGflops(int64_t target);

}  // namespace cli
}  // namespace colconv

#endif  // COLCONV_TOOLS_FMA_PEAK_H_
