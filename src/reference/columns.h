// The oracle for the im2col/col2im kernels: the column matrix entry by entry, from its definition.
#ifndef COLCONV_SRC_REFERENCE_COLUMNS_H_
#define COLCONV_SRC_REFERENCE_COLUMNS_H_

#include <cstdint>

#include "src/kernels/col_tile.h"

namespace colconv {
namespace reference {

// Offset in one image (NHWC or NCHW) of the input value behind column entry (p, k), or -1 for padding.
int64_t ColumnSource(const kernels::ColGeometry& g, const kernels::ColTile& t, bool nhwc, int64_t p, int64_t k);

// The tile in the kernels' layout: pixel rows for NHWC, K rows for NCHW.
void Im2col(const kernels::ColGeometry& g, const kernels::ColTile& t, bool nhwc, const float* src, float* col,
            int64_t ld);
// Adds the tile back in the kernels' documented order (NHWC: p, then k; NCHW: k, then p), one float at a time.
void Col2im(const kernels::ColGeometry& g, const kernels::ColTile& t, bool nhwc, const float* col, int64_t ld,
            float* diff_src);

}  // namespace reference
}  // namespace colconv

#endif  // COLCONV_SRC_REFERENCE_COLUMNS_H_
