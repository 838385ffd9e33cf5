// The transpose kernel for every Highway target (see transpose.h): 4 rows x 4 columns at a time as a 4x4 transpose
// in 128-bit vectors (two rounds of interleaves, the second on pairs as doubles), which every target but SCALAR
// has; the rows and columns left over, and SCALAR, copy one float at a time. Strips of columns keep the rows a
// pass writes in L1 (TransposeStrip).

#if defined(COLCONV_SRC_KERNELS_TRANSPOSE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_TRANSPOSE_INL_H_
#undef COLCONV_SRC_KERNELS_TRANSPOSE_INL_H_
#else
#define COLCONV_SRC_KERNELS_TRANSPOSE_INL_H_
#endif

#include <algorithm>
#include <cstdint>

#include "hwy/highway.h"
#include "src/kernels/transpose.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Columns per strip: 64, or fewer where the output's row stride is a multiple of a large power of two, which puts
// the rows a strip writes in few sets of L1 (64 sets of 64 bytes, a 4 KB way, and 8 ways or more, on x86 and most
// ARM cores) and the columns are more than those sets hold: 4 lines a set then. Transposing NCHW images of 256 to
// 1024 channels into pixels ran 1.8-3.2x as fast so (a microbenchmark on Zen 4: 512 x 196 floats 31.5 -> 16.7 us,
// 1024 x 196 177 -> 56 us, 256 x 784 57 -> 32 us); strides of 196 or 64 floats ran fastest in strips of 64, and
// a filter's 9 taps of 512 channels (a stride of 512) in one strip, whose 9 rows fit in their 2 sets.
HWY_INLINE int64_t TransposeStrip(int64_t to_stride, int64_t columns) {
  constexpr uint64_t kWayBytes = 4096, kWays = 8, kLinesPerSet = 4, kMaxStrip = 64, kMinStrip = 8;
  const uint64_t bytes = static_cast<uint64_t>(to_stride < 0 ? -to_stride : to_stride) * sizeof(float);
  if (bytes == 0) return kMaxStrip;
  const uint64_t sets = kWayBytes / std::min(bytes & (~bytes + 1), kWayBytes);  // the stride's power of two
  if (static_cast<uint64_t>(columns) <= sets * kWays) return kMaxStrip;
  return static_cast<int64_t>(std::clamp(sets * kLinesPerSet, kMinStrip, kMaxStrip));
}

// Element (row r, column k) of a rows x columns matrix at from[r * from_stride + k] goes to
// to[k * to_stride + r], for rows [r0, r1) and columns [k0, k1).
HWY_INLINE void TransposeScalar(const float* HWY_RESTRICT from, int64_t from_stride, float* HWY_RESTRICT to,
                                int64_t to_stride, int64_t r0, int64_t r1, int64_t k0, int64_t k1) {
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t k = k0; k < k1; ++k) to[k * to_stride + r] = from[r * from_stride + k];
}

// A rows x columns matrix (row stride from_stride) to its transpose (row stride to_stride), in strips of
// TransposeStrip(to_stride, columns) columns.
HWY_NOINLINE void Transpose(const float* HWY_RESTRICT from, int64_t from_stride, int64_t rows, int64_t columns,
                          float* HWY_RESTRICT to, int64_t to_stride) {
#if HWY_TARGET == HWY_SCALAR
  TransposeScalar(from, from_stride, to, to_stride, 0, rows, 0, columns);
#else
  const hn::FixedTag<float, 4> d;
  const hn::Repartition<double, decltype(d)> dd;
  const int64_t rows4 = rows / 4 * 4, strip = TransposeStrip(to_stride, columns);
  for (int64_t k0 = 0; k0 < columns; k0 += strip) {
    const int64_t k1 = std::min(columns, k0 + strip), k4 = k0 + (k1 - k0) / 4 * 4;
    for (int64_t r = 0; r < rows4; r += 4) {
      const float* row = from + r * from_stride;
      for (int64_t k = k0; k < k4; k += 4) {
        const auto a = hn::LoadU(d, row + k), b = hn::LoadU(d, row + from_stride + k);
        const auto c = hn::LoadU(d, row + 2 * from_stride + k), e = hn::LoadU(d, row + 3 * from_stride + k);
        // ab_lo = a0 b0 a1 b1, ce_lo = c0 e0 c1 e1, ...; then pairs as doubles: a0 b0 c0 e0, a1 b1 c1 e1, ...
        const auto ab_lo = hn::BitCast(dd, hn::InterleaveLower(d, a, b));
        const auto ce_lo = hn::BitCast(dd, hn::InterleaveLower(d, c, e));
        const auto ab_hi = hn::BitCast(dd, hn::InterleaveUpper(d, a, b));
        const auto ce_hi = hn::BitCast(dd, hn::InterleaveUpper(d, c, e));
        float* out = to + k * to_stride + r;
        hn::StoreU(hn::BitCast(d, hn::InterleaveLower(dd, ab_lo, ce_lo)), d, out);
        hn::StoreU(hn::BitCast(d, hn::InterleaveUpper(dd, ab_lo, ce_lo)), d, out + to_stride);
        hn::StoreU(hn::BitCast(d, hn::InterleaveLower(dd, ab_hi, ce_hi)), d, out + 2 * to_stride);
        hn::StoreU(hn::BitCast(d, hn::InterleaveUpper(dd, ab_hi, ce_hi)), d, out + 3 * to_stride);
      }
      TransposeScalar(from, from_stride, to, to_stride, r, r + 4, k4, k1);
    }
    TransposeScalar(from, from_stride, to, to_stride, rows4, rows, k0, k1);
  }
#endif
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_TRANSPOSE_INL_H_
