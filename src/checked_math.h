// Overflow-checked int64 arithmetic for everything that sizes a buffer or a loop.
#ifndef COLCONV_SRC_CHECKED_MATH_H_
#define COLCONV_SRC_CHECKED_MATH_H_

#include <cstdint>
#include <initializer_list>

namespace colconv {

// Exact intermediate for the size formulas: n + pads + stride cannot overflow it for any int64 inputs.
__extension__ typedef __int128 Int128;

// a * b, or false when it does not fit int64.
inline bool CheckedMul(int64_t a, int64_t b, int64_t* product) {
  return !__builtin_mul_overflow(a, b, product);
}

inline bool CheckedAdd(int64_t a, int64_t b, int64_t* sum) { return !__builtin_add_overflow(a, b, sum); }

// The product of non-negative factors, or false when it does not fit int64.
inline bool CheckedProduct(std::initializer_list<int64_t> factors, int64_t* product) {
  int64_t p = 1;
  for (int64_t f : factors) {
    if (!CheckedMul(p, f, &p)) return false;
  }
  *product = p;
  return true;
}

}  // namespace colconv

#endif  // COLCONV_SRC_CHECKED_MATH_H_
