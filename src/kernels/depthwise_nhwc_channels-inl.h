// The channel interleave of depthwise NHWC with a channel multiplier m: output channel c * m + j lies m floats
// from its neighbours, so up to m = 4 the m accumulators of a channel vector are interleaved on store
// (StoreInterleaved) and de-interleaved on load; larger m go lane by lane (in the kernels).

#if defined(COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_CHANNELS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_CHANNELS_INL_H_
#undef COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_CHANNELS_INL_H_
#else
#define COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_CHANNELS_INL_H_
#endif

#include <cstddef>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace colconv {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <size_t M, class D, class V>
HWY_INLINE void StoreChannelsInterleaved(D d, const V (&v)[M], float* HWY_RESTRICT out) {
  if constexpr (M == 1) {
    hn::StoreU(v[0], d, out);
  } else if constexpr (M == 2) {
    hn::StoreInterleaved2(v[0], v[1], d, out);
  } else if constexpr (M == 3) {
    hn::StoreInterleaved3(v[0], v[1], v[2], d, out);
  } else {
    hn::StoreInterleaved4(v[0], v[1], v[2], v[3], d, out);
  }
}
template <size_t M, class D, class V>
HWY_INLINE void LoadChannelsInterleaved(D d, const float* HWY_RESTRICT in, V (&v)[M]) {
  if constexpr (M == 1) {
    v[0] = hn::LoadU(d, in);
  } else if constexpr (M == 2) {
    hn::LoadInterleaved2(d, in, v[0], v[1]);
  } else if constexpr (M == 3) {
    hn::LoadInterleaved3(d, in, v[0], v[1], v[2]);
  } else {
    hn::LoadInterleaved4(d, in, v[0], v[1], v[2], v[3]);
  }
}
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace colconv
HWY_AFTER_NAMESPACE();

#endif  // COLCONV_SRC_KERNELS_DEPTHWISE_NHWC_CHANNELS_INL_H_
