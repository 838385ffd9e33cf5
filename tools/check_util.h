// What the kernel checkers share: a sentinel NaN no kernel computes, reproducible data, bit comparison, and the
// name of the kernel running now, which a fault (a guard page touched) reports.
#ifndef COLCONV_TOOLS_CHECK_UTIL_H_
#define COLCONV_TOOLS_CHECK_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace colconv {
namespace check {

uint32_t Bits(float f);
// "-0.955228031 (0xbf748a3b)": every digit and the bits, for failure messages.
std::string Exact(float f);
// A quiet NaN that no kernel computes: elements a kernel must not write keep it.
float Sentinel();
// Values in [-1, 1), the same for the same seed everywhere.
void FillRandom(float* data, size_t n, uint64_t seed);
// The first index where got and want differ in any bit, or -1.
int64_t FirstDifferentBits(const float* got, const float* want, size_t n);

// One kernel call checked against its scalar emulation: two read-only inputs, a result and scratch, each against a
// guard page on `side` (0: after the end, 1: before the start). The inputs are random (seeds from `seed`); the
// result is prefilled with the sentinel, or with random values when the kernel adds to it (`accumulate`); the
// scratch with the sentinel. Every bit of the result is compared; a difference is appended to `failures`,
// prefixed by `what`, which also names the call for the fault handler.
struct KernelCall {
  std::string what;
  size_t in0 = 0, in1 = 0, out = 0, scratch = 0;
  bool accumulate = false;
  uint64_t seed = 0;
  int side = 0;
};
void CheckBitExact(const KernelCall& call,
                   const std::function<void(const float* in0, const float* in1, float* out, float* scratch)>& kernel,
                   const std::function<void(const float* in0, const float* in1, float* out)>& reference,
                   std::vector<std::string>* failures);

// Records what runs now ("AVX3 im2col NHWC C=3 ..."), for the fault handler.
void SetRunning(const std::string& what);
// Installs the SIGSEGV/SIGBUS handler that names what ran, for a scope.
class FaultReport {
 public:
  FaultReport();
  ~FaultReport();
  FaultReport(const FaultReport&) = delete;
  FaultReport& operator=(const FaultReport&) = delete;

 private:
  struct Saved;
  Saved* saved_;
};

}  // namespace check
}  // namespace colconv

#endif  // COLCONV_TOOLS_CHECK_UTIL_H_
