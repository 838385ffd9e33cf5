// The contract of the direct depthwise kernels (groups = input channels, any channel multiplier m): what one call
// computes, and in which order it sums, so that every Highway target can be checked bit for bit against a scalar
// emulation (src/reference/depthwise.cc).
//
// Output channel o = c * m + j reads input channel c. Every sum runs in a documented order, one output element per
// vector lane, so a target's result equals the scalar emulation that uses the target's multiply-add: fused
// (one rounding) where the target has FMA, a product then a sum elsewhere (DwTable::fused).
//
// NHWC kernels vectorize over channels; their weights are W[(j * taps + tap) * ldw + c], tap = kh * kernel_w + kw
// (HWIO's own layout when m = 1; a packed copy otherwise). NCHW kernels work on whole planes, each flattened into
// one long row so that vectors run across row ends (small planes fill whole vectors): the input plane, padded to
// what the outputs reach and split into the stride's phases, is correlated tap by tap at a fixed offset per tap,
// columns beyond the output's width computed and dropped. Their weights are W[o * taps + tap] (OIHW's own).
#ifndef COLCONV_SRC_KERNELS_DEPTHWISE_H_
#define COLCONV_SRC_KERNELS_DEPTHWISE_H_

#include <algorithm>
#include <cstdint>

namespace colconv {
namespace kernels {

// One image of a depthwise convolution as the kernels see it.
struct DwGeometry {
  int64_t channels = 0;    // C, input channels (the pixel stride of an NHWC source)
  int64_t multiplier = 1;  // m, output channels per input channel (the output has C * m)
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
};

// The part of one image a call covers: rows [row0, row1) of its result (output rows for forward and
// backprop-filter, input rows for backprop-input) and input channels [c0, c1) (all m outputs of each).
struct DwTile {
  int64_t row0 = 0, row1 = 0;
  int64_t c0 = 0, c1 = 0;
};

// NCHW planes. The padded input of a forward (or backprop-filter) pass covers rows [-pad_top, (out_h - 1) * stride_h +
// eff_h - pad_top) and likewise columns; phase (a, b) holds its rows a, a + stride_h, ... and columns b, b +
// stride_w, ..., rows of `width` floats, `rows` of them, then `slack` zeros that the vector loops may read.
// Output pixel (oh, ow) is flat index u = oh * width + ow, and tap (kh, kw) reads phase ((kh * dh) % sh,
// (kw * dw) % sw) at u + (kh * dh / sh) * width + kw * dw / sw.
struct DwPlanes {
  int64_t rows = 0, width = 0, slack = 0;
  int64_t floats() const { return rows * width + slack; }
};
// `block` is the number of floats the kernels' loops advance by (a few vectors).
inline DwPlanes DwInputPhases(const DwGeometry& g, int64_t block) {
  const int64_t eff_h = (g.kernel_h - 1) * g.dilation_h + 1, eff_w = (g.kernel_w - 1) * g.dilation_w + 1;
  const int64_t hp = (g.out_h - 1) * g.stride_h + eff_h, wp = (g.out_w - 1) * g.stride_w + eff_w;
  DwPlanes p;
  p.rows = (hp + g.stride_h - 1) / g.stride_h;
  p.width = (wp + g.stride_w - 1) / g.stride_w;
  p.slack = block + (eff_w - 1) / g.stride_w + 1;
  return p;
}
// Backprop-input gathers, for each phase (a, b) of the padded input (input pixel ih = ih2 * sh + a - pad_top),
// from diff_dst padded ahead by qh = (eff_h - 1) / sh rows and qw = (eff_w - 1) / sw columns: the phase's flat
// result u = ih2 * width + iw2 takes tap (kh, kw) (with kh * dh = qkh * sh + a, kw * dw = qkw * sw + b) from the
// padded diff_dst at u + (qh - qkh) * width + qw - qkw. `rows` here counts the padded diff_dst's rows; the phase
// results have `out_rows` rows.
struct DwGatherPlanes {
  DwPlanes diff_dst;
  int64_t out_rows = 0, qh = 0, qw = 0;
};
inline DwGatherPlanes DwBackpropInputPlanes(const DwGeometry& g, int64_t block) {
  const int64_t eff_h = (g.kernel_h - 1) * g.dilation_h + 1, eff_w = (g.kernel_w - 1) * g.dilation_w + 1;
  DwGatherPlanes p;
  p.qh = (eff_h - 1) / g.stride_h;
  p.qw = (eff_w - 1) / g.stride_w;
  p.out_rows = (g.in_h + g.pad_top + g.stride_h - 1) / g.stride_h;
  const int64_t out_width = (g.in_w + g.pad_left + g.stride_w - 1) / g.stride_w;
  p.diff_dst.rows = p.out_rows + p.qh;
  p.diff_dst.width = std::max(out_width, g.out_w) + p.qw;
  p.diff_dst.slack = block + p.qw + 1;
  return p;
}

// Backprop-filter's NCHW partial sums per tap: flat index u goes to partial u % (kDwFilterAccs * lanes).
constexpr int64_t kDwFilterAccs = 4;

// The scratch an NCHW kernel call needs, in floats: a list of taps (6 floats each), then its planes, each part
// 64-byte aligned when the scratch is. `lanes` is the kernels' vector length.
enum class DwPass { kForward, kBackpropInput, kBackpropFilter };
struct DwScratch {
  int64_t list_floats = 0, planes_floats = 0, out_floats = 0;
  int64_t floats() const { return list_floats + planes_floats + out_floats; }
};
inline DwScratch DwNchwScratch(const DwGeometry& g, DwPass pass, int64_t lanes) {
  auto round16 = [](int64_t floats) { return (floats + 15) / 16 * 16; };
  const int64_t block = 4 * lanes, taps = g.kernel_h * g.kernel_w;
  DwScratch s;
  if (pass == DwPass::kBackpropInput) {
    const DwGatherPlanes p = DwBackpropInputPlanes(g, block);
    s.list_floats = round16(6 * taps * g.multiplier);
    s.planes_floats = round16(g.multiplier * p.diff_dst.floats());
    s.out_floats = round16((p.out_rows * p.diff_dst.width + block - 1) / block * block);
    return s;
  }
  const DwPlanes p = DwInputPhases(g, block);
  s.list_floats = pass == DwPass::kForward ? round16(6 * taps) : 0;
  s.planes_floats = round16(g.stride_h * g.stride_w * p.floats());
  s.out_floats = round16((g.out_h * p.width + block - 1) / block * block);
  return s;
}

// NHWC forward reads a band of zero-padded input, so that every output pixel has all its taps inside and the
// channels fill whole vectors: input rows from row0 * stride_h - pad_top, `rows` of them; columns from -pad_left,
// `width` of them, enough for the output row rounded up to whole windows of kDwWindow pixels; the tile's channels
// rounded up to `channels` (whole vectors). Element (r, q, c) at (r * width + q) * channels + c; then the tile's
// weights, padded alike: (j * taps + tap) * channels + c.
constexpr int64_t kDwWindow = 8;
struct DwBand {
  int64_t rows = 0, width = 0, channels = 0;
  int64_t band_floats() const { return rows * width * channels; }
};
inline DwBand DwForwardBand(const DwGeometry& g, int64_t tile_rows, int64_t tile_channels, int64_t lanes) {
  const int64_t eff_h = (g.kernel_h - 1) * g.dilation_h + 1, eff_w = (g.kernel_w - 1) * g.dilation_w + 1;
  const int64_t out_width = (g.out_w + kDwWindow - 1) / kDwWindow * kDwWindow;
  DwBand b;
  b.rows = (tile_rows - 1) * g.stride_h + eff_h;
  b.width = (out_width - 1) * g.stride_w + eff_w;
  b.channels = (tile_channels + lanes - 1) / lanes * lanes;
  return b;
}
// The scratch an NHWC forward call of up to `tile_rows` rows and `tile_channels` channels needs, in floats.
inline int64_t DwForwardNhwcScratch(const DwGeometry& g, int64_t tile_rows, int64_t tile_channels, int64_t lanes) {
  const DwBand b = DwForwardBand(g, tile_rows, tile_channels, lanes);
  return b.band_floats() + g.multiplier * g.kernel_h * g.kernel_w * b.channels;
}

// Forward: dst = sum over all taps (kh, then kw ascending) of src x weights, a tap in the padding adding a zero
// product (which changes no sum of finite weights), for the tile's rows and channels. Writes exactly those
// elements of dst. NHWC takes DwForwardNhwcScratch floats of `scratch`.
using DwForwardFn = void (*)(const DwGeometry& g, const DwTile& t, const float* src, const float* weights,
                             int64_t ldw, float* dst, float* scratch);
// Backprop-input: diff_src = sum over the (kh, kw) taps that reach each input pixel (kh, then kw ascending; for
// m > 1, j ascending within a tap) of diff_dst x weights; 0 where none does. Writes exactly the tile's elements.
using DwBackpropInputFn = void (*)(const DwGeometry& g, const DwTile& t, const float* diff_dst, const float* weights,
                                   int64_t ldw, float* diff_src);
// Backprop-filter: adds the tile's output rows' contributions to diff_weights (same layout as the weights): NHWC
// per (tap, channel) over the rows' pixels in row, then column order, into the value already there; NCHW as
// DwFilterOrder says.
using DwBackpropFilterFn = void (*)(const DwGeometry& g, const DwTile& t, const float* src, const float* diff_dst,
                                    int64_t ldw, float* diff_weights);

// NCHW: input channel c of one image and its m output planes, whole planes; `scratch` holds DwNchwScratch(g, pass,
// lanes).floats() floats, 64-byte aligned. Forward sums taps kh, then kw ascending; backprop-input sums, per
// input pixel, j ascending, then the taps that reach it kh, kw ascending (0 where none does); backprop-filter
// adds, per tap, the partials of kDwFilterAccs in order to the value in diff_weights.
using DwNchwFn = void (*)(const DwGeometry& g, int64_t c, const float* in, const float* weights, float* out,
                          float* scratch);
using DwNchwFilterFn = void (*)(const DwGeometry& g, int64_t c, const float* src, const float* diff_dst,
                                float* diff_weights, float* scratch);

}  // namespace kernels
}  // namespace colconv

#endif  // COLCONV_SRC_KERNELS_DEPTHWISE_H_
