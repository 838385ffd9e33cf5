// The oracle: plain loops over the definition of a convolution, accumulated in double, with exact (128-bit)
// positions, so that any geometry the semantics accept is computed right. Obviously correct and
// slow; everything fast in colconv is tested against it. Handles every layout, filter format, group count,
// dilation, asymmetric pad and empty tensor a resolved Conv2dGeometry can describe.
#ifndef COLCONV_SRC_REFERENCE_REFERENCE_H_
#define COLCONV_SRC_REFERENCE_REFERENCE_H_

#include <cmath>
#include <cstdint>

#include "colconv/conv2d.h"

namespace colconv {
namespace reference {

// One exact result element, and the sum of |products| that formed it (the scale of its rounding error).
struct Value {
  double value = 0;
  double magnitude = 0;
  void Add(double a, double b) {
    value += a * b;
    magnitude += std::fabs(a * b);
  }
};

// dst[n, oc, oh, ow]
Value ForwardAt(const Conv2dGeometry& g, const float* src, const float* weights, int64_t n, int64_t oc,
                int64_t oh, int64_t ow);
// diff_src[n, c, ih, iw]
Value BackpropInputAt(const Conv2dGeometry& g, const float* weights, const float* diff_dst, int64_t n,
                      int64_t c, int64_t ih, int64_t iw);
// diff_weights[oc, ic, kh, kw], ic counted within oc's group
Value BackpropFilterAt(const Conv2dGeometry& g, const float* src, const float* diff_dst, int64_t oc, int64_t ic,
                       int64_t kh, int64_t kw);

// Whole tensors, every element written (rounded to float).
void Forward(const Conv2dGeometry& g, const float* src, const float* weights, float* dst);
void BackpropInput(const Conv2dGeometry& g, const float* weights, const float* diff_dst, float* diff_src);
void BackpropFilter(const Conv2dGeometry& g, const float* src, const float* diff_dst, float* diff_weights);

}  // namespace reference
}  // namespace colconv

#endif  // COLCONV_SRC_REFERENCE_REFERENCE_H_
