// What the kernel checkers share: a sentinel NaN no kernel computes, reproducible data, bit comparison, and the
// name of the kernel running now, which a fault (a guard page touched) reports.
#ifndef COLCONV_TOOLS_CHECK_UTIL_H_
#define COLCONV_TOOLS_CHECK_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>

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
