// Forward: dst = im2col(src) x filter, tile by tile. Tasks are (image, group, pixel tile, output-channel block);
// each writes its own block of dst, accumulating the K slices of its tile in order.
#include "src/algorithms/im2col_gemm.h"
#include "src/algorithms/pixel_matrix.h"
#include "src/parallel.h"

namespace colconv {
namespace internal {
namespace {

class Im2colForward final : public Executable {
 public:
  Im2colForward(const Problem& p, WorkspaceLayout* layout) : t_(p.direction, p.geometry) {
    t_.filter.Book(layout);
    t_.BookColumns(layout);
    const Conv2dGeometry& g = p.geometry;
    set_tasks(TaskSpace({g.batch, g.groups, t_.pixel_tiles(), CeilDiv(g.out_channels_per_group(), t_.oc_block)}));
  }
  std::string Describe() const override { return t_.Describe(); }

  void Run(const RunContext& ctx, const Operands& io) const override {
    const Conv2dGeometry& g = t_.g;
    const float* weights = t_.filter.Prepare(ctx, io.weights);
    const int64_t P = t_.pixels, k_slices = CeilDiv(t_.filter.k(), t_.tile_k);
    ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
      const TaskSpace::Digits d = tasks().Decode(task);
      const int64_t n = d[0], group = d[1];
      const Range px = t_.PixelTile(d[2]), oc = BlockOf(d[3], t_.oc_block, g.out_channels_per_group());
      float* col = t_.Columns(ctx, worker);
      const gemm::Matrix dst = PixelMatrix(g.data_format, io.dst + n * P * g.out_channels, P, g.out_channels, px,
                                           group * g.out_channels_per_group() + oc.begin, oc.size());
      for (int64_t s = 0; s < k_slices; ++s) {
        const Range k = BlockOf(s, t_.tile_k, t_.filter.k());
        t_.Im2col(ctx, t_.Tile(group, px, k), io.src + n * g.in_channels * g.height.input * g.width.input, col);
        // dst[px, oc] (+)= col[px, k] * w[k, oc]
        ctx.gemm.Multiply(ColumnTile(g.data_format, static_cast<const float*>(col), px.size(), k.size()),
                          t_.filter.Of(weights, group).Block(k.begin, oc.begin, k.size(), oc.size()),
                          s == 0 ? 0.0f : 1.0f, dst);
      }
    });
  }

 private:
  Im2colTiling t_;
};

}  // namespace

std::unique_ptr<const Executable> MakeIm2colForward(const Problem& problem, WorkspaceLayout* layout) {
  return std::make_unique<Im2colForward>(problem, layout);
}

}  // namespace internal
}  // namespace colconv
