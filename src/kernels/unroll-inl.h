// Compile-time unrolling for the kernels' register tiles, for every Highway target: Unroll<N>(f) calls
// f(std::integral_constant<int, i>()) for i = 0 .. N - 1, so an array of accumulators indexed by i stays in
// registers. The lambdas passed must be COLCONV_INLINE_LAMBDA: left to the inliner's budget, a tile with several
// call sites loses them to calls, and its accumulators to memory (4x slower). Per target, because a function
// inlined into a target's code must carry that target's attributes.

#ifndef COLCONV_INLINE_LAMBDA
#if defined(__GNUC__) || defined(__clang__)
#define COLCONV_INLINE_LAMBDA __attribute__((always_inline))
#else
#define COLCONV_INLINE_LAMBDA
#endif
#endif

// Toggled include guard: this file is compiled once per target (see hwy/foreach_target.h).
#if defined(COLCONV_SRC_KERNELS_UNROLL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_UNROLL_INL_H_
#undef COLCONV_SRC_KERNELS_UNROLL_INL_H_
#else
#define COLCONV_SRC_KERNELS_UNROLL_INL_H_
#endif

#include <type_traits>
#include <utility>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {

template <int... I, typename F>
HWY_INLINE void UnrollSequence(std::integer_sequence<int, I...>, F&& f) {
  (f(std::integral_constant<int, I>()), ...);
}
template <int N, typename F>
HWY_INLINE void Unroll(F&& f) {
  UnrollSequence(std::make_integer_sequence<int, N>(), f);
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_UNROLL_INL_H_
