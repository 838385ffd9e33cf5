// The oracle of the direct depthwise kernels: each result element computed alone, in the order the kernels
// document (src/kernels/depthwise.h), with the target's multiply-add (`fused`: one rounding, as with FMA) and, for
// NCHW backprop-filter's partial sums, its vector length. kernelcheck compares every target with it bit for bit.
#ifndef COLCONV_SRC_REFERENCE_DEPTHWISE_H_
#define COLCONV_SRC_REFERENCE_DEPTHWISE_H_

#include <cstdint>

#include "src/kernels/depthwise.h"

namespace colconv {
namespace reference {

void DwForwardNhwc(const kernels::DwGeometry& g, const kernels::DwTile& t, const float* src, const float* weights,
                   int64_t ldw, float* dst, bool fused);
void DwBackpropInputNhwc(const kernels::DwGeometry& g, const kernels::DwTile& t, const float* diff_dst,
                         const float* weights, int64_t ldw, float* diff_src, bool fused);
void DwBackpropFilterNhwc(const kernels::DwGeometry& g, const kernels::DwTile& t, const float* src,
                          const float* diff_dst, int64_t ldw, float* diff_weights, bool fused);
void DwForwardNchw(const kernels::DwGeometry& g, int64_t c, const float* src, const float* weights, float* dst,
                   bool fused);
void DwBackpropInputNchw(const kernels::DwGeometry& g, int64_t c, const float* diff_dst, const float* weights,
                         float* diff_src, bool fused);
void DwBackpropFilterNchw(const kernels::DwGeometry& g, int64_t c, const float* src, const float* diff_dst,
                          float* diff_weights, bool fused, int64_t lanes);

}  // namespace reference
}  // namespace colconv

#endif  // COLCONV_SRC_REFERENCE_DEPTHWISE_H_
