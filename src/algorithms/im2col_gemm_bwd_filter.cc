// Backprop-filter: diff_weights = sum over images of im2col(src)^T x diff_dst. The (image, pixel tile) units are
// summed in the fixed runs of GradientSums; tasks are (group, run, K slice), and every GEMM keeps the full size of
// the problem's own.
#include "src/algorithms/gradient_sums.h"
#include "src/algorithms/im2col_gemm.h"
#include "src/algorithms/pixel_matrix.h"

namespace colconv {
namespace internal {
namespace {

class Im2colBackpropFilter final : public Executable {
 public:
  Im2colBackpropFilter(const Problem& p, WorkspaceLayout* layout)
      : t_(p.direction, p.geometry, p.gemm, p.kernels), sums_(t_.filter, p.geometry.batch * t_.pixel_tiles()) {
    t_.BookColumns(layout);
    sums_.Book(layout, p.workspace_budget);
    set_tasks(sums_.Tasks(p.geometry.groups, t_.tile_k));
  }
  std::string Describe() const override { return t_.Describe() + sums_.Describe(); }

  void Run(const RunContext& ctx, const Operands& io) const override {
    const Conv2dGeometry& g = t_.g;
    const int64_t P = t_.pixels, tiles = t_.pixel_tiles(), ocg = g.out_channels_per_group();
    sums_.Sum(ctx, tasks(), t_.tile_k, io.diff_weights,
              [&](int worker, int64_t group, int64_t unit, Range k, float beta, const gemm::Matrix& dw) {
                const int64_t n = unit / tiles;
                const Range px = t_.PixelTile(unit % tiles);
                float* col = t_.Columns(ctx, worker);
                t_.Im2col(ctx, worker, t_.Tile(group, px, k), io.src + n * g.in_channels * g.height.input * g.width.input,
                          col);
                // dw[k, oc] (+)= col[px, k]^T * diff_dst[px, oc]
                ctx.gemm.Multiply(ColumnTile(g.data_format, static_cast<const float*>(col), px.size(), k.size()).Transpose(),
                                  PixelMatrix(g.data_format, io.diff_dst + n * P * g.out_channels, P, g.out_channels, px,
                                              group * ocg, ocg),
                                  beta, dw);
              });
  }

 private:
  Im2colTiling t_;
  GradientSums sums_;
};

}  // namespace

std::unique_ptr<const Executable> MakeIm2colBackpropFilter(const Problem& problem, WorkspaceLayout* layout) {
  return std::make_unique<Im2colBackpropFilter>(problem, layout);
}

}  // namespace internal
}  // namespace colconv
