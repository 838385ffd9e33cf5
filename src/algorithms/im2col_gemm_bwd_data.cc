// Backprop-input: diff_src = col2im(diff_dst x filter^T), tile by tile. Tasks are (image, group, channel block):
// each owns its part of diff_src, so col2im needs no atomics, and adds its tiles in a fixed order (pixel tiles,
// then K slices), so the sums are the same for any number of threads.
#include "src/algorithms/im2col_gemm.h"
#include "src/algorithms/pixel_matrix.h"
#include "src/parallel.h"

namespace colconv {
namespace internal {
namespace {

// Zeroes channels [c0, c1) of one image before col2im adds into them.
void ZeroChannels(const Conv2dGeometry& g, float* image, int64_t c0, int64_t c1) {
  const int64_t plane = g.height.input * g.width.input;
  if (g.data_format == DataFormat::kNCHW) return ZeroFloats(image + c0 * plane, (c1 - c0) * plane);
  if (c0 == 0 && c1 == g.in_channels) return ZeroFloats(image, plane * g.in_channels);
  for (int64_t p = 0; p < plane; ++p) ZeroFloats(image + p * g.in_channels + c0, c1 - c0);
}

class Im2colBackpropInput final : public Executable {
 public:
  Im2colBackpropInput(const Problem& p, WorkspaceLayout* layout)
      : t_(p.direction, p.geometry, p.gemm, p.kernels), accumulate_(p.post_ops.accumulate) {
    t_.filter.Book(layout, p.prepacked_weights);
    t_.BookColumns(layout);
    const Conv2dGeometry& g = p.geometry;
    set_tasks(TaskSpace({g.batch, g.groups, CeilDiv(g.in_channels_per_group(), t_.channel_block)}));
  }
  std::string Describe() const override { return t_.Describe(); }
  const WeightsPacking* weights_packing() const override { return &t_.filter; }
  // Accumulate mode: col2im adds to diff_src as it holds, instead of to zeros.
  bool fuses_post_ops() const override { return true; }

  void Run(const RunContext& ctx, const Operands& io) const override {
    const Conv2dGeometry& g = t_.g;
    const float* weights = t_.filter.Prepare(ctx, io.weights);
    const int64_t icg = g.in_channels_per_group(), ocg = g.out_channels_per_group();
    const int64_t P = t_.pixels, taps = g.height.filter * g.width.filter;
    const bool blocked = tasks().radix(2) > 1;
    ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
      const TaskSpace::Digits d = tasks().Decode(task);
      const int64_t n = d[0], group = d[1];
      float* diff_src = io.diff_src + n * g.in_channels * g.height.input * g.width.input;
      // A channel block is a contiguous K range only in channel-major order (NCHW with OIHW); elsewhere one block.
      const Range channels = BlockOf(d[2], t_.channel_block, icg);
      const Range block_k = blocked ? Range{channels.begin * taps, channels.end * taps} : Range{0, t_.filter.k()};
      if (!accumulate_) ZeroChannels(g, diff_src, group * icg + channels.begin, group * icg + channels.end);
      float* diff_col = t_.Columns(ctx, worker);
      for (int64_t pt = 0; pt < t_.pixel_tiles(); ++pt) {
        const Range px = t_.PixelTile(pt);
        const gemm::ConstMatrix diff_dst = PixelMatrix(g.data_format, io.diff_dst + n * P * g.out_channels, P,
                                                       g.out_channels, px, group * ocg, ocg);
        for (int64_t k0 = block_k.begin; k0 < block_k.end; k0 += t_.tile_k) {
          const Range k{k0, std::min(block_k.end, k0 + t_.tile_k)};
          // diff_col[px, k] = diff_dst[px, oc] * w[k, oc]^T
          ctx.gemm.Multiply(diff_dst, t_.filter.Of(weights, group).Block(k.begin, 0, k.size(), ocg).Transpose(), 0.0f,
                            ColumnTile(g.data_format, diff_col, px.size(), k.size()));
          t_.Col2im(ctx, t_.Tile(group, px, k), diff_col, diff_src);
        }
      }
    });
  }

 private:
  Im2colTiling t_;
  bool accumulate_;
};

}  // namespace

std::unique_ptr<const Executable> MakeIm2colBackpropInput(const Problem& problem, WorkspaceLayout* layout) {
  return std::make_unique<Im2colBackpropInput>(problem, layout);
}

}  // namespace internal
}  // namespace colconv
