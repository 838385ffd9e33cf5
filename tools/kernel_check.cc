#include "tools/kernel_check.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include "hwy/targets.h"
#include "src/reference/columns.h"
#include "src/reference/transpose.h"
#include "src/str_cat.h"
#include "tools/check_util.h"
#include "tools/depthwise_check.h"
#include "tools/direct_check.h"
#include "tools/guarded_pages.h"

namespace colconv {
namespace check {
namespace {

// Rows, row width and element count of the tile in its buffer; the last row has no ld padding after it, so the
// guard page sits right behind the tile's last entry.
struct ColExtent {
  int64_t rows, width;
  size_t count;
};
ColExtent ExtentOf(const KernelCase& c) {
  const int64_t rows = c.nhwc ? c.t.p1 - c.t.p0 : c.t.k1 - c.t.k0;
  const int64_t width = c.nhwc ? c.t.k1 - c.t.k0 : c.t.p1 - c.t.p0;
  const size_t count = rows > 0 && width > 0 ? static_cast<size_t>((rows - 1) * c.ld + width) : 0;
  return {rows, width, count};
}

// The first entry where `got` and `want` differ in any bit, as text; "" when identical.
std::string FirstDifference(const KernelCase& c, const float* got, const float* want, size_t n, bool columns) {
  const int64_t first = FirstDifferentBits(got, want, n);
  if (first >= 0) {
    const size_t i = static_cast<size_t>(first);
    if (!columns) return StrCat("diff_src[", i, "] = ", got[i], ", reference ", want[i]);
    const int64_t row = static_cast<int64_t>(i) / c.ld, at = static_cast<int64_t>(i) % c.ld;
    const bool in_tile = at < ExtentOf(c).width;
    const int64_t p = c.nhwc ? c.t.p0 + row : c.t.p0 + at;
    const int64_t k = c.nhwc ? c.t.k0 + at : c.t.k0 + row;
    if (!in_tile) return StrCat("wrote ", got[i], " between rows (row ", row, ", offset ", at, ")");
    return StrCat("entry (p=", p, ", k=", k, ") = ", got[i], ", reference ", want[i]);
  }
  return "";
}

void SetRunning(const kernels::KernelTable& table, const char* kernel, const KernelCase& c) {
  check::SetRunning(StrCat(table.target_name, " ", kernel, " ", c.Describe()));
}

class GridBuilder {
 public:
  GridBuilder(size_t lanes, std::vector<KernelCase>* out) : rng_(lanes * 7919 + 17), n_(static_cast<int64_t>(lanes)), out_(out) {
    for (int64_t w : {int64_t{1}, n_ - 1, n_, n_ + 1, 2 * n_ + 3}) {
      if (w >= 1 && std::find(widths_.begin(), widths_.end(), w) == widths_.end()) widths_.push_back(w);
    }
    for (int64_t c : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{5}, n_, n_ + 1, int64_t{17}, 2 * n_ + 3}) {
      if (std::find(channels_.begin(), channels_.end(), c) == channels_.end()) channels_.push_back(c);
    }
  }

  int64_t Pick(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1)); }
  int64_t Width() { return widths_[static_cast<size_t>(Pick(0, static_cast<int64_t>(widths_.size()) - 1))]; }

  // One convolution geometry, added in both layouts (NCHW in both K orders) with a full tile and a partial one.
  // Pads are raised where needed so that at least one output exists; channel counts shrink to keep K small.
  void Add(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t in_h, int64_t in_w,
           bool slice) {
    KernelCase c;
    kernels::ColGeometry& g = c.g;
    g.kernel_h = kh, g.kernel_w = kw, g.stride_h = sh, g.stride_w = sw, g.dilation_h = dh, g.dilation_w = dw;
    g.in_h = in_h, g.in_w = in_w;
    const int64_t eff_h = (kh - 1) * dh + 1, eff_w = (kw - 1) * dw + 1;
    g.pad_top = Pick(0, 3);
    g.pad_left = Pick(0, 3);
    const int64_t pad_bottom = std::max(Pick(0, 3), eff_h - in_h - g.pad_top);
    const int64_t pad_right = std::max(Pick(0, 3), eff_w - in_w - g.pad_left);
    c.out_h = (in_h + g.pad_top + pad_bottom - eff_h) / sh + 1;
    g.out_w = (in_w + g.pad_left + pad_right - eff_w) / sw + 1;
    g.channels = channels_[static_cast<size_t>(Pick(0, static_cast<int64_t>(channels_.size()) - 1))];
    while (g.channels > 1 && kh * kw * g.channels > 400) g.channels = (g.channels + 1) / 2;
    c.t.channels = g.channels;
    if (slice && g.channels > 1) {
      c.t.channel0 = Pick(0, g.channels - 1);
      c.t.channels = Pick(1, g.channels - c.t.channel0);
    }
    const int64_t pixels = c.out_h * g.out_w, k_total = kh * kw * c.t.channels;
    for (int layout = 0; layout < 3; ++layout) {
      c.nhwc = layout == 0;
      c.t.order = layout == 2 ? kernels::KOrder::kChannelMajor : kernels::KOrder::kTapMajor;
      c.t.p0 = 0, c.t.p1 = pixels, c.t.k0 = 0, c.t.k1 = k_total;
      c.ld = (c.nhwc ? k_total : pixels) + Pick(0, 1) * Pick(1, 3);
      out_->push_back(c);
      c.t.p0 = Pick(0, pixels - 1), c.t.p1 = Pick(c.t.p0 + 1, pixels);
      c.t.k0 = Pick(0, k_total - 1), c.t.k1 = Pick(c.t.k0 + 1, k_total);
      c.ld = (c.nhwc ? c.t.k1 - c.t.k0 : c.t.p1 - c.t.p0) + Pick(0, 5);
      out_->push_back(c);
    }
  }

  const std::vector<int64_t>& widths() const { return widths_; }

 private:
  std::mt19937_64 rng_;
  int64_t n_;
  std::vector<KernelCase>* out_;
  std::vector<int64_t> widths_, channels_;
};

}  // namespace

std::string KernelCase::Describe() const {
  return StrCat(nhwc ? "NHWC" : "NCHW", " C=", g.channels, " slice [", t.channel0, ",", t.channel0 + t.channels,
                ") input ", g.in_h, "x", g.in_w, " output ", out_h, "x", g.out_w, " kernel ", g.kernel_h, "x",
                g.kernel_w, " stride ", g.stride_h, "x", g.stride_w, " dilation ", g.dilation_h, "x", g.dilation_w,
                " pads top ", g.pad_top, " left ", g.pad_left, " tile p[", t.p0, ",", t.p1, ") k[", t.k0, ",", t.k1,
                ") ", t.order == kernels::KOrder::kTapMajor ? "tap-major" : "channel-major", " ld ", ld);
}

std::vector<KernelCase> KernelGrid(size_t lanes, double scale) {
  std::vector<KernelCase> cases;
  GridBuilder b(lanes, &cases);
  // Every kernel size, rectangular ones included, at stride 1 and at a random stride.
  for (int64_t kh = 1; kh <= 7; ++kh) {
    for (int64_t kw = 1; kw <= 7; ++kw) {
      b.Add(kh, kw, 1, 1, 1, 1, b.Pick(1, 9), b.Width(), false);
      b.Add(kh, kw, b.Pick(1, 4), b.Pick(1, 4), 1, 1, b.Pick(1, 9), b.Width(), b.Pick(0, 3) == 0);
    }
  }
  // Every stride and dilation pair.
  for (int64_t sh = 1; sh <= 4; ++sh)
    for (int64_t sw = 1; sw <= 4; ++sw)
      for (int64_t dh = 1; dh <= 3; ++dh)
        for (int64_t dw = 1; dw <= 3; ++dw) b.Add(3, b.Pick(2, 3), sh, sw, dh, dw, b.Pick(1, 9), b.Width(), false);
  // Every width around the vector length, at every stride.
  const std::vector<int64_t> widths = b.widths();
  for (int64_t w : widths)
    for (int64_t s = 1; s <= 4; ++s)
      for (int64_t k : {1, 3, 5}) b.Add(k, k, s, s, 1, 1, b.Pick(1, 6), w, false);
  // Channel slices (groups and channel blocks) and random mixtures.
  const int random_cases = std::max(10, static_cast<int>(150 * scale));
  for (int i = 0; i < random_cases; ++i) {
    b.Add(b.Pick(1, 7), b.Pick(1, 7), b.Pick(1, 4), b.Pick(1, 4), b.Pick(1, 3), b.Pick(1, 3), b.Pick(1, 12), b.Width(),
          b.Pick(0, 1) == 1);
  }
  return cases;
}

void CheckCase(const kernels::KernelTable& table, const KernelCase& c, int index, std::vector<std::string>* failures) {
  const GuardedPages::Side side = index % 2 == 0 ? GuardedPages::Side::kAfterEnd : GuardedPages::Side::kBeforeStart;
  const size_t image = static_cast<size_t>(c.g.in_h * c.g.in_w * c.g.channels);
  const ColExtent extent = ExtentOf(c);
  const char* layout = c.nhwc ? "NHWC" : "NCHW";
  {  // im2col: into NaN-filled columns, from a read-only image.
    GuardedPages src(image, side), col(extent.count, side);
    FillRandom(src.data(), image, static_cast<uint64_t>(index) * 2 + 1);
    src.SetReadOnly(true);
    std::fill(col.data(), col.data() + extent.count, Sentinel());
    std::vector<float> want(extent.count, Sentinel());
    reference::Im2col(c.g, c.t, c.nhwc, src.data(), want.data(), c.ld);
    SetRunning(table, "im2col", c);
    (c.nhwc ? table.im2col_nhwc : table.im2col_nchw)(c.g, c.t, src.data(), col.data(), c.ld);
    const std::string diff = FirstDifference(c, col.data(), want.data(), extent.count, true);
    if (!diff.empty()) failures->push_back(StrCat(table.target_name, " im2col ", layout, " ", c.Describe(), ": ", diff));
  }
  {  // col2im: from read-only columns, added into a random diff_src.
    GuardedPages col(extent.count, side), diff_src(image, side);
    FillRandom(col.data(), extent.count, static_cast<uint64_t>(index) * 2 + 2);
    col.SetReadOnly(true);
    FillRandom(diff_src.data(), image, static_cast<uint64_t>(index) * 2 + 3);
    std::vector<float> want(diff_src.data(), diff_src.data() + image);
    reference::Col2im(c.g, c.t, c.nhwc, col.data(), c.ld, want.data());
    SetRunning(table, "col2im", c);
    (c.nhwc ? table.col2im_nhwc : table.col2im_nchw)(c.g, c.t, col.data(), c.ld, diff_src.data());
    const std::string diff = FirstDifference(c, diff_src.data(), want.data(), image, false);
    if (!diff.empty()) failures->push_back(StrCat(table.target_name, " col2im ", layout, " ", c.Describe(), ": ", diff));
  }
}

namespace {

// The transpose on sizes around the 4x4 blocks and the strips of columns, with rows packed or strided on either
// side (the planes and pixels of an image, a block of a filter), each with its guard page after the buffers' ends
// and before their starts; the gaps between strided rows must stay untouched. Output strides of 256 and 1024 floats
// make strips of 16 and 8 columns (TransposeStrip) from 33 and 9 columns on: 70 columns cross several, and 19 cross
// one of 8. Returns the number of shapes.
int CheckTransposes(const kernels::KernelTable& table, std::vector<std::string>* failures) {
  int shapes = 0;
  const auto check = [&](int64_t rows, int64_t columns, int64_t from_stride, int64_t to_stride) {
    const size_t in = static_cast<size_t>((rows - 1) * from_stride + columns);
    const size_t out = static_cast<size_t>((columns - 1) * to_stride + rows);
    const std::string shape = StrCat(" rows ", rows, " (stride ", from_stride, ") columns ", columns, " (stride ",
                                     to_stride, ")");
    for (int side = 0; side < 2; ++side) {
      const uint64_t seed = static_cast<uint64_t>(shapes * 2 + side);
      CheckBitExact({StrCat(table.target_name, " transpose", shape), in, 1, out, 0, false, seed, side},
                    [&](const float* from, const float*, float* to, float*) {
                      table.transpose(from, from_stride, rows, columns, to, to_stride);
                    },
                    [&](const float* from, const float*, float* to) {
                      reference::Transpose(from, from_stride, rows, columns, to, to_stride);
                    },
                    failures);
    }
    ++shapes;
  };
  for (int64_t rows : {1, 3, 4, 7, 64, 67, 130}) {
    for (int64_t columns : {1, 2, 4, 5, 16, 19}) {
      for (int gaps = 0; gaps < 2; ++gaps) check(rows, columns, columns + gaps * 3, rows + gaps * 5);
    }
  }
  for (int64_t rows : {5, 130}) {
    for (int64_t columns : {19, 70}) {
      for (int64_t to_stride : {256, 1024}) check(rows, columns, columns, to_stride);
    }
  }
  return shapes;
}

}  // namespace

std::vector<TargetReport> CheckTargets(const std::string& only, double scale) {
  const FaultReport faults;
  std::vector<TargetReport> reports;
  for (int64_t target : kernels::RunnableTargets()) {
    if (!only.empty() && only != kernels::TargetName(target)) continue;
    hwy::SetSupportedTargetsForTest(target);
    const kernels::KernelTable table = kernels::ChooseKernels();
    TargetReport report;
    report.target = kernels::TargetName(target);
    report.lanes = table.lanes;
    if (table.target != target) {
      report.failures.push_back(StrCat("asked for ", report.target, ", dispatch chose ", table.target_name));
    } else {
      const std::vector<KernelCase> grid = KernelGrid(table.lanes, scale);
      for (size_t i = 0; i < grid.size(); ++i) CheckCase(table, grid[i], static_cast<int>(i), &report.failures);
      report.cases = static_cast<int>(grid.size());
      const std::vector<DwCase> dw_grid = DwGrid(table.lanes, scale);
      for (size_t i = 0; i < dw_grid.size(); ++i) CheckDwCase(table, dw_grid[i], static_cast<int>(i), &report.failures);
      report.dw_cases = static_cast<int>(dw_grid.size());
      const std::vector<DirectCase> direct_grid = DirectGrid(table.lanes, scale);
      for (size_t i = 0; i < direct_grid.size(); ++i) {
        report.direct_in_place += CheckDirectCase(table, direct_grid[i], static_cast<int>(i), &report.failures);
      }
      report.direct_cases = static_cast<int>(direct_grid.size());
      // Targets of 16 lanes read src in place where they can (kernels::DirectReadsInPlace): the grid must have such
      // cases, or that path goes unchecked.
      if (table.lanes >= 16 && report.direct_in_place == 0) {
        report.failures.push_back(StrCat(table.target_name, ": no direct NHWC case read src in place"));
      }
      report.transpose_cases = CheckTransposes(table, &report.failures);
    }
    reports.push_back(report);
  }
  hwy::SetSupportedTargetsForTest(0);
  return reports;
}

}  // namespace check
}  // namespace colconv
