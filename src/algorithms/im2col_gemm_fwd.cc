// Forward: dst = im2col(src) x filter, tile by tile. Tasks are (image, group, pixel tile, output-channel block);
// each writes its own block of dst, accumulating the K slices of its tile in order. The column tiles are made per
// task in a per-worker buffer, or, when the output channels are split, once for all blocks in a shared one.
#include "src/algorithms/epilogue.h"
#include "src/algorithms/im2col_gemm.h"
#include "src/algorithms/pixel_matrix.h"
#include "src/checked_math.h"
#include "src/cpu_info.h"
#include "src/parallel.h"

namespace colconv {
namespace internal {
namespace {

constexpr const char* kSharedColumns = "shared_columns";

class Im2colForward final : public Executable {
 public:
  Im2colForward(const Problem& p, WorkspaceLayout* layout)
      : t_(p.direction, p.geometry, p.gemm, p.kernels), epilogue_(p.post_ops) {
    const Conv2dGeometry& g = p.geometry;
    const int64_t oc_blocks = CeilDiv(g.out_channels_per_group(), t_.oc_block);
    const int64_t units = g.batch * g.groups * t_.pixel_tiles();
    k_slices_ = CeilDiv(t_.filter.k(), t_.tile_k);
    slot_ = t_.tile_pixels * t_.tile_k;
    // Output-channel blocks (a small batch with few pixel tiles) would each repeat their tile's im2col: the columns
    // are made once, into a shared buffer, where it stays within two L2s (measured: the repeats cost 5 to 9% on
    // ResNet-50's 7x7 layers at one thread).
    // A huge batch's product may not fit int64; such a buffer would not be shared anyway.
    int64_t shared_floats = 0;
    shared_ = oc_blocks > 1 && CheckedProduct({units, k_slices_, slot_}, &shared_floats) &&
              static_cast<size_t>(shared_floats) <= 2 * L2CacheBytes() / sizeof(float);
    const size_t shared_bytes = static_cast<size_t>(shared_floats) * sizeof(float);
    t_.filter.Book(layout, p.prepacked_weights);
    if (shared_) {
      layout->Book(kSharedColumns, shared_bytes, 64, "bytes of column tiles shared by the output-channel blocks");
    } else {
      t_.BookColumns(layout);
    }
    set_tasks(TaskSpace({g.batch, g.groups, t_.pixel_tiles(), oc_blocks}));
  }
  std::string Describe() const override { return t_.Describe() + (shared_ ? ", columns shared" : ""); }
  const WeightsPacking* weights_packing() const override { return &t_.filter; }
  bool fuses_post_ops() const override { return true; }

  void Run(const RunContext& ctx, const Operands& io) const override {
    const Conv2dGeometry& g = t_.g;
    const float* weights = t_.filter.Prepare(ctx, io.weights);
    const int64_t P = t_.pixels, oc_blocks = tasks().radix(3);
    const int64_t image = g.in_channels * g.height.input * g.width.input;
    // The (image, group, pixel tile) of a task, and K slice s of its columns.
    auto tile = [&](int64_t unit, int64_t s, int64_t* n, int64_t* group, Range* px, Range* k) {
      const TaskSpace::Digits d = tasks().Decode(unit * oc_blocks);
      *n = d[0], *group = d[1], *px = t_.PixelTile(d[2]), *k = BlockOf(s, t_.tile_k, t_.filter.k());
    };
    float* shared = shared_ ? ctx.workspace.Get<float>(kSharedColumns) : nullptr;
    if (shared_) {
      ForEachTask(ctx.workers, tasks().size() / oc_blocks * k_slices_, [&](int worker, int64_t i) {
        int64_t n, group;
        Range px, k;
        tile(i / k_slices_, i % k_slices_, &n, &group, &px, &k);
        t_.Im2col(ctx, worker, t_.Tile(group, px, k), io.src + n * image, shared + i * slot_);
      });
    }
    ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
      const int64_t unit = task / oc_blocks;
      const Range oc = BlockOf(task % oc_blocks, t_.oc_block, g.out_channels_per_group());
      gemm::Matrix dst;
      int64_t first_channel = 0;
      for (int64_t s = 0; s < k_slices_; ++s) {
        int64_t n, group;
        Range px, k;
        tile(unit, s, &n, &group, &px, &k);
        float* col = shared_ ? shared + (unit * k_slices_ + s) * slot_ : t_.Columns(ctx, worker);
        if (!shared_) t_.Im2col(ctx, worker, t_.Tile(group, px, k), io.src + n * image, col);
        first_channel = group * g.out_channels_per_group() + oc.begin;
        dst = PixelMatrix(g.data_format, io.dst + n * P * g.out_channels, P, g.out_channels, px, first_channel,
                          oc.size());
        // dst[px, oc] (+)= col[px, k] * w[k, oc]
        ctx.gemm.Multiply(ColumnTile(g.data_format, static_cast<const float*>(col), px.size(), k.size()),
                          t_.filter.Of(weights, group).Block(k.begin, oc.begin, k.size(), oc.size()),
                          s == 0 ? epilogue_.beta() : 1.0f, dst);
      }
      epilogue_.Apply(dst, BlockBias(io.bias, first_channel), nullptr);
    });
  }

 private:
  Im2colTiling t_;
  Epilogue epilogue_;
  int64_t k_slices_, slot_;
  bool shared_;
};

}  // namespace

std::unique_ptr<const Executable> MakeIm2colForward(const Problem& problem, WorkspaceLayout* layout) {
  return std::make_unique<Im2colForward>(problem, layout);
}

}  // namespace internal
}  // namespace colconv
