#include "tools/direct_check.h"

#include <algorithm>
#include <random>

#include "src/reference/direct.h"
#include "src/str_cat.h"
#include "tools/check_util.h"

namespace colconv {
namespace check {
namespace {

using kernels::DirectGeometry;

class DirectGridBuilder {
 public:
  DirectGridBuilder(size_t lanes, std::vector<DirectCase>* out)
      : rng_(lanes * 15485863 + 11), lanes_(static_cast<int64_t>(lanes)), out_(out) {}
  int64_t Pick(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1)); }

  // `opg` output channels per group: whole vectors or halves (broadcast), or a fraction of one (spread); the groups
  // a spread tile covers come in whole vectors. With `reduce`, opg outputs per group (up to 4) and cpg vectors of
  // input channels (reduce mode, whose weights are a block per group).
  void Add(int64_t opg, int64_t cpg, int64_t kh, int64_t kw, int64_t s, int64_t d, int64_t out_w, bool same,
           bool reduce = false) {
    DirectCase c;
    DirectGeometry& g = c.g;
    g.opg = opg;
    g.cpg = reduce ? cpg * lanes_ : opg < lanes_ ? std::min(cpg, opg) : cpg;
    const int64_t per_tile = kernels::DirectGroupsPerTile(g, lanes_);
    const int64_t groups = per_tile * Pick(1, 3);
    g.in_channels = groups * g.cpg, g.out_channels = groups * g.opg;
    g.kernel_h = kh, g.kernel_w = kw, g.stride_h = g.stride_w = s, g.dilation_h = g.dilation_w = d;
    const int64_t eff_h = (kh - 1) * d + 1, eff_w = (kw - 1) * d + 1;
    g.out_h = Pick(1, 6), g.out_w = out_w;
    if (same) {  // TF SAME: the input the output needs at this stride, the odd pad pixel bottom/right
      g.in_h = g.out_h * s - Pick(0, s - 1), g.in_w = g.out_w * s - Pick(0, s - 1);
      g.pad_top = std::max<int64_t>(0, (g.out_h - 1) * s + eff_h - g.in_h) / 2;
      g.pad_left = std::max<int64_t>(0, (g.out_w - 1) * s + eff_w - g.in_w) / 2;
    } else {  // asymmetric: pads before of -2 to 3 (at most the filter; a phase of backprop-input can start inside
              // its input), the input whatever the output then covers
      g.pad_top = Pick(-2, std::min<int64_t>(3, eff_h - 1)), g.pad_left = Pick(-2, std::min<int64_t>(3, eff_w - 1));
      g.in_h = std::max<int64_t>(1, (g.out_h - 1) * s + eff_h - g.pad_top - Pick(0, std::min<int64_t>(3, eff_h - 1)));
      g.in_w = std::max<int64_t>(1, (g.out_w - 1) * s + eff_w - g.pad_left - Pick(0, std::min<int64_t>(3, eff_w - 1)));
    }
    // The result whole, or every second pixel of every second row (a phase of backprop-input at stride 2).
    const int64_t phase_stride = Pick(1, 2);
    g.out_pixel = g.out_channels * phase_stride, g.out_row = g.out_w * g.out_pixel * phase_stride;
    const int64_t r0 = Pick(0, g.out_h - 1), first = Pick(0, groups / per_tile - 1);
    c.tile = {r0, Pick(r0 + 1, g.out_h), per_tile * first, Pick(1, groups / per_tile - first)};
    // Tiles side by side in rows of ldw (HWIO's own layout), or one block after another (a packed copy).
    const int64_t width = per_tile * g.opg, rows = kh * kw * g.cpg, gap = Pick(0, 1) == 0 ? 0 : Pick(1, 5);
    if (kernels::DirectReduces(g, lanes_)) {  // not where `reduce` asked for a vector's worth of outputs
      c.ldw = 1, c.weights_step = rows * g.opg + gap;
    } else if (Pick(0, 1) == 0) {
      c.ldw = c.tile.tiles * width + gap, c.weights_step = width;
    } else {
      c.ldw = width + gap, c.weights_step = rows * c.ldw + Pick(0, 3);
    }
    out_->push_back(c);
  }

 private:
  std::mt19937_64 rng_;
  int64_t lanes_;
  std::vector<DirectCase>* out_;
};

}  // namespace

std::string DirectCase::Describe() const {
  return StrCat("groups of ", g.cpg, " -> ", g.opg, " channels, ", g.in_channels, " -> ", g.out_channels, " input ",
                g.in_h, "x", g.in_w, " output ", g.out_h, "x", g.out_w, " kernel ", g.kernel_h, "x", g.kernel_w,
                " stride ", g.stride_h, " dilation ", g.dilation_h, " pads top ", g.pad_top, " left ", g.pad_left,
                " result pixel stride ", g.out_pixel, " row stride ", g.out_row,
                " tile rows [", tile.row0, ",", tile.row1, ") from group ", tile.group, ", ", tile.tiles,
                " tiles, ldw ", ldw, " weights step ", weights_step);
}

std::vector<DirectCase> DirectGrid(size_t lanes, double scale) {
  std::vector<DirectCase> cases;
  DirectGridBuilder b(lanes, &cases);
  const bool many_lanes = lanes > 1;
  // Every register tile of output vectors, half vectors (targets of 16 lanes), spread over 2 and 4 groups, and
  // reduce mode over 1 to 4 outputs, at every tile-edge width.
  const int64_t n = static_cast<int64_t>(lanes);
  auto part = [&](int64_t k) { return std::max<int64_t>(1, n / k); };  // a spread group's outputs
  for (int64_t out_w : {1, 7, 8, 9, 14, 15, 16, 17, 21, 28, 33}) {
    for (int64_t vectors = 1; vectors <= 5; ++vectors) b.Add(vectors * n, b.Pick(1, 5), 3, 3, 1, 1, out_w, true);
    if (n >= 16) {
      for (int64_t halves : {1, 3, 5}) b.Add(halves * n / 2, b.Pick(1, 9), 3, 3, 1 + out_w % 2, 1, out_w, true);
    }
    // Groups of 16 input channels or more, whose rows' first and last tiles skip their edge pixels' padding
    // columns (a call of one tile, undilated, runs a filter row as one loop and skips none).
    b.Add(b.Pick(1, 4) * n, b.Pick(16, 40), 3, 3, b.Pick(1, 2), b.Pick(1, 2), out_w, b.Pick(0, 1) == 0);
    if (n >= 16) b.Add((2 * b.Pick(0, 2) + 1) * n / 2, b.Pick(16, 40), 3, 3, 1, 1, out_w, b.Pick(0, 1) == 0);
    // ... under TF SAME at unit stride, where tiles that cover a row exactly read src in place (16 lanes), and
    // under a 5x5 filter, whose second and last but one pixels reach the padding too (they may not).
    b.Add(b.Pick(1, 2) * n, b.Pick(16, 40), 3, 3, 1, 1, out_w, true);
    b.Add(b.Pick(1, 2) * n, b.Pick(16, 24), 5, 5, 1, 1, out_w, true);
    if (many_lanes) {
      for (int64_t spread : {2, 4}) b.Add(part(spread), b.Pick(1, 4), 3, 3, 1, 1, out_w, b.Pick(0, 1) == 0);
      for (int64_t outputs = 1; outputs <= 4; ++outputs) {
        b.Add(outputs, b.Pick(1, 2), 3, 3, 1, 1, out_w, true, true);
      }
    }
  }
  // Every kernel shape at every stride and dilation, in every mode.
  const int64_t kernel_shapes[][2] = {{1, 1}, {3, 3}, {5, 5}, {7, 7}, {1, 10}, {2, 3}};
  for (const auto& k : kernel_shapes)
    for (int64_t s = 1; s <= 3; ++s)
      for (int64_t d = 1; d <= 2; ++d) {
        b.Add(b.Pick(1, 3) * n, b.Pick(1, 4), k[0], k[1], s, d, b.Pick(1, 20), b.Pick(0, 1) == 0);
        if (many_lanes) b.Add(part(2), b.Pick(1, 8), k[0], k[1], s, d, b.Pick(1, 20), b.Pick(0, 1) == 0);
        if (many_lanes) b.Add(part(4), b.Pick(1, 8), k[0], k[1], s, d, b.Pick(1, 20), b.Pick(0, 1) == 0);
        if (many_lanes) b.Add(b.Pick(1, 4), b.Pick(1, 3), k[0], k[1], s, d, b.Pick(1, 20), b.Pick(0, 1) == 0, true);
      }
  // A stem's three input channels, the passes of a 1-channel image's backprop-input (64 input channels, one
  // output) and of a stem's at stride 2 (2x2 taps of 32 channels, three outputs), and random mixtures.
  b.Add(2 * n, 3, 3, 3, 2, 1, 12, true);
  if (many_lanes) b.Add(1, std::max<int64_t>(1, 64 / n), 3, 3, 1, 1, 33, true, true);
  if (many_lanes) b.Add(3, std::max<int64_t>(1, 32 / n), 2, 2, 1, 1, 112, false, true);
  // Backprop-filter's runs of pixels: rows wider than a run (in pieces), a 1-channel image's 17 vectors of outputs
  // (passes over as many vectors as the sums hold, then the rest), and 64 outputs of one channel (U-Net's).
  b.Add(2 * n, 3, 3, 3, 1, 1, 200, true);
  b.Add(17 * n, 1, 3, 3, 1, 1, 150, true);
  b.Add(std::max<int64_t>(1, 64 / n) * n, 1, 3, 3, 2, 1, 70, false);
  // Groups of many input channels, a K of hundreds (ResNet-50's 64-channel 3x3 layer, RegNet's 56-channel groups).
  b.Add(4 * n, 64, 3, 3, 1, 1, 14, true);
  if (n >= 16) b.Add(7 * n / 2, 56, 3, 3, 2, 1, 7, true);
  const int random_cases = std::max(10, static_cast<int>(120 * scale));
  for (int i = 0; i < random_cases; ++i) {
    const bool spread = many_lanes && b.Pick(0, 1) == 0;
    b.Add(spread ? part(2 * b.Pick(1, 2)) : b.Pick(1, 4) * n, b.Pick(1, 9), b.Pick(1, 5), b.Pick(1, 5), b.Pick(1, 3),
          b.Pick(1, 2), b.Pick(1, 40), b.Pick(0, 1) == 0);
  }
  return cases;
}

bool CheckDirectCase(const kernels::KernelTable& table, const DirectCase& c, int index,
                     std::vector<std::string>* failures) {
  const DirectGeometry& g = c.g;
  const int64_t lanes = static_cast<int64_t>(table.lanes);
  const int64_t tile_outputs = kernels::DirectGroupsPerTile(g, lanes) * g.opg;
  KernelCall call;
  call.seed = static_cast<uint64_t>(index);
  call.side = index % 2;
  const size_t src = static_cast<size_t>(g.in_h * g.in_w * g.in_channels);
  const size_t dst = static_cast<size_t>((g.out_h - 1) * g.out_row + (g.out_w - 1) * g.out_pixel + g.out_channels);
  // The tiles' weights: rows of ldw floats, the last tile's last row ending at its last output (the guard page
  // there), or in reduce mode a block per tile.
  const int64_t rows = g.kernel_h * g.kernel_w * g.cpg;
  const int64_t last_tile = kernels::DirectReduces(g, lanes) ? rows * g.opg : (rows - 1) * c.ldw + tile_outputs;
  const size_t weights = static_cast<size_t>((c.tile.tiles - 1) * c.weights_step + last_tile);
  call.scratch =
      static_cast<size_t>(kernels::DirectBandOf(g, c.tile.row1 - c.tile.row0, c.tile.tiles, lanes).floats());
  const bool fused = table.fused;
  // Every forward entry is checked against the one reference.
  const auto forward_reference = [&](const float* x, const float* w, float* y) {
    reference::DirectForwardNhwc(g, c.tile, x, w, c.ldw, c.weights_step, y, fused, lanes);
  };

  call.what = StrCat(table.target_name, " direct forward NHWC ", c.Describe());
  call.in0 = src, call.in1 = weights, call.out = dst, call.accumulate = false;
  CheckBitExact(
      call,
      [&](const float* x, const float* w, float* y, float* s) {
        table.direct_forward_nhwc(g, c.tile, x, w, c.ldw, c.weights_step, y, s);
      },
      forward_reference,
      failures);

  if (kernels::DirectReduces(g, lanes)) return false;  // forward only, and without a band (direct.h)
  // The same pass over a band it shares with a sibling pass of larger pads and a wider filter (a phase of a strided
  // backprop-input beside another): the pass reads its band inside the cover's, its rows the cover's width apart.
  DirectGeometry sibling = g;
  sibling.pad_top += 1 + index % 2, sibling.pad_left += 2, sibling.kernel_w += 1;
  const DirectGeometry passes[] = {g, sibling};
  const DirectGeometry cover = kernels::DirectBandCover(passes, 2);
  const kernels::DirectBand shared = kernels::DirectBandOf(cover, c.tile.row1 - c.tile.row0, c.tile.tiles, lanes);
  const kernels::DirectBand own = kernels::DirectBandOf(g, c.tile.row1 - c.tile.row0, c.tile.tiles, lanes);
  // Each entry over a built band: the plain one over the shared band, the one whose rows' edge tiles skip their
  // padding columns over its own band and the shared one (the same bits: the weights are finite).
  struct OnBand {
    const char* what;
    kernels::DirectForwardOnBandFn forward;
    bool on_shared;
  };
  const OnBand entries[] = {{"on a shared band", table.direct_forward_on_band_nhwc, true},
                            {"skipping edges", table.direct_forward_skipping_edges_nhwc, false},
                            {"skipping edges on a shared band", table.direct_forward_skipping_edges_nhwc, true}};
  for (const OnBand& e : entries) {
    const kernels::DirectBand& band = e.on_shared ? shared : own;
    call.what = StrCat(table.target_name, " direct forward NHWC ", e.what, " ", c.Describe());
    call.scratch = static_cast<size_t>(band.floats());
    CheckBitExact(
        call,
        [&](const float* x, const float* w, float* y, float* s) {
          table.direct_band_nhwc(e.on_shared ? cover : g, c.tile, x, s);
          const float* at = e.on_shared ? s + kernels::DirectBandOffset(cover, shared, g) : s;
          e.forward(g, c.tile, band, at, w, c.ldw, c.weights_step, y);
        },
        forward_reference,
        failures);
  }

  // The skipping entry over src itself, where its tiles read nothing in the padding: a read before or past src
  // meets the guard page.
  const bool in_place = kernels::DirectReadsInPlace(g, lanes);
  if (in_place) {
    call.what = StrCat(table.target_name, " direct forward NHWC skipping edges on src in place ", c.Describe());
    call.scratch = 0;
    CheckBitExact(
        call,
        [&](const float* x, const float* w, float* y, float*) {
          table.direct_forward_skipping_edges_nhwc(g, c.tile, kernels::DirectInPlaceBand(g),
                                                   x + c.tile.group * g.cpg, w, c.ldw, c.weights_step, y);
        },
        forward_reference,
        failures);
  }

  // Backprop-filter continuing from random sums, and from zero over NaN (which must not be read).
  call.scratch = static_cast<size_t>(
      kernels::DirectFilterScratchFloats(g, c.tile.row1 - c.tile.row0, c.tile.tiles, lanes));
  for (const bool accumulate : {true, false}) {
    call.what = StrCat(table.target_name, " direct backprop-filter NHWC ", accumulate ? "accumulating " : "",
                       c.Describe());
    call.in0 = src, call.in1 = dst, call.out = weights, call.accumulate = accumulate;
    CheckBitExact(
        call,
        [&](const float* x, const float* dy, float* dw, float* s) {
          table.direct_backprop_filter_nhwc(g, c.tile, x, dy, c.ldw, c.weights_step, dw, accumulate, s);
        },
        [&](const float* x, const float* dy, float* dw) {
          reference::DirectBackpropFilterNhwc(g, c.tile, x, dy, c.ldw, c.weights_step, dw, accumulate, fused, lanes);
        },
        failures);
  }
  return in_place;
}

}  // namespace check
}  // namespace colconv
