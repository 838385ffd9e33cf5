// Checks the direct NHWC kernels (src/kernels/direct.h) of one Highway target against their scalar emulation
// (src/reference/direct.h), bit for bit, with the guard pages and NaN prefill of check::CheckBitExact. The grid:
// both modes (whole or, with 16 lanes, half vectors per group, broadcast; groups spread over a vector), one to
// five vectors or half vectors per group, calls of one to three tiles over one band (weights side by side or in
// blocks),
// 1 to all input channels per group, kernel sizes 1x1 to 7x7 and 1x10, strides 1 to 3, dilations 1 and 2, TF SAME
// and asymmetric pads, output widths around the pixel tiles (1, 7, 8, 9, 15, 16, 17, 33), partial row tiles,
// tiles of the first, a middle and the last groups, and weight rows padded beyond the tile; the edge tiles' entry
// also on src in place (against its guard page) wherever its tiles read nothing in the padding.
#ifndef COLCONV_TOOLS_DIRECT_CHECK_H_
#define COLCONV_TOOLS_DIRECT_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "src/kernels/kernels.h"

namespace colconv {
namespace check {

struct DirectCase {
  kernels::DirectGeometry g;
  kernels::DirectTile tile;
  int64_t ldw = 0;           // the weights' row stride, at least the tile's outputs
  int64_t weights_step = 0;  // from one tile's weights to the next's
  std::string Describe() const;
};

// scale in (0, 1] thins the random part of the grid; the sweeps stay whole.
std::vector<DirectCase> DirectGrid(size_t lanes, double scale);

// Runs the direct kernels of `table` on one case; each failure names the target, the kernel and the case. True
// when the case also ran the skipping entry on src in place (kernels::DirectReadsInPlace), against the guard page.
bool CheckDirectCase(const kernels::KernelTable& table, const DirectCase& c, int index,
                     std::vector<std::string>* failures);

}  // namespace check
}  // namespace colconv

#endif  // COLCONV_TOOLS_DIRECT_CHECK_H_
