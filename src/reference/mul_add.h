// The multiply-add of a SIMD target, emulated in scalar code for the direct kernels' oracles: one rounding where
// the target has FMA (`fused`), a product then a sum elsewhere.
#ifndef COLCONV_SRC_REFERENCE_MUL_ADD_H_
#define COLCONV_SRC_REFERENCE_MUL_ADD_H_

#include <cmath>

namespace colconv {
namespace reference {

inline float MulAdd(float a, float b, float acc, bool fused) {
  if (fused) return std::fma(a, b, acc);
  const float product = a * b;
  return product + acc;
}

}  // namespace reference
}  // namespace colconv

#endif  // COLCONV_SRC_REFERENCE_MUL_ADD_H_
