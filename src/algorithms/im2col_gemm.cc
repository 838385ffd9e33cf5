#include "src/algorithms/im2col_gemm.h"

#include <algorithm>

#include "src/cpu_info.h"
#include "src/str_cat.h"
#include "src/threading.h"

namespace colconv {
namespace internal {
namespace {

constexpr const char* kColumns = "columns";
constexpr const char* kTapMajorRows = "tap_major_rows";
// Channel-major NHWC columns are built this many pixel rows at a time.
constexpr int64_t kTapMajorRowBlock = 8;
// K slices longer than this gain nothing in the GEMM and only shrink the pixel tiles.
constexpr int64_t kMaxSliceK = 1024;
// Pixel tiles at least this long, so that the filter, which the GEMM repacks per tile, is repacked rarely.
constexpr int64_t kMinTilePixels = 256;
// Output-channel blocks (which repeat a tile's im2col) never go below this many channels.
constexpr int64_t kMinOcBlock = 128;

int64_t RoundUp(int64_t v, int64_t m) { return CeilDiv(v, m) * m; }

// Equal slices of at most `most` (multiples of 16 where that still fits).
int64_t SliceSize(int64_t total, int64_t most) {
  const int64_t slices = CeilDiv(total, std::max<int64_t>(1, most));
  return std::min(total, RoundUp(CeilDiv(total, slices), 16));
}

// The columns' K order. NHWC backprop-filter with a larger OIHW filter writes the gradient in OIHW's order
// (output channels as rows) either from tap-major columns, then reordering the whole gradient, or from
// channel-major columns, each pixel row built tap-major and transposed: the latter moves batch x pixels rows
// where the former moves the output channels' rows, so it runs where those are fewer (ResNet-50's 7x7 layers).
kernels::KOrder ColumnsOrder(Direction direction, const Conv2dGeometry& g) {
  const bool reordered_gradient = direction == Direction::kBackpropFilter &&
                                  FilterMatrix::CopiesOcMajor(g, direction, FilterMatrix::KOrderOf(g));
  if (reordered_gradient && g.batch * g.height.output * g.width.output < g.out_channels_per_group()) {
    return kernels::KOrder::kChannelMajor;
  }
  return FilterMatrix::KOrderOf(g);
}

// Splits the output channels when the other dimensions give too few tasks. (OpenBLAS's bits depend on the M and
// N of each call, so this follows the shape alone, never the thread count.)
int64_t OcBlock(int64_t ocg, int64_t other_tasks) {
  if (other_tasks >= kMinTasks || ocg < 2 * kMinOcBlock) return ocg;
  const int64_t blocks = std::min({int64_t{4}, CeilDiv(kMinTasks, other_tasks), ocg / kMinOcBlock});
  return RoundUp(CeilDiv(ocg, blocks), 16);
}

class Im2colGemm final : public Algorithm {
 public:
  const char* name() const override { return "im2col_gemm"; }
  std::string Declines(const Problem& p) const override { return DeclinesForGemm(p); }
  std::unique_ptr<const Executable> Plan(const Problem& p, WorkspaceLayout* layout) const override {
    switch (p.direction) {
      case Direction::kForward:
        return MakeIm2colForward(p, layout);
      case Direction::kBackpropInput:
        return MakeIm2colBackpropInput(p, layout);
      case Direction::kBackpropFilter:
        break;
    }
    return MakeIm2colBackpropFilter(p, layout);
  }
};

}  // namespace

const Algorithm& Im2colGemmAlgorithm() {
  static const Im2colGemm algorithm;
  return algorithm;
}

kernels::ColGeometry ColGeometryOf(const Conv2dGeometry& g) {
  kernels::ColGeometry c;
  c.channels = g.in_channels;
  c.in_h = g.height.input;
  c.in_w = g.width.input;
  c.out_w = g.width.output;
  c.kernel_h = g.height.filter;
  c.kernel_w = g.width.filter;
  c.stride_h = g.height.stride;
  c.stride_w = g.width.stride;
  c.dilation_h = g.height.dilation;
  c.dilation_w = g.width.dilation;
  c.pad_top = g.height.pad_before;
  c.pad_left = g.width.pad_before;
  return c;
}

Im2colTiling::Im2colTiling(Direction direction, const Conv2dGeometry& geometry, const gemm::Backend& gemm,
                           const kernels::KernelTable& kernels)
    : g(geometry), filter(g, direction, kernels.transpose, ColumnsOrder(direction, g)), cols(ColGeometryOf(g)),
      pixels(g.height.output * g.width.output) {
  const int64_t icg = g.in_channels_per_group(), taps = g.height.filter * g.width.filter;
  // The share of L2 the GEMM backend leaves to a column tile.
  const int64_t tile_floats =
      std::max<int64_t>(16384, static_cast<int64_t>(gemm.column_tile_bytes(L2CacheBytes()) / sizeof(float)));
  channel_block = icg;
  if (direction == Direction::kBackpropInput && g.batch * g.groups < kMinTasks &&
      filter.k_order() == kernels::KOrder::kChannelMajor && icg >= 32) {
    // Channel blocks are contiguous K ranges in channel-major order: more tasks, each with its own diff_src.
    channel_block = std::max<int64_t>(16, CeilDiv(icg, CeilDiv(kMinTasks, g.batch * g.groups)));
  }
  if (nhwc_channel_major()) {
    // K slices of whole channels, which the tap-major rows they come from hold whole.
    tile_k = taps * SliceSize(icg, std::max<int64_t>(1, kMaxSliceK / taps));
  } else {
    tile_k = SliceSize(direction == Direction::kBackpropInput ? taps * channel_block : filter.k(), kMaxSliceK);
  }
  tile_pixels = std::min(pixels, std::max(kMinTilePixels, tile_floats / tile_k));
  oc_block = std::max<int64_t>(1, OcBlock(g.out_channels_per_group(), g.groups * g.batch * pixel_tiles()));
}

kernels::ColTile Im2colTiling::Tile(int64_t group, Range px, Range k) const {
  const int64_t icg = g.in_channels_per_group();
  return {group * icg, icg, px.begin, px.end, k.begin, k.end, filter.k_order()};
}

bool Im2colTiling::nhwc_channel_major() const {
  return g.data_format == DataFormat::kNHWC && filter.k_order() == kernels::KOrder::kChannelMajor;
}

void Im2colTiling::BookColumns(WorkspaceLayout* layout) const {
  layout->BookPerWorker(kColumns, static_cast<size_t>(tile_pixels * tile_k) * sizeof(float), 64,
                        StrCat("one column tile of ", tile_pixels, " pixels x ", tile_k, " K values"));
  if (nhwc_channel_major()) {
    const int64_t rows = std::min(kTapMajorRowBlock, tile_pixels);
    layout->BookPerWorker(kTapMajorRows, static_cast<size_t>(rows * tile_k) * sizeof(float), 64,
                          StrCat(rows, " tap-major column rows"));
  }
}

float* Im2colTiling::Columns(const RunContext& ctx, int worker) const { return ctx.workspace.Get<float>(kColumns, worker); }

void Im2colTiling::Im2col(const RunContext& ctx, int worker, const kernels::ColTile& t, const float* image,
                          float* col) const {
  const int64_t ld = t.k1 - t.k0;
  if (g.data_format == DataFormat::kNCHW) return ctx.kernels.im2col_nchw(cols, t, image, col, t.p1 - t.p0);
  if (t.order == kernels::KOrder::kTapMajor) return ctx.kernels.im2col_nhwc(cols, t, image, col, ld);
  // Channel-major pixel rows: a block of rows tap-major over the slice's whole channels, then each row's
  // taps x channels transposed into channels x taps.
  const int64_t taps = cols.kernel_h * cols.kernel_w, channels = ld / taps;
  float* rows = ctx.workspace.Get<float>(kTapMajorRows, worker);
  for (int64_t p = t.p0; p < t.p1; p += kTapMajorRowBlock) {
    const kernels::ColTile block = {t.channel0 + t.k0 / taps, channels, p, std::min(t.p1, p + kTapMajorRowBlock), 0,
                                    ld, kernels::KOrder::kTapMajor};
    ctx.kernels.im2col_nhwc(cols, block, image, rows, ld);
    for (int64_t r = 0; r < block.p1 - block.p0; ++r)
      ctx.kernels.transpose(rows + r * ld, channels, taps, channels, col + (p - t.p0 + r) * ld, taps);
  }
}

void Im2colTiling::Col2im(const RunContext& ctx, const kernels::ColTile& t, const float* col, float* image) const {
  if (g.data_format == DataFormat::kNHWC) return ctx.kernels.col2im_nhwc(cols, t, col, t.k1 - t.k0, image);
  ctx.kernels.col2im_nchw(cols, t, col, t.p1 - t.p0, image);
}

std::string Im2colTiling::Describe() const {
  return StrCat("of ", tile_pixels, " px x ", tile_k, " k", nhwc_channel_major() ? " (channel-major rows)" : "");
}

}  // namespace internal
}  // namespace colconv
