// Tiles of the column matrix (im2col, and col2im for backprop-input) around the GEMM: the general algorithm.
// Tiles hold about a quarter of L2, so im2col writes a tile into L2 and the GEMM packs it from there; the
// workspace is one tile per worker, independent of the batch. im2col_gemm.cc plans, one file per direction runs.
#ifndef COLCONV_SRC_ALGORITHMS_IM2COL_GEMM_H_
#define COLCONV_SRC_ALGORITHMS_IM2COL_GEMM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "src/algorithms/common.h"
#include "src/algorithms/filter_matrix.h"
#include "src/kernels/col_tile.h"

namespace colconv {
namespace internal {

// The kernels' view of one image of a problem.
kernels::ColGeometry ColGeometryOf(const Conv2dGeometry& g);

// The tiles of one problem, fixed by its shape (and the machine's L2 size) alone.
struct Im2colTiling {
  Im2colTiling(Direction direction, const Conv2dGeometry& geometry, const gemm::Backend& gemm,
               const kernels::KernelTable& kernels);

  int64_t pixel_tiles() const { return CeilDiv(pixels, tile_pixels); }
  Range PixelTile(int64_t i) const { return BlockOf(i, tile_pixels, pixels); }
  kernels::ColTile Tile(int64_t group, Range px, Range k) const;
  // One column tile per worker (and the rows that channel-major NHWC columns pass through).
  void BookColumns(WorkspaceLayout* layout) const;
  float* Columns(const RunContext& ctx, int worker) const;
  // The tile of image `image` (its first float) through the layout's kernel, into / out of `col`. NHWC tiles in
  // channel-major order are written by worker `worker`.
  void Im2col(const RunContext& ctx, int worker, const kernels::ColTile& t, const float* image, float* col) const;
  void Col2im(const RunContext& ctx, const kernels::ColTile& t, const float* col, float* image) const;
  std::string Describe() const;
  // NHWC pixel rows in channel-major K order (backprop-filter writing OIHW directly, see ColumnsOrder).
  bool nhwc_channel_major() const;

  const Conv2dGeometry& g;
  FilterMatrix filter;
  kernels::ColGeometry cols;
  int64_t pixels;         // output pixels per image
  int64_t tile_k;         // K per slice
  int64_t tile_pixels;    // pixels per tile
  int64_t channel_block;  // backprop-input: input channels per task (NCHW with OIHW at small batch), else the group's
  int64_t oc_block;       // forward: output channels per task
};

std::unique_ptr<const Executable> MakeIm2colForward(const Problem& problem, WorkspaceLayout* layout);
std::unique_ptr<const Executable> MakeIm2colBackpropInput(const Problem& problem, WorkspaceLayout* layout);
std::unique_ptr<const Executable> MakeIm2colBackpropFilter(const Problem& problem, WorkspaceLayout* layout);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_IM2COL_GEMM_H_
