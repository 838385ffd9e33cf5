// Checks the im2col and col2im kernels of every Highway target against the reference (checkasm style): im2col
// bit-exact, col2im bit-exact (its summation order is fixed), over the DESIGN §3 grid, with every buffer
// against a guard page, the input read-only, and the column buffer pre-filled with NaN; and the direct depthwise
// and direct NHWC kernels likewise (tools/depthwise_check.h, tools/direct_check.h). Used by `colconv
// kernelcheck` and by the test suite.
#ifndef COLCONV_TOOLS_KERNEL_CHECK_H_
#define COLCONV_TOOLS_KERNEL_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "src/kernels/kernels.h"

namespace colconv {
namespace check {

struct KernelCase {
  bool nhwc = true;
  kernels::ColGeometry g;
  int64_t out_h = 0;
  kernels::ColTile t;
  int64_t ld = 0;
  std::string Describe() const;
};

// The grid for a target with `lanes` floats per vector: every kernel size 1..7 x 1..7, strides 1..4,
// dilations 1..3, asymmetric pads, widths 1, N-1, N, N+1 and 2N+3, odd channel counts, channel slices (groups),
// full and partial tiles, rows padded by ld, both layouts and both K orders. scale in (0, 1] thins the random
// part of the grid (for emulators); the sweeps are always complete.
std::vector<KernelCase> KernelGrid(size_t lanes, double scale);

// Runs both kernels of `table` on one case; each failure names the target, the kernel and the case.
void CheckCase(const kernels::KernelTable& table, const KernelCase& c, int index, std::vector<std::string>* failures);

struct TargetReport {
  std::string target;
  size_t lanes = 0;
  int cases = 0;     // im2col/col2im cases
  int dw_cases = 0;      // direct depthwise cases (six kernels each)
  int direct_cases = 0;     // direct NHWC cases (four kernels each)
  int direct_in_place = 0;  // of them, the cases whose skipping entry also ran on src in place
  int transpose_cases = 0;  // transpose shapes (sizes and strides)
  std::vector<std::string> failures;
};

// Every target this CPU runs (or only `only`, by name), each with its own grids. Switches Highway's targets with
// SetSupportedTargetsForTest and resets it; call outside any parallel region.
std::vector<TargetReport> CheckTargets(const std::string& only, double scale);

}  // namespace check
}  // namespace colconv

#endif  // COLCONV_TOOLS_KERNEL_CHECK_H_
