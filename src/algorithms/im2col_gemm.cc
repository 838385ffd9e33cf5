#include "src/algorithms/im2col_gemm.h"

#include <algorithm>

#include "src/cpu_info.h"
#include "src/str_cat.h"
#include "src/threading.h"

namespace colconv {
namespace internal {
namespace {

constexpr const char* kColumns = "columns";
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
    : g(geometry), filter(g, direction, kernels.transpose), cols(ColGeometryOf(g)),
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
  tile_k = SliceSize(direction == Direction::kBackpropInput ? taps * channel_block : filter.k(), kMaxSliceK);
  tile_pixels = std::min(pixels, std::max(kMinTilePixels, tile_floats / tile_k));
  oc_block = std::max<int64_t>(1, OcBlock(g.out_channels_per_group(), g.groups * g.batch * pixel_tiles()));
}

kernels::ColTile Im2colTiling::Tile(int64_t group, Range px, Range k) const {
  const int64_t icg = g.in_channels_per_group();
  return {group * icg, icg, px.begin, px.end, k.begin, k.end, filter.k_order()};
}

void Im2colTiling::BookColumns(WorkspaceLayout* layout) const {
  layout->BookPerWorker(kColumns, static_cast<size_t>(tile_pixels * tile_k) * sizeof(float), 64,
                        StrCat("one column tile of ", tile_pixels, " pixels x ", tile_k, " K values"));
}

float* Im2colTiling::Columns(const RunContext& ctx, int worker) const { return ctx.workspace.Get<float>(kColumns, worker); }

void Im2colTiling::Im2col(const RunContext& ctx, const kernels::ColTile& t, const float* image, float* col) const {
  if (g.data_format == DataFormat::kNHWC) return ctx.kernels.im2col_nhwc(cols, t, image, col, t.k1 - t.k0);
  ctx.kernels.im2col_nchw(cols, t, image, col, t.p1 - t.p0);
}

void Im2colTiling::Col2im(const RunContext& ctx, const kernels::ColTile& t, const float* col, float* image) const {
  if (g.data_format == DataFormat::kNHWC) return ctx.kernels.col2im_nhwc(cols, t, col, t.k1 - t.k0, image);
  ctx.kernels.col2im_nchw(cols, t, col, t.p1 - t.p0, image);
}

std::string Im2colTiling::Describe() const { return StrCat("of ", tile_pixels, " px x ", tile_k, " k"); }

}  // namespace internal
}  // namespace colconv
