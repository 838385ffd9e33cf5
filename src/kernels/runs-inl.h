// Runs of floats, the building blocks of im2col and col2im, for every Highway target.
//
// Tails never touch memory outside the run: copies and zero-fills end with one whole vector that overlaps the
// previous one (storing the same values twice is harmless), and runs shorter than a vector use 8- or 4-lane
// vectors the same way; adds, which must touch each element once, finish with 8-lane, 4-lane and single-lane
// steps. Highway 1.0.3 has no LoadN/StoreN, and MaskedLoad can fault at a
// page end on SSE4 and NEON, so neither is used.

// Toggled include guard: this file is compiled once per target (see hwy/foreach_target.h).
#if defined(COLCONV_SRC_KERNELS_RUNS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_RUNS_INL_H_
#undef COLCONV_SRC_KERNELS_RUNS_INL_H_
#else
#define COLCONV_SRC_KERNELS_RUNS_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// dst[i] = src[i], i < n, for n >= Lanes(d).
template <class D>
HWY_INLINE void CopyOverlapping(D d, const float* HWY_RESTRICT src, float* HWY_RESTRICT dst, size_t n) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto a = hn::LoadU(d, src + i);
    const auto b = hn::LoadU(d, src + i + N);
    hn::StoreU(a, d, dst + i);
    hn::StoreU(b, d, dst + i + N);
  }
  if (i + N <= n) {
    hn::StoreU(hn::LoadU(d, src + i), d, dst + i);
    i += N;
  }
  if (i < n) hn::StoreU(hn::LoadU(d, src + n - N), d, dst + n - N);
}

HWY_INLINE void CopyRun(const float* HWY_RESTRICT src, float* HWY_RESTRICT dst, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 8> d8;
  const hn::CappedTag<float, 4> d4;
  if (n >= hn::Lanes(d)) {
    CopyOverlapping(d, src, dst, n);
  } else if (n >= hn::Lanes(d8)) {
    CopyOverlapping(d8, src, dst, n);
  } else if (n >= hn::Lanes(d4)) {
    CopyOverlapping(d4, src, dst, n);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

template <class D>
HWY_INLINE void ZeroOverlapping(D d, float* HWY_RESTRICT dst, size_t n) {
  const size_t N = hn::Lanes(d);
  const auto zero = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(zero, d, dst + i);
  if (i < n) hn::StoreU(zero, d, dst + n - N);
}

HWY_INLINE void ZeroRun(float* HWY_RESTRICT dst, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 8> d8;
  const hn::CappedTag<float, 4> d4;
  if (n >= hn::Lanes(d)) {
    ZeroOverlapping(d, dst, n);
  } else if (n >= hn::Lanes(d8)) {
    ZeroOverlapping(d8, dst, n);
  } else if (n >= hn::Lanes(d4)) {
    ZeroOverlapping(d4, dst, n);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = 0.0f;
  }
}

// dst[i] += src[i], i < n, each element exactly once.
HWY_INLINE void AddRun(const float* HWY_RESTRICT src, float* HWY_RESTRICT dst, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 4> d4;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto a = hn::Add(hn::LoadU(d, dst + i), hn::LoadU(d, src + i));
    const auto b = hn::Add(hn::LoadU(d, dst + i + N), hn::LoadU(d, src + i + N));
    hn::StoreU(a, d, dst + i);
    hn::StoreU(b, d, dst + i + N);
  }
  for (; i + N <= n; i += N) hn::StoreU(hn::Add(hn::LoadU(d, dst + i), hn::LoadU(d, src + i)), d, dst + i);
  const hn::CappedTag<float, 8> d8;
  for (; i + hn::Lanes(d8) <= n; i += hn::Lanes(d8)) {
    hn::StoreU(hn::Add(hn::LoadU(d8, dst + i), hn::LoadU(d8, src + i)), d8, dst + i);
  }
  for (; i + hn::Lanes(d4) <= n; i += hn::Lanes(d4)) {
    hn::StoreU(hn::Add(hn::LoadU(d4, dst + i), hn::LoadU(d4, src + i)), d4, dst + i);
  }
  for (; i < n; ++i) dst[i] += src[i];
}

// dst[i] = src[2i], i < n, for n > Lanes(d): reads src[0 .. 2n - 2] only. Whole vectors while their pairs end
// before src[2n - 2]; then one vector loaded one float early, whose odd lanes are the last N wanted values.
template <class D>
HWY_INLINE void CopyEvenOverlapping(D d, const float* HWY_RESTRICT src, float* HWY_RESTRICT dst, size_t n) {
  const size_t N = hn::Lanes(d);
  hn::Vec<D> even, odd;
  size_t i = 0;
  for (; i + N < n; i += N) {
    hn::LoadInterleaved2(d, src + 2 * i, even, odd);
    hn::StoreU(even, d, dst + i);
  }
  hn::LoadInterleaved2(d, src + 2 * (n - N) - 1, even, odd);
  hn::StoreU(odd, d, dst + n - N);
}

HWY_INLINE void CopyStride2(const float* HWY_RESTRICT src, float* HWY_RESTRICT dst, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 4> d4;
  if (n > hn::Lanes(d)) {
    CopyEvenOverlapping(d, src, dst, n);
  } else if (n > hn::Lanes(d4)) {
    CopyEvenOverlapping(d4, src, dst, n);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = src[2 * i];
  }
}

// dst[2i] += src[i], i < n, each once; touches dst[0 .. 2n - 2] only (the odd floats in between are stored
// back unchanged, so the caller must own them: they lie in the same row of the same channel).
HWY_INLINE void AddStride2(const float* HWY_RESTRICT src, float* HWY_RESTRICT dst, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 4> d4;
  size_t i = 0;
  {
    const size_t N = hn::Lanes(d);
    hn::Vec<decltype(d)> even, odd;
    for (; i + N < n; i += N) {
      hn::LoadInterleaved2(d, dst + 2 * i, even, odd);
      hn::StoreInterleaved2(hn::Add(even, hn::LoadU(d, src + i)), odd, d, dst + 2 * i);
    }
  }
  {
    const size_t N = hn::Lanes(d4);
    hn::Vec<decltype(d4)> even, odd;
    for (; i + N < n; i += N) {
      hn::LoadInterleaved2(d4, dst + 2 * i, even, odd);
      hn::StoreInterleaved2(hn::Add(even, hn::LoadU(d4, src + i)), odd, d4, dst + 2 * i);
    }
  }
  for (; i < n; ++i) dst[2 * i] += src[i];
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_RUNS_INL_H_
