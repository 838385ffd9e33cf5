// Element offsets in colconv's tensors, whatever their storage order.
#ifndef COLCONV_SRC_LAYOUT_H_
#define COLCONV_SRC_LAYOUT_H_

#include <array>
#include <cstdint>

#include "colconv/conv2d.h"

namespace colconv {

// Strides of the N, C, H, W axes of a data tensor (NHWC or NCHW storage).
struct TensorIndex {
  int64_t n, c, h, w;
  int64_t operator()(int64_t in, int64_t ic, int64_t ih, int64_t iw) const {
    return in * n + ic * c + ih * h + iw * w;
  }
};

// Strides of the O, I, H, W axes of a filter (HWIO or OIHW storage); I counts channels within a group.
struct FilterIndex {
  int64_t o, i, h, w;
  int64_t operator()(int64_t oc, int64_t ic, int64_t kh, int64_t kw) const {
    return oc * o + ic * i + kh * h + kw * w;
  }
};

inline TensorIndex IndexOf(DataFormat format, int64_t channels, int64_t height, int64_t width) {
  if (format == DataFormat::kNHWC) return {height * width * channels, 1, width * channels, channels};
  return {channels * height * width, height * width, width, 1};
}

inline FilterIndex IndexOf(FilterFormat format, int64_t out_channels, int64_t in_channels_per_group,
                           int64_t kernel_h, int64_t kernel_w) {
  if (format == FilterFormat::kHWIO) {
    return {1, out_channels, kernel_w * in_channels_per_group * out_channels, in_channels_per_group * out_channels};
  }
  return {in_channels_per_group * kernel_h * kernel_w, kernel_h * kernel_w, kernel_w, 1};
}

// Calls f(i0, i1, i2, i3) for every index of the box extents[0] x ... x extents[3], the last fastest: the walk over
// a whole tensor that the reference and the tests share.
template <typename F>
void ForEachIndex(const std::array<int64_t, 4>& extents, F&& f) {
  for (int64_t i0 = 0; i0 < extents[0]; ++i0)
    for (int64_t i1 = 0; i1 < extents[1]; ++i1)
      for (int64_t i2 = 0; i2 < extents[2]; ++i2)
        for (int64_t i3 = 0; i3 < extents[3]; ++i3) f(i0, i1, i2, i3);
}

inline TensorIndex SrcIndex(const Conv2dGeometry& g) {
  return IndexOf(g.data_format, g.in_channels, g.height.input, g.width.input);
}
inline TensorIndex DstIndex(const Conv2dGeometry& g) {
  return IndexOf(g.data_format, g.out_channels, g.height.output, g.width.output);
}
inline FilterIndex WeightsIndex(const Conv2dGeometry& g) {
  return IndexOf(g.filter_format, g.out_channels, g.in_channels_per_group(), g.height.filter, g.width.filter);
}

}  // namespace colconv

#endif  // COLCONV_SRC_LAYOUT_H_
