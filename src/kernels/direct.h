// The contract of the direct NHWC kernels for thin convolutions: groups whose GEMM would be thin (few output
// channels per group, or a short K). Vectors run over output channels in two modes and over input channels in a
// third:
// - broadcast (output channels per group a multiple of the vector length): a vector holds one group's outputs and
//   each input value is broadcast across them, for a register tile of pixels x output vectors;
// - spread (the vector length a multiple of the output channels per group, ResNeXt's 4 or 8 per group): a vector
//   holds the outputs of lanes / opg whole groups, and the band holds, per pixel and input channel of a group, a
//   vector whose lane o carries that channel of o's own group, so a multiply-add still serves every lane;
// - reduce (forward only; up to kDirectReduceOutputs output channels per group, its input channels whole vectors:
//   backprop-input of a 1- or 3-channel image, whose passes have 64 or 32 "input" channels and 1 or 3 outputs): a
//   vector holds input channels, lane l sums the products of channels l, l + lanes, ... in a register tile of
//   pixels x outputs, and the lanes are added at the end by halves (lane i + lane i + lanes / 2, and so on down to
//   one); a tile is one group, whose output j reads W[(j * taps + tap) * cpg + ic] (ldw unused). It reads src
//   where it is, without a band, and skips the padding columns' taps as well as its rows': the band copy was two
//   thirds of a 1-channel U-Net layer's backprop-input (perf), its 16 MB diff_dst read from memory twice.
//
// Every sum has a documented order (in reduce mode, its lanes' order), so each Highway target equals a scalar
// emulation (src/reference/direct.cc) that uses the target's multiply-add (fused where it has FMA).
//
// A tile's weights are W[(tap * cpg + ic) * ldw + j], tap = kh * kernel_w + kw, j the output channel counted from
// the tile's first (reduce mode: above): HWIO's own layout from the tile's column (ldw = output channels), or a
// packed block. One call covers consecutive tiles over one band, tile k's weights from weights + k * weights_step.
#ifndef COLCONV_SRC_KERNELS_DIRECT_H_
#define COLCONV_SRC_KERNELS_DIRECT_H_

#include <algorithm>
#include <cstdint>

#include "src/kernels/window.h"

namespace colconv {
namespace kernels {

// One image of a grouped convolution as the direct kernels see it.
struct DirectGeometry {
  int64_t in_channels = 0;   // the source's pixel stride
  int64_t out_channels = 0;
  // The result's pixel and row strides in floats: out_channels and out_w * out_channels, or for a phase of
  // backprop-input (src/algorithms/direct_nhwc.cc) every stride-th pixel of every stride-th row.
  int64_t out_pixel = 0, out_row = 0;
  int64_t cpg = 1, opg = 1;  // input and output channels per group
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
};

// Output rows [row0, row1) of the outputs of groups [group, group + tiles * DirectGroupsPerTile) (forward), or
// the contributions of those output rows (backprop-filter).
struct DirectTile {
  int64_t row0 = 0, row1 = 0;
  int64_t group = 0;
  int64_t tiles = 1;
};

// The modes the kernels run (lanes: the target's vector length in floats); neither means they do not apply.
// Targets of 16 lanes or more also broadcast over half vectors when output channels per group are a multiple of a
// half but not of a whole (8 or 24 on AVX-512): half-width multiply-adds do half the work each, while a spread band
// stores every input value as a whole vector, opg times the input's size (with the shared band below, ResNeXt's
// stride-2 layer of 8-channel groups runs 1.8-2.0x faster forward, 1.9-2.2x backprop-filter).
inline bool DirectHalves(const DirectGeometry& g, int64_t lanes) {
  return lanes >= 16 && g.opg % lanes != 0 && g.opg % (lanes / 2) == 0;
}
inline bool DirectBroadcasts(const DirectGeometry& g, int64_t lanes) {
  return g.opg % lanes == 0 || DirectHalves(g, lanes);
}
inline bool DirectSpreads(const DirectGeometry& g, int64_t lanes) {
  // A spread vector's input channels are one load (cpg <= opg) covering whole groups of whole vectors.
  return g.opg < lanes && lanes % g.opg == 0 && g.cpg <= g.opg && g.out_channels % lanes == 0;
}
constexpr int64_t kDirectReduceOutputs = 4;
inline bool DirectReduces(const DirectGeometry& g, int64_t lanes) {
  return !DirectBroadcasts(g, lanes) && !DirectSpreads(g, lanes) && g.opg <= kDirectReduceOutputs &&
         g.cpg % lanes == 0;
}
// Groups one tile covers: one, or a vector's worth in spread mode.
inline int64_t DirectGroupsPerTile(const DirectGeometry& g, int64_t lanes) {
  return DirectBroadcasts(g, lanes) || DirectReduces(g, lanes) ? 1 : lanes / g.opg;
}

// Output pixels x output vectors per register tile at most: 16 accumulators on targets with 32 vector registers
// (8 leave the multiply-add latency half hidden there), 8 on those with 16.
constexpr int64_t kDirectPixels = 16;

// The band both kernels read: the input channels of a call's tiles in the rows they reach, zero-padded (input rows
// from row0 * stride_h - pad_top, columns from -pad_left, enough for the output row rounded up to whole tiles).
// Element (r, q, k, ic), input channel ic of tile k, at (r * width + q) * pixel + (k * cpg + ic) * depth, where
// depth is the vector length when the kernels spread (each element then a vector over the tile's groups), else 1.
// One band serves several tiles because it is built from whole runs of a pixel's channels: one group's 8 channels
// alone make a strided gather of 32 bytes per pixel (a third of the time of ResNeXt's stride-2 layer, found with
// perf).
struct DirectBand {
  int64_t rows = 0, width = 0, depth = 1, pixel = 0;
  int64_t floats() const { return rows * width * pixel; }
};
inline DirectBand DirectBandOf(const DirectGeometry& g, int64_t tile_rows, int64_t tiles, int64_t lanes) {
  if (DirectReduces(g, lanes)) return {0, 0, 1, 0};  // none
  const int64_t eff_h = (g.kernel_h - 1) * g.dilation_h + 1, eff_w = (g.kernel_w - 1) * g.dilation_w + 1;
  const int64_t out_width = (g.out_w + kDirectPixels - 1) / kDirectPixels * kDirectPixels;
  const int64_t depth = DirectBroadcasts(g, lanes) ? 1 : lanes;
  return {(tile_rows - 1) * g.stride_h + eff_h, (out_width - 1) * g.stride_w + eff_w, depth, tiles * g.cpg * depth};
}

// A band several forward passes over the same input share (the phases of a strided backprop-input, each of which
// built its own: ResNeXt's stride-2 layer ran 1.08x as fast skipping three of its four builds): the geometry whose
// band covers each pass's band of the same rows and tiles, built once (DirectBandFn); pass p's band starts
// DirectBandOffset floats into it. The passes share everything but their pads, filter extents and outputs.
inline DirectGeometry DirectBandCover(const DirectGeometry* passes, int64_t count) {
  DirectGeometry cover = passes[0];
  for (int64_t p = 1; p < count; ++p) {
    cover.pad_top = std::max(cover.pad_top, passes[p].pad_top);
    cover.pad_left = std::max(cover.pad_left, passes[p].pad_left);
    cover.out_h = std::max(cover.out_h, passes[p].out_h);
    cover.out_w = std::max(cover.out_w, passes[p].out_w);
  }
  // Each pass's rows and columns of input from the cover's first, in a filter of unit dilation.
  cover.kernel_h = cover.kernel_w = 1;
  for (int64_t p = 0; p < count; ++p) {
    const DirectGeometry& g = passes[p];
    cover.kernel_h = std::max(cover.kernel_h, (g.kernel_h - 1) * g.dilation_h + 1 + cover.pad_top - g.pad_top);
    cover.kernel_w = std::max(cover.kernel_w, (g.kernel_w - 1) * g.dilation_w + 1 + cover.pad_left - g.pad_left);
  }
  cover.dilation_h = cover.dilation_w = 1;
  return cover;
}
inline int64_t DirectBandOffset(const DirectGeometry& cover, const DirectBand& b, const DirectGeometry& pass) {
  return ((cover.pad_top - pass.pad_top) * b.width + cover.pad_left - pass.pad_left) * b.pixel;
}

// Output channels one tile covers: its groups' (DirectGroupsPerTile).
inline int64_t DirectTileOutputs(const DirectGeometry& g, int64_t lanes) {
  return DirectGroupsPerTile(g, lanes) * g.opg;
}

// Backprop-filter sums a tile in runs of its output pixels (whole rows, or equal pieces of one) that hold about
// kDirectFilterRunFloats floats of diff_dst and band, and at least kDirectFilterRunPixels pixels
// (direct_nhwc-inl.h says why); a run over band `b` of `tiles` tiles has at most this many pixels.
constexpr int64_t kDirectFilterRunFloats = 4096;
constexpr int64_t kDirectFilterRunPixels = 128;
inline int64_t DirectFilterRunPixels(const DirectGeometry& g, const DirectBand& b, int64_t tiles, int64_t lanes) {
  const int64_t per_pixel = DirectTileOutputs(g, lanes) + g.kernel_h * g.stride_w * b.pixel / tiles;
  return std::max(kDirectFilterRunPixels, kDirectFilterRunFloats / per_pixel);
}
// Backprop-filter copies a run's diff_dst of one tile, pixel after pixel, where each of its values takes part in at
// least kDirectFilterCopyUses products (taps x input channels per group), unless the tile has all of a pixel's
// output channels (a run's diff_dst is one piece then). On AVX2 (Zen 3) the copy ran ResNeXt's layers 1.03-2.0x as
// fast with 72-288 products (direct_nhwc-inl.h: DiffDstOfRun), and its 56x56 layer's 4-channel groups (36) 0.95x.
constexpr int64_t kDirectFilterCopyUses = 64;
inline bool DirectFilterCopiesRuns(const DirectGeometry& g, int64_t lanes) {
  return DirectTileOutputs(g, lanes) != g.out_pixel && g.kernel_h * g.kernel_w * g.cpg >= kDirectFilterCopyUses;
}
// Backprop-filter's scratch: the band, then (64-byte aligned from the band's start) one run's copy.
inline int64_t DirectFilterRunCopyOffset(const DirectBand& b) { return (b.floats() + 15) / 16 * 16; }
inline int64_t DirectFilterScratchFloats(const DirectGeometry& g, int64_t tile_rows, int64_t tiles, int64_t lanes) {
  const DirectBand b = DirectBandOf(g, tile_rows, tiles, lanes);
  if (!DirectFilterCopiesRuns(g, lanes)) return b.floats();
  const int64_t pixels = std::min(DirectFilterRunPixels(g, b, tiles, lanes), tile_rows * g.out_w);
  return DirectFilterRunCopyOffset(b) + pixels * DirectTileOutputs(g, lanes);
}

// Forward: dst = sum over taps (kh, then kw ascending) and, within each, the group's input channels (ascending) of
// src x weights, skipping the filter rows that fall in the padding and adding the padding columns' zero products
// (reduce mode skips those too; neither changes a sum of finite weights, which starts from +0 and so is never
// -0). Writes exactly the tiles' rows of their groups' output channels; `scratch` holds DirectBandOf(g, rows,
// tiles, lanes).floats() floats. Runs when DirectBroadcasts, DirectSpreads or DirectReduces.
using DirectForwardFn = void (*)(const DirectGeometry& g, const DirectTile& t, const float* src, const float* weights,
                                 int64_t ldw, int64_t weights_step, float* dst, float* scratch);
// The band DirectForwardFn builds first, into `band` (DirectBandOf(g, rows, tiles, lanes).floats() floats).
using DirectBandFn = void (*)(const DirectGeometry& g, const DirectTile& t, const float* src, float* band);
// DirectForwardFn over a band built already: `b` the band's geometry, `band` its element of input row
// t.row0 * stride_h - pad_top, column -pad_left (a DirectBandCover's band, DirectBandOffset into it). Not in
// reduce mode, which has no band.
using DirectForwardOnBandFn = void (*)(const DirectGeometry& g, const DirectTile& t, const DirectBand& b,
                                       const float* band, const float* weights, int64_t ldw, int64_t weights_step,
                                       float* dst);
// The kernel table's direct_forward_skipping_edges_nhwc is a DirectForwardOnBandFn whose rows' first and last
// whole tiles leave out their edge pixels' products in the padding columns (the zero products of the pixels past a
// row's end that the other tiles compute stay): the same results wherever the weights are finite, faster where
// DirectSkipsEdges. It alone also takes src in place (DirectInPlaceBand).

// A filter row's taps x input channels are one run in the band when its taps' elements sit side by side (one tile,
// no dilation): the forward kernels run one loop of kernel_w * cpg then, not kernel_w loops of cpg (the stem's 3,
// a 1-channel input's 1).
inline bool DirectRowRun(const DirectGeometry& g, const DirectBand& b) {
  return g.dilation_w == 1 && b.pixel == g.cpg * b.depth;
}
// Output pixels a row of `width` computes in tiles of `tile` (the last a half tile when that covers the rest).
inline int64_t DirectTiledPixels(int64_t width, int64_t tile) {
  int64_t ow0 = 0;
  while (ow0 + tile / 2 < width) ow0 += tile;
  return ow0 < width ? ow0 + tile / 2 : ow0;
}
// The forward kernels' tiles over rows of out_w pixels, where `tile` pixels fill the accumulators: 7/8 of that where
// it computes fewer pixels (rows of a multiple of 7, every layer of a 224-pixel image: ResNeXt's 14- and 7-wide
// layers ran 1.1x faster than in tiles of 8 or 16, which compute 8 pixels for 7).
inline int64_t DirectRowTile(int64_t out_w, int64_t tile) {
  const int64_t sevenths = tile / 8 * 7;
  return tile % 8 == 0 && DirectTiledPixels(out_w, sevenths) < DirectTiledPixels(out_w, tile) ? sevenths : tile;
}

// Skipping pays where the filter reaches into the left or right padding and each tap's loop runs over at least
// kDirectEdgeChannels input channels in broadcast mode: on AVX-512 (Zen 4) ResNeXt's 7x7 and 14x14 layers ran
// 1.06x and 1.03x as fast, its stride-2 layer, whose taps of 8 channels on half vectors skip 8 multiply-adds,
// 0.86x (backprop-input). Targets of 16 lanes only: on AVX2 those 7- and 14-wide rows run in wrapped tiles
// (direct_nhwc-inl.h), which skip nothing, and no other layer was timed there.
constexpr int64_t kDirectEdgeChannels = 16;
// The tap columns of output column ow that fall inside the image.
inline TapRange DirectColumnTaps(const DirectGeometry& g, int64_t ow) {
  return TapsInside(ow, g.stride_w, g.pad_left, g.dilation_w, g.kernel_w, g.in_w);
}
inline bool DirectSkipsEdges(const DirectGeometry& g, const DirectBand& b, int64_t lanes) {
  const auto inside = [&](int64_t ow) { return DirectColumnTaps(g, ow); };
  return lanes >= 16 && DirectBroadcasts(g, lanes) && g.cpg >= kDirectEdgeChannels && !DirectRowRun(g, b) &&
         (inside(0).lo > 0 || inside(g.out_w - 1).hi < g.kernel_w);
}
// src read in place as a band, by a direct_forward_skipping_edges_nhwc call where DirectReadsInPlace: no rows
// built, src's own pixels; the call's band pointer is src + t.group * cpg, src's element of the call's first
// channel at input row 0, column 0.
inline DirectBand DirectInPlaceBand(const DirectGeometry& g) { return {0, g.in_w, 1, g.in_channels}; }
// Floats from a call's band pointer to its band's element (0, 0): 0 for a built band; for src in place, input row
// t.row0 * stride_h - pad_top, column -pad_left, which may lie in the padding before src (never read).
inline int64_t DirectBandOrigin(const DirectGeometry& g, const DirectTile& t, const DirectBand& b) {
  return b.rows > 0 ? 0 : ((t.row0 * g.stride_h - g.pad_top) * g.in_w - g.pad_left) * g.in_channels;
}
// Where the skipping entry's tiles read nothing in the padding, they read src in place: no band to copy or zero (on
// AVX-512, Zen 4, ResNeXt's 7x7 layer's backprop-input ran 1.06x as fast through an operator and 1.05x one-shot,
// its 14x14 layer's 1.03x; a tap's reads stay one group's channels of a pixel, a 64- or 128-byte run). That holds
// when only a row's first and last pixels reach into the padding (skipped), by tap columns not in the padding for
// both, and the tiles cover each row exactly, the last computing no pixel past its end: the tile of each run of 4,
// 2 or 1 output vectors (DirectForwardVectors) divides out_w. The last pixel must reach the right padding, so that
// the row's last tile is an edge tile, whose pointers never pass the last pixel read (src's end, in the last row).
inline bool DirectReadsInPlace(const DirectGeometry& g, int64_t lanes) {
  if (!DirectSkipsEdges(g, DirectInPlaceBand(g), lanes) || g.out_w < 2) return false;
  const auto inside = [&](int64_t ow) { return DirectColumnTaps(g, ow); };
  if (inside(1).lo > 0 || inside(g.out_w - 2).hi < g.kernel_w || inside(0).lo > inside(g.out_w - 1).hi ||
      inside(g.out_w - 1).hi == g.kernel_w) {
    return false;
  }
  const int64_t vector = DirectHalves(g, lanes) ? lanes / 2 : lanes;
  for (int64_t left = g.opg / vector; left > 0;) {
    const int64_t run = left >= 4 ? 4 : left >= 2 ? 2 : 1;
    if (g.out_w % DirectRowTile(g.out_w, kDirectPixels / run) != 0) return false;
    left -= run;
  }
  return true;
}

// Backprop-filter: sums into diff_weights (the weights' layout), per element, the tile's output pixels' products
// in row, then column order, skipping the pixels whose input under the element's tap lies in the padding. (Passes
// over several taps, for few input channels per group, add the padding's zero products instead: they change no sum
// of finite values, but a -0 the sum continues from becomes +0, and an infinite or NaN diff_dst there makes a NaN;
// skipped there too, a pass's bounds cost the stem 6%.) Continues from the value already there when
// `accumulate`, else from zero without reading it (a separate pass of zeros over a 1.2 MB gradient was a fifth of
// ResNeXt's 7x7 layer's time); `scratch` holds DirectFilterScratchFloats(g, rows, tiles, lanes) floats. Runs when
// DirectBroadcasts or DirectSpreads.
using DirectBackpropFilterFn = void (*)(const DirectGeometry& g, const DirectTile& t, const float* src,
                                        const float* diff_dst, int64_t ldw, int64_t weights_step,
                                        float* diff_weights, bool accumulate, float* scratch);

}  // namespace kernels
}  // namespace colconv

#endif  // COLCONV_SRC_KERNELS_DIRECT_H_
