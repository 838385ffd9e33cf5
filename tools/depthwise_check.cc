#include "tools/depthwise_check.h"

#include <algorithm>
#include <functional>
#include <random>

#include "src/reference/depthwise.h"
#include "src/str_cat.h"
#include "tools/check_util.h"

namespace colconv {
namespace check {
namespace {

using kernels::DwGeometry;
using kernels::DwTile;

class DwChecker {
 public:
  DwChecker(const kernels::KernelTable& table, const DwCase& c, int index, std::vector<std::string>* failures)
      : table_(table), c_(c), index_(index), failures_(failures) {
    const DwGeometry& g = c.g;
    src_ = static_cast<size_t>(g.in_h * g.in_w * g.channels);
    dst_ = static_cast<size_t>(g.out_h * g.out_w * g.channels * g.multiplier);
    weights_ = static_cast<size_t>(g.kernel_h * g.kernel_w * g.channels * g.multiplier);
  }

  // Runs `kernel` and `reference` on the same inputs (check::CheckBitExact); `scratch` floats of scratch.
  void Check(const char* name, size_t in0, size_t in1, size_t out, bool accumulate, size_t scratch,
             const std::function<void(const float*, const float*, float*, float*)>& kernel,
             const std::function<void(const float*, const float*, float*)>& reference) {
    KernelCall call;
    call.what = StrCat(table_.target_name, " ", name, " ", c_.Describe());
    call.in0 = in0, call.in1 = in1, call.out = out, call.scratch = scratch, call.accumulate = accumulate;
    call.seed = static_cast<uint64_t>(index_);
    call.side = index_ % 2;
    CheckBitExact(call, kernel, reference, failures_);
  }

  void Run() {
    const DwGeometry& g = c_.g;
    const kernels::KernelTable& k = table_;
    const bool fused = k.fused;
    const int64_t ldw = g.channels, ch = c_.channel;
    const int64_t lanes = static_cast<int64_t>(k.lanes);
    using kernels::DwPass;
    auto scratch = [&](DwPass pass) { return static_cast<size_t>(kernels::DwNchwScratch(g, pass, lanes).floats()); };
    const size_t band = static_cast<size_t>(
        kernels::DwForwardNhwcScratch(g, c_.out_tile.row1 - c_.out_tile.row0, c_.out_tile.c1 - c_.out_tile.c0, lanes));
    Check("depthwise forward NHWC", src_, weights_, dst_, false, band,
          [&](const float* x, const float* w, float* y, float* s) { k.dw_forward_nhwc(g, c_.out_tile, x, w, ldw, y, s); },
          [&](const float* x, const float* w, float* y) { reference::DwForwardNhwc(g, c_.out_tile, x, w, ldw, y, fused); });
    Check("depthwise backprop-input NHWC", dst_, weights_, src_, false, 0,
          [&](const float* dy, const float* w, float* dx, float*) {
            k.dw_backprop_input_nhwc(g, c_.in_tile, dy, w, ldw, dx);
          },
          [&](const float* dy, const float* w, float* dx) {
            reference::DwBackpropInputNhwc(g, c_.in_tile, dy, w, ldw, dx, fused);
          });
    Check("depthwise backprop-filter NHWC", src_, dst_, weights_, true, 0,
          [&](const float* x, const float* dy, float* dw, float*) {
            k.dw_backprop_filter_nhwc(g, c_.out_tile, x, dy, ldw, dw);
          },
          [&](const float* x, const float* dy, float* dw) {
            reference::DwBackpropFilterNhwc(g, c_.out_tile, x, dy, ldw, dw, fused);
          });
    Check("depthwise forward NCHW", src_, weights_, dst_, false, scratch(DwPass::kForward),
          [&](const float* x, const float* w, float* y, float* s) { k.dw_forward_nchw(g, ch, x, w, y, s); },
          [&](const float* x, const float* w, float* y) { reference::DwForwardNchw(g, ch, x, w, y, fused); });
    Check("depthwise backprop-input NCHW", dst_, weights_, src_, false, scratch(DwPass::kBackpropInput),
          [&](const float* dy, const float* w, float* dx, float* s) { k.dw_backprop_input_nchw(g, ch, dy, w, dx, s); },
          [&](const float* dy, const float* w, float* dx) { reference::DwBackpropInputNchw(g, ch, dy, w, dx, fused); });
    Check("depthwise backprop-filter NCHW", src_, dst_, weights_, true, scratch(DwPass::kBackpropFilter),
          [&](const float* x, const float* dy, float* dw, float* s) { k.dw_backprop_filter_nchw(g, ch, x, dy, dw, s); },
          [&](const float* x, const float* dy, float* dw) {
            reference::DwBackpropFilterNchw(g, ch, x, dy, dw, fused, lanes);
          });
  }

 private:
  const kernels::KernelTable& table_;
  const DwCase& c_;
  int index_;
  std::vector<std::string>* failures_;
  size_t src_ = 0, dst_ = 0, weights_ = 0;
};

class DwGridBuilder {
 public:
  DwGridBuilder(size_t lanes, std::vector<DwCase>* out) : rng_(lanes * 104729 + 3), out_(out) {
    const int64_t n = static_cast<int64_t>(lanes);
    for (int64_t v : {int64_t{1}, n - 1, n, n + 1, 2 * n + 3, int64_t{9}}) {
      if (v >= 1 && std::find(widths_.begin(), widths_.end(), v) == widths_.end()) widths_.push_back(v);
    }
    for (int64_t v : {int64_t{1}, int64_t{2}, int64_t{3}, n - 1, n, n + 1, 2 * n + 3}) {
      if (v >= 1 && std::find(channels_.begin(), channels_.end(), v) == channels_.end()) channels_.push_back(v);
    }
  }
  int64_t Pick(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1)); }
  int64_t PickOf(const std::vector<int64_t>& v) { return v[static_cast<size_t>(Pick(0, static_cast<int64_t>(v.size()) - 1))]; }

  // One geometry; `same` gives TF SAME's pads (the odd pixel bottom/right), else random asymmetric ones raised until
  // an output exists. Tiles and the NCHW channel are drawn at random.
  void Add(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t in_h, int64_t in_w,
           int64_t channels, int64_t multiplier, bool same, bool whole_tiles = false) {
    DwCase c;
    DwGeometry& g = c.g;
    g.channels = channels, g.multiplier = multiplier, g.in_h = in_h, g.in_w = in_w;
    g.kernel_h = kh, g.kernel_w = kw, g.stride_h = sh, g.stride_w = sw, g.dilation_h = dh, g.dilation_w = dw;
    const int64_t eff_h = (kh - 1) * dh + 1, eff_w = (kw - 1) * dw + 1;
    if (same) {
      g.out_h = (in_h + sh - 1) / sh, g.out_w = (in_w + sw - 1) / sw;
      const int64_t th = std::max<int64_t>(0, (g.out_h - 1) * sh + eff_h - in_h);
      const int64_t tw = std::max<int64_t>(0, (g.out_w - 1) * sw + eff_w - in_w);
      g.pad_top = th / 2, g.pad_left = tw / 2;
    } else {
      g.pad_top = Pick(0, std::min<int64_t>(3, eff_h - 1));
      g.pad_left = Pick(0, std::min<int64_t>(3, eff_w - 1));
      const int64_t pb = std::max(Pick(0, std::min<int64_t>(3, eff_h - 1)), eff_h - in_h - g.pad_top);
      const int64_t pr = std::max(Pick(0, std::min<int64_t>(3, eff_w - 1)), eff_w - in_w - g.pad_left);
      g.out_h = (in_h + g.pad_top + pb - eff_h) / sh + 1;
      g.out_w = (in_w + g.pad_left + pr - eff_w) / sw + 1;
    }
    const int64_t r0 = Pick(0, g.out_h - 1), i0 = Pick(0, in_h - 1), c0 = Pick(0, channels - 1);
    const bool whole = whole_tiles || Pick(0, 2) == 0;
    c.out_tile = whole ? DwTile{0, g.out_h, 0, channels} : DwTile{r0, Pick(r0 + 1, g.out_h), c0, Pick(c0 + 1, channels)};
    c.in_tile = whole ? DwTile{0, in_h, 0, channels} : DwTile{i0, Pick(i0 + 1, in_h), c0, Pick(c0 + 1, channels)};
    c.channel = Pick(0, channels - 1);
    out_->push_back(c);
  }
  void AddRandom(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw) {
    const int64_t multiplier = Pick(0, 4) == 0 ? Pick(2, 5) : 1;
    int64_t channels = PickOf(channels_);
    while (channels > 1 && channels * multiplier * kh * kw > 2000) channels = (channels + 1) / 2;
    const int64_t in_h = kh > 7 ? Pick(1, 40) : Pick(1, 9);
    const int64_t in_w = kw > 7 ? Pick(1, 40) : PickOf(widths_);
    Add(kh, kw, sh, sw, dh, dw, in_h, in_w, channels, multiplier, Pick(0, 2) == 0);
  }

 private:
  std::mt19937_64 rng_;
  std::vector<DwCase>* out_;
  std::vector<int64_t> widths_, channels_;
};

}  // namespace

std::string DwCase::Describe() const {
  return StrCat("C=", g.channels, " m=", g.multiplier, " input ", g.in_h, "x", g.in_w, " output ", g.out_h, "x",
                g.out_w, " kernel ", g.kernel_h, "x", g.kernel_w, " stride ", g.stride_h, "x", g.stride_w, " dilation ",
                g.dilation_h, "x", g.dilation_w, " pads top ", g.pad_top, " left ", g.pad_left, " out tile rows [",
                out_tile.row0, ",", out_tile.row1, ") channels [", out_tile.c0, ",", out_tile.c1, ") in tile rows [",
                in_tile.row0, ",", in_tile.row1, ") channels [", in_tile.c0, ",", in_tile.c1, ") NCHW channel ", channel);
}

std::vector<DwCase> DwGrid(size_t lanes, double scale) {
  std::vector<DwCase> cases;
  DwGridBuilder b(lanes, &cases);
  const int64_t kernels[][2] = {{1, 1}, {2, 2}, {3, 3}, {5, 5}, {7, 7}, {3, 1}, {1, 3}, {2, 5}, {31, 1}, {1, 31},
                                {3, 13}, {1, 15}};  // past the windows' widths: two-digit widths take the tap loop
  // Every kernel shape at every stride and dilation.
  for (const auto& k : kernels)
    for (int64_t s = 1; s <= 3; ++s)
      for (int64_t d = 1; d <= 2; ++d) b.AddRandom(k[0], k[1], s, s, d, d);
  // Mixed strides and dilations, every multiplier, every channel count around the vector length, 1x1 images.
  for (int64_t sh = 1; sh <= 3; ++sh)
    for (int64_t sw = 1; sw <= 3; ++sw) b.AddRandom(3, 3, sh, sw, b.Pick(1, 2), b.Pick(1, 2));
  for (int64_t m = 1; m <= 5; ++m) b.Add(3, 3, b.Pick(1, 2), b.Pick(1, 2), 1, 1, b.Pick(2, 9), b.Pick(2, 20), 3, m, true);
  for (int64_t c : {int64_t{1}, int64_t{2}, static_cast<int64_t>(lanes) - 1, static_cast<int64_t>(lanes),
                    static_cast<int64_t>(lanes) + 1, 2 * static_cast<int64_t>(lanes) + 3}) {
    if (c >= 1) b.Add(3, 3, 1, 1, 1, 1, b.Pick(3, 9), b.Pick(3, 20), c, 1, false);
  }
  // Forward's direct windows over whole channel vectors: rows narrower than a window (columns in the padding read
  // as zeros, pixels past the row's end dropped) and rows whose interior holds windows.
  for (int64_t k : {3, 5, 7})
    for (int64_t s = 1; s <= 2; ++s)
      for (int64_t d = 1; d <= (k == 3 ? 2 : 1); ++d)
        for (int64_t w : {5, 7, 14, 30}) {
          b.Add(k, k, s, s, d, d, b.Pick(1, 9), w, 2 * static_cast<int64_t>(lanes), 1, b.Pick(0, 1) == 0, true);
        }
  // Filters wider than the fixed windows, in chunks of taps: 1-D (Conformer's 1x31) and 2-D, narrow and wide rows.
  for (int64_t k : {8, 13, 31})
    for (int64_t w : {5, 20, 70}) {
      const int64_t channels = 2 * static_cast<int64_t>(lanes);
      b.Add(k == 13 ? 2 : 1, k, 1, 1, 1, 1, b.Pick(1, 4), w, channels, 1, b.Pick(0, 1) == 0, true);
    }
  // Backprop-input's listed taps (one output per channel): runs of 8, 4 and a last overlapping 4 pixels per
  // residue class at strides 1-3, and a 9x9 filter, whose 81 taps exceed the list (the tap loops then).
  for (int64_t s = 1; s <= 3; ++s) b.Add(3, 5, s, s, 1, 1, b.Pick(2, 6), 13 * s + b.Pick(0, 2), 3, 1, true);
  b.Add(9, 9, 1, 1, 1, 1, b.Pick(9, 12), 21, static_cast<int64_t>(lanes), 1, true);
  b.Add(3, 3, 1, 1, 1, 1, 1, 1, 5, 1, true);
  b.Add(1, 1, 1, 1, 1, 1, 1, 1, 7, 2, false);
  b.Add(3, 3, 2, 2, 1, 1, 1, 1, 4, 1, true);
  const int random_cases = std::max(20, static_cast<int>(250 * scale));
  for (int i = 0; i < random_cases; ++i) {
    b.AddRandom(b.Pick(1, 7), b.Pick(1, 7), b.Pick(1, 3), b.Pick(1, 3), b.Pick(1, 2), b.Pick(1, 2));
  }
  return cases;
}

void CheckDwCase(const kernels::KernelTable& table, const DwCase& c, int index, std::vector<std::string>* failures) {
  DwChecker(table, c, index, failures).Run();
}

}  // namespace check
}  // namespace colconv
