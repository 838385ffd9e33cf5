// Checks the direct depthwise kernels of one Highway target against their scalar emulation (src/reference/
// depthwise.h), bit for bit, checkasm style: inputs read-only against a guard page, results and scratch prefilled
// with NaN, results against a guard page. The grid: kernel sizes 1x1 to 7x7, 31x1 and 1x31, strides 1 to 3,
// dilations 1 and 2, asymmetric and TF SAME pads, 1x1 images, 1 channel and channel counts around the vector
// length, multipliers 1 to 5, partial tiles.
#ifndef COLCONV_TOOLS_DEPTHWISE_CHECK_H_
#define COLCONV_TOOLS_DEPTHWISE_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "src/kernels/kernels.h"

namespace colconv {
namespace check {

struct DwCase {
  kernels::DwGeometry g;
  kernels::DwTile out_tile;  // forward and backprop-filter: output rows, channels
  kernels::DwTile in_tile;   // backprop-input: input rows, channels
  int64_t channel = 0;       // NCHW: the input channel the calls take
  std::string Describe() const;
};

// scale in (0, 1] thins the random part of the grid; the sweeps stay whole.
std::vector<DwCase> DwGrid(size_t lanes, double scale);

// Runs the six kernels (three directions, two layouts) of `table` on one case; each failure names the target,
// the kernel and the case.
void CheckDwCase(const kernels::KernelTable& table, const DwCase& c, int index, std::vector<std::string>* failures);

}  // namespace check
}  // namespace colconv

#endif  // COLCONV_TOOLS_DEPTHWISE_CHECK_H_
