// The oracle of the direct NHWC kernels: each result element computed alone, in the order they document
// (src/kernels/direct.h), with the target's multiply-add (`fused`) and the padding's zero products skipped or
// included as the kernels do (backprop-filter: all skipped; the zero products its kernels' passes over several taps
// add change a sum only where it continues from -0 or diff_dst is not finite, which kernelcheck's data never is).
// kernelcheck compares every target with it bit for bit.
#ifndef COLCONV_SRC_REFERENCE_DIRECT_H_
#define COLCONV_SRC_REFERENCE_DIRECT_H_

#include <cstdint>

#include "src/kernels/direct.h"

namespace colconv {
namespace reference {

// `lanes`: the vector length of the target emulated, which sets the groups a tile covers.
void DirectForwardNhwc(const kernels::DirectGeometry& g, const kernels::DirectTile& t, const float* src,
                       const float* weights, int64_t ldw, int64_t weights_step, float* dst, bool fused,
                       int64_t lanes);
void DirectBackpropFilterNhwc(const kernels::DirectGeometry& g, const kernels::DirectTile& t, const float* src,
                              const float* diff_dst, int64_t ldw, int64_t weights_step, float* diff_weights,
                              bool accumulate, bool fused, int64_t lanes);

}  // namespace reference
}  // namespace colconv

#endif  // COLCONV_SRC_REFERENCE_DIRECT_H_
