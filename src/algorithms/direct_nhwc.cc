// Direct NHWC convolution for thin GEMMs: grouped layers with few channels per group (ResNeXt, RegNet), few input
// channels (stems), depthwise layers with many outputs per channel. The kernels (src/kernels/direct*.h) keep a
// tile of pixels x output vectors in registers and broadcast each input value across it; backprop-input at
// stride 1 runs as the mirrored forward pass. Tasks are (image, row block, group) for the forward passes and
// groups for backprop-filter, which sums images, rows and columns in order.
#include <algorithm>
#include <vector>

#include "src/algorithms/common.h"
#include "src/algorithms/epilogue.h"
#include "src/algorithms/pixel_matrix.h"
#include "src/parallel.h"
#include "src/str_cat.h"

namespace colconv {
namespace internal {
namespace {

constexpr const char* kPackedWeights = "direct_weights";
constexpr const char* kBand = "direct_band";
// Forward tasks cover at least this many output pixels; backprop-filter's kernel calls sum this many rows each.
constexpr int64_t kTaskPixels = 512;
constexpr int64_t kFilterRows = 8;
// A kernel call's tiles share one band of at least this many input channels per pixel (direct.h says why).
constexpr int64_t kBandChannels = 64;

// Tiles (of DirectGroupsPerTile groups each) one kernel call covers, and how many calls cover them all.
struct TileChunks {
  int64_t per_call = 1, calls = 1, tiles = 1;
  TileChunks(const kernels::DirectGeometry& pass, int64_t groups, int64_t lanes) {
    const int64_t groups_per_tile = kernels::DirectGroupsPerTile(pass, lanes);
    tiles = groups / groups_per_tile;
    // A spread band's pixel is whole vectors already, each input value as one.
    if (kernels::DirectBroadcasts(pass, lanes)) per_call = std::min(tiles, CeilDiv(kBandChannels, pass.cpg));
    calls = CeilDiv(tiles, per_call);
  }
  // The tiles of call `call`: [first, first + count).
  int64_t first(int64_t call) const { return call * per_call; }
  int64_t count(int64_t call) const { return std::min(per_call, tiles - first(call)); }
};

kernels::DirectGeometry DirectGeometryOf(const Conv2dGeometry& g) {
  kernels::DirectGeometry d;
  d.in_channels = g.in_channels, d.out_channels = g.out_channels;
  d.cpg = g.in_channels_per_group(), d.opg = g.out_channels_per_group();
  d.in_h = g.height.input, d.in_w = g.width.input, d.out_h = g.height.output, d.out_w = g.width.output;
  d.kernel_h = g.height.filter, d.kernel_w = g.width.filter;
  d.stride_h = g.height.stride, d.stride_w = g.width.stride;
  d.dilation_h = g.height.dilation, d.dilation_w = g.width.dilation;
  d.pad_top = g.height.pad_before, d.pad_left = g.width.pad_before;
  return d;
}

// Backprop-input at stride 1 as a forward pass over diff_dst: roles of the channels swapped, filter reversed,
// pads mirrored (eff - 1 - pad).
kernels::DirectGeometry Mirrored(const kernels::DirectGeometry& g) {
  kernels::DirectGeometry m = g;
  m.in_channels = g.out_channels, m.out_channels = g.in_channels;
  m.cpg = g.opg, m.opg = g.cpg;
  m.in_h = g.out_h, m.in_w = g.out_w, m.out_h = g.in_h, m.out_w = g.in_w;
  m.pad_top = (g.kernel_h - 1) * g.dilation_h - g.pad_top;
  m.pad_left = (g.kernel_w - 1) * g.dilation_w - g.pad_left;
  return m;
}

// The filter as the kernels take it, per tile of groups W[(tap * cpg + ic) * ldw + j] (src/kernels/direct.h):
// a forward pass reads an HWIO filter where it is (ldw = output channels); an OIHW filter and the mirrored pass
// (whose "input" channels are the problem's outputs, its taps reversed) read a packed copy, one block of the
// pass's taps x input channels x the tile's outputs per tile.
class DirectWeights final : public WeightsPacking {
 public:
  DirectWeights(const Conv2dGeometry& g, const kernels::DirectGeometry& pass, int64_t groups_per_tile, bool mirrored)
      : WeightsPacking(kPackedWeights),
        hwio_(g.filter_format == FilterFormat::kHWIO),
        taps_(g.height.filter * g.width.filter),
        pass_cpg_(pass.cpg), pass_out_(pass.out_channels), width_(groups_per_tile * pass.opg),
        block_(taps_ * pass.cpg * width_),
        packed_(mirrored || !hwio_) {
    if (!packed_) return;
    // Filter element of the kernels' (tap, ic, o) in the pass = row(tap, ic) + column(o), row linear in tap and
    // ic: with the problem's cpg, opg, taps T and outputs O, OIHW o * cpg * T + ic * T + tap; mirrored (o the
    // problem's input channel, ic its output within the group, the tap reversed) HWIO
    // ((T-1-tap) * cpg + o % cpg) * O + o / cpg * opg + ic, OIHW (o / cpg * opg + ic) * cpg * T + o % cpg * T + T-1-tap.
    const int64_t cpg = g.in_channels_per_group(), opg = g.out_channels_per_group(), out = g.out_channels;
    if (!mirrored) {
      row_ = {1, taps_, 0};
    } else {
      row_ = hwio_ ? Linear{-cpg * out, 1, (taps_ - 1) * cpg * out} : Linear{-1, cpg * taps_, taps_ - 1};
    }
    column_.resize(static_cast<size_t>(pass_out_));
    for (int64_t o = 0; o < pass_out_; ++o) {
      column_[static_cast<size_t>(o)] = !mirrored ? o * cpg * taps_
                                                  : (hwio_ ? o % cpg * out + o / cpg * opg
                                                           : o / cpg * opg * cpg * taps_ + o % cpg * taps_);
    }
  }

  int64_t ldw() const { return packed_ ? width_ : pass_out_; }
  // From one tile's weights to the next's.
  int64_t step() const { return packed_ ? block_ : width_; }
  int64_t packed_floats() const override { return packed_ ? block_ * (pass_out_ / width_) : 0; }
  void Pack(int workers, const float* weights, float* packed) const override {
    ForEachElement(workers, [&](int64_t f, int64_t k) { packed[k] = weights[f]; });
  }
  float* Gradient(const RunContext& ctx, float* diff_weights) const {
    return packed_ ? ctx.workspace.Get<float>(buffer()) : diff_weights;
  }
  void FinishGradient(const RunContext& ctx, float* diff_weights) const {
    if (!packed_) return;
    const float* packed = ctx.workspace.Get<float>(buffer());
    ForEachElement(ctx.workers, [&](int64_t f, int64_t k) { diff_weights[f] = packed[k]; });
  }
  // The weights of tile `tile` (counted in tiles, not groups) of the kernels' layout `weights`.
  template <class T>
  T* Tile(T* weights, int64_t tile) const {
    return weights + tile * step();
  }
  // A tile's gradient, set to zero.
  void ZeroTile(float* tile) const {
    for (int64_t row = 0; row < taps_ * pass_cpg_; ++row) ZeroFloats(tile + row * ldw(), width_);
  }

 private:
  // Calls copy(filter index, packed index) for every element, one tile per task. Only OIHW filters and mirrored
  // HWIO ones are packed: the loops walk the filter's unit stride innermost (OIHW's taps, mirrored HWIO's input
  // channels of the pass), since the other order reads one float per cache line, lines that sit out_channels
  // floats apart and so share an L1 set (5x slower on ResNeXt's widest layer).
  template <class Copy>
  void ForEachElement(int workers, const Copy& copy) const {
    ForEachTask(workers, pass_out_ / width_, [&](int, int64_t tile) {
      for (int64_t j = 0; j < width_; ++j) {
        const int64_t column = column_[static_cast<size_t>(tile * width_ + j)], block = tile * block_ + j;
        auto one = [&](int64_t tap, int64_t ic) {
          copy(column + row_.tap * tap + row_.ic * ic + row_.offset, block + (tap * pass_cpg_ + ic) * width_);
        };
        if (hwio_) {
          for (int64_t tap = 0; tap < taps_; ++tap)
            for (int64_t ic = 0; ic < pass_cpg_; ++ic) one(tap, ic);
        } else {
          for (int64_t ic = 0; ic < pass_cpg_; ++ic)
            for (int64_t tap = 0; tap < taps_; ++tap) one(tap, ic);
        }
      }
    });
  }

  bool hwio_;
  int64_t taps_, pass_cpg_, pass_out_, width_, block_;
  bool packed_;
  struct Linear {
    int64_t tap, ic, offset;
  } row_{0, 0, 0};
  std::vector<int64_t> column_;
};

// Forward, and backprop-input as the mirrored forward pass: each task computes its rows of a chunk of tiles.
class DirectProduct final : public Executable {
 public:
  DirectProduct(const Problem& p, WorkspaceLayout* layout)
      : g_(p.geometry), forward_(p.direction == Direction::kForward),
        dg_(forward_ ? DirectGeometryOf(g_) : Mirrored(DirectGeometryOf(g_))),
        lanes_(static_cast<int64_t>(p.kernels.lanes)), groups_per_tile_(kernels::DirectGroupsPerTile(dg_, lanes_)),
        chunks_(dg_, g_.groups, lanes_), weights_(g_, dg_, groups_per_tile_, !forward_), epilogue_(p.post_ops) {
    weights_.Book(layout, p.prepacked_weights);
    rows_per_task_ = std::min(dg_.out_h, std::max<int64_t>(1, CeilDiv(kTaskPixels, std::max<int64_t>(1, dg_.out_w))));
    const int64_t band = kernels::DirectBandOf(dg_, rows_per_task_, chunks_.per_call, lanes_).floats();
    layout->BookPerWorker(kBand, static_cast<size_t>(band) * sizeof(float), 64, "one band of padded input rows");
    epilogue_.BookSaved(layout, rows_per_task_ * dg_.out_w * chunks_.per_call * groups_per_tile_ * dg_.opg);
    set_tasks(TaskSpace({g_.batch, CeilDiv(dg_.out_h, rows_per_task_), chunks_.calls}));
  }
  std::string Describe() const override {
    return StrCat("of ", rows_per_task_, " rows x ",
                  groups_per_tile_ == 1 ? "groups" : StrCat("vectors of ", groups_per_tile_, " groups"),
                  chunks_.per_call > 1 ? StrCat(", ", chunks_.per_call, " sharing a band") : "",
                  forward_ ? "" : ", as a forward pass with the filter reversed");
  }
  const WeightsPacking* weights_packing() const override { return &weights_; }
  bool fuses_post_ops() const override { return true; }

  void Run(const RunContext& ctx, const Operands& io) const override {
    const float* w = weights_.Prepare(ctx, io.weights);
    const float* in = forward_ ? io.src : io.diff_dst;
    float* out = forward_ ? io.dst : io.diff_src;
    const int64_t in_image = dg_.in_channels * dg_.in_h * dg_.in_w, out_image = dg_.out_channels * dg_.out_h * dg_.out_w;
    ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
      const TaskSpace::Digits d = tasks().Decode(task);
      const Range rows = BlockOf(d[1], rows_per_task_, dg_.out_h);
      const int64_t tile = chunks_.first(d[2]), tiles = chunks_.count(d[2]);
      const int64_t first_channel = tile * groups_per_tile_ * dg_.opg;
      const gemm::Matrix block = PixelMatrix(DataFormat::kNHWC, out + d[0] * out_image, dg_.out_h * dg_.out_w,
                                             dg_.out_channels, Range{rows.begin * dg_.out_w, rows.end * dg_.out_w},
                                             first_channel, tiles * groups_per_tile_ * dg_.opg);
      epilogue_.Around(ctx.workspace, worker, block, BlockBias(io.bias, first_channel), [&] {
        ctx.kernels.direct_forward_nhwc(dg_, {rows.begin, rows.end, tile * groups_per_tile_, tiles},
                                        in + d[0] * in_image, weights_.Tile(w, tile), weights_.ldw(), weights_.step(),
                                        out + d[0] * out_image, ctx.workspace.Get<float>(kBand, worker));
      });
    });
  }

 private:
  const Conv2dGeometry& g_;
  bool forward_;
  kernels::DirectGeometry dg_;
  int64_t lanes_, groups_per_tile_;
  TileChunks chunks_;
  DirectWeights weights_;
  Epilogue epilogue_;
  int64_t rows_per_task_ = 1;
};

// Backprop-filter: each task owns a chunk of tiles' weights and sums images, then rows, then columns.
class DirectFilter final : public Executable {
 public:
  DirectFilter(const Problem& p, WorkspaceLayout* layout)
      : g_(p.geometry), dg_(DirectGeometryOf(g_)), lanes_(static_cast<int64_t>(p.kernels.lanes)),
        groups_per_tile_(kernels::DirectGroupsPerTile(dg_, lanes_)), chunks_(dg_, g_.groups, lanes_),
        weights_(g_, dg_, groups_per_tile_, false) {
    weights_.Book(layout, false);
    const int64_t band = kernels::DirectBandOf(dg_, std::min(kFilterRows, dg_.out_h), chunks_.per_call, lanes_).floats();
    layout->BookPerWorker(kBand, static_cast<size_t>(band) * sizeof(float), 64, "one band of padded input rows");
    set_tasks(TaskSpace({chunks_.calls}));
  }
  std::string Describe() const override {
    return StrCat("of ", groups_per_tile_ == 1 ? "groups" : StrCat("vectors of ", groups_per_tile_, " groups"),
                  chunks_.per_call > 1 ? StrCat(", ", chunks_.per_call, " sharing a band") : "");
  }

  void Run(const RunContext& ctx, const Operands& io) const override {
    float* gradient = weights_.Gradient(ctx, io.diff_weights);
    const int64_t src_image = g_.in_channels * g_.height.input * g_.width.input;
    const int64_t dst_image = g_.out_channels * g_.height.output * g_.width.output;
    ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
      const int64_t tile = chunks_.first(task), tiles = chunks_.count(task);
      for (int64_t k = 0; k < tiles; ++k) weights_.ZeroTile(weights_.Tile(gradient, tile + k));
      for (int64_t n = 0; n < g_.batch; ++n) {
        for (int64_t r = 0; r < dg_.out_h; r += kFilterRows) {
          ctx.kernels.direct_backprop_filter_nhwc(
              dg_, {r, std::min(dg_.out_h, r + kFilterRows), tile * groups_per_tile_, tiles}, io.src + n * src_image,
              io.diff_dst + n * dst_image, weights_.ldw(), weights_.step(), weights_.Tile(gradient, tile),
              ctx.workspace.Get<float>(kBand, worker));
        }
      }
    });
    weights_.FinishGradient(ctx, io.diff_weights);
  }

 private:
  const Conv2dGeometry& g_;
  kernels::DirectGeometry dg_;
  int64_t lanes_, groups_per_tile_;
  TileChunks chunks_;
  DirectWeights weights_;
};

class DirectNhwc final : public Algorithm {
 public:
  const char* name() const override { return "direct_nhwc"; }
  std::string Declines(const Problem& p) const override {
    const std::string why = DeclinesForPaddedBand(p);
    if (!why.empty()) return why;
    const Conv2dGeometry& g = p.geometry;
    if (g.data_format != DataFormat::kNHWC) return "NCHW data (its kernels vectorize NHWC's output channels)";
    const int64_t lanes = static_cast<int64_t>(p.kernels.lanes);
    const int64_t cpg = g.in_channels_per_group(), opg = g.out_channels_per_group();
    const int64_t k = cpg * g.height.filter * g.width.filter;
    if (opg > 64 || (opg > 32 && k > 64)) {
      return StrCat("the GEMM is not thin: ", opg, " output channels per group, K = ", k);
    }
    const bool mirrored = p.direction == Direction::kBackpropInput;
    if (mirrored && (g.height.stride != 1 || g.width.stride != 1)) {
      return "backprop-input runs as the mirrored forward pass, which needs stride 1";
    }
    // The vectors run over a pass's output channels: the problem's, or for backprop-input (the mirrored pass)
    // its input channels.
    const kernels::DirectGeometry pass = mirrored ? Mirrored(DirectGeometryOf(g)) : DirectGeometryOf(g);
    if (!kernels::DirectBroadcasts(pass, lanes) && !kernels::DirectSpreads(pass, lanes)) {
      return StrCat("the pass's ", pass.opg, " output channels per group (", pass.cpg,
                    " input) neither fill whole vectors of ", lanes, " nor spread whole groups over them");
    }
    return "";
  }
  std::unique_ptr<const Executable> Plan(const Problem& p, WorkspaceLayout* layout) const override {
    if (p.direction == Direction::kBackpropFilter) return std::make_unique<DirectFilter>(p, layout);
    return std::make_unique<DirectProduct>(p, layout);
  }
};

}  // namespace

const Algorithm& DirectNhwcAlgorithm() {
  static const DirectNhwc algorithm;
  return algorithm;
}

}  // namespace internal
}  // namespace colconv
