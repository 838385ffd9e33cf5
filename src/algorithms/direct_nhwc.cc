// Direct NHWC convolution for thin GEMMs: grouped layers with few channels per group (ResNeXt, RegNet), few input
// channels (stems), depthwise layers with many outputs per channel. The kernels (src/kernels/direct*.h) keep a
// tile of pixels x output vectors in registers and broadcast each input value across it; backprop-input runs as
// forward passes over diff_dst, one per phase of the stride (the filter mirrored at stride 1). Tasks are (image,
// row block, chunk of groups) for the forward passes and chunks of groups for backprop-filter, which sums images,
// rows and columns in order.
#include <algorithm>
#include <numeric>
#include <string>
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
  d.out_pixel = g.out_channels, d.out_row = g.width.output * g.out_channels;
  d.cpg = g.in_channels_per_group(), d.opg = g.out_channels_per_group();
  d.in_h = g.height.input, d.in_w = g.width.input, d.out_h = g.height.output, d.out_w = g.width.output;
  d.kernel_h = g.height.filter, d.kernel_w = g.width.filter;
  d.stride_h = g.height.stride, d.stride_w = g.width.stride;
  d.dilation_h = g.height.dilation, d.dilation_w = g.width.dilation;
  d.pad_top = g.height.pad_before, d.pad_left = g.width.pad_before;
  return d;
}

// One spatial axis of a phase of backprop-input: the diff_src positions phase + stride * i receive only the taps
// first_tap + tap_step * m, each from diff_dst position c + i - m * dilation / gcd(stride, dilation): a stride-1
// correlation over diff_dst with those taps reversed, whose pad is (taps - 1) * pass dilation - c. At stride 1
// the one phase is the whole filter mirrored (pad (kernel - 1) * dilation - pad_before).
struct PhaseAxis {
  int64_t first_tap = 0, tap_step = 1, taps = 0;  // the problem's filter taps the phase uses
  int64_t dilation = 1, pad = 0, outputs = 0;     // the pass's
};
PhaseAxis PhaseOf(int64_t phase, const SpatialDim& dim) {
  PhaseAxis a;
  const int64_t common = std::gcd(dim.stride, dim.dilation);
  a.tap_step = dim.stride / common, a.dilation = dim.dilation / common;
  a.outputs = phase < dim.input ? CeilDiv(dim.input - phase, dim.stride) : 0;
  // (phase + pad - tap * dilation) mod stride repeats every tap_step taps: the first one that is 0, if any.
  const int64_t candidates = std::min(dim.filter, a.tap_step);
  for (a.first_tap = 0; a.first_tap < candidates; ++a.first_tap) {
    const int64_t remainder = (phase + dim.pad_before - a.first_tap * dim.dilation) % dim.stride;
    if (remainder == 0) break;
  }
  if (a.first_tap == candidates) return a;  // no tap reaches this phase
  a.taps = CeilDiv(dim.filter - a.first_tap, a.tap_step);
  const int64_t c = (phase + dim.pad_before - a.first_tap * dim.dilation) / dim.stride;  // exact
  a.pad = (a.taps - 1) * a.dilation - c;
  return a;
}

// A forward pass of the kernels: the problem's forward pass, or one phase of backprop-input over diff_dst (roles
// of the channels swapped, the phase's taps reversed) writing every stride-th pixel of every stride-th row.
struct Pass {
  kernels::DirectGeometry g;
  int64_t dst_offset = 0;            // floats from an image's result to the pass's first pixel
  std::vector<int64_t> filter_taps;  // the problem's flat filter tap (kh * kernel_w + kw) under each of the pass's
};

// The passes of a forward or backprop-input problem; empty, with `why`, when a phase of diff_src has pixels but no
// tap reaches them (a stride beyond the filter's reach), which the kernels cannot zero.
std::vector<Pass> PassesOf(const Conv2dGeometry& g, bool forward, std::string* why) {
  const kernels::DirectGeometry problem = DirectGeometryOf(g);
  std::vector<Pass> passes;
  if (forward) {
    Pass p{problem, 0, {}};
    for (int64_t tap = 0; tap < g.height.filter * g.width.filter; ++tap) p.filter_taps.push_back(tap);
    passes.push_back(std::move(p));
    return passes;
  }
  for (int64_t ph = 0; ph < g.height.stride && ph < g.height.input; ++ph) {
    for (int64_t pw = 0; pw < g.width.stride && pw < g.width.input; ++pw) {
      const PhaseAxis h = PhaseOf(ph, g.height), w = PhaseOf(pw, g.width);
      if (h.taps == 0 || w.taps == 0) {
        *why = StrCat("no filter tap reaches the diff_src pixels of phase (", ph, ", ", pw, ") of the stride");
        return {};
      }
      Pass p;
      kernels::DirectGeometry& m = p.g;
      m = problem;
      m.in_channels = problem.out_channels, m.out_channels = problem.in_channels;
      m.cpg = problem.opg, m.opg = problem.cpg;
      m.in_h = problem.out_h, m.in_w = problem.out_w, m.out_h = h.outputs, m.out_w = w.outputs;
      m.kernel_h = h.taps, m.kernel_w = w.taps, m.stride_h = m.stride_w = 1;
      m.dilation_h = h.dilation, m.dilation_w = w.dilation, m.pad_top = h.pad, m.pad_left = w.pad;
      m.out_pixel = g.in_channels * g.width.stride, m.out_row = g.width.input * g.in_channels * g.height.stride;
      p.dst_offset = (ph * g.width.input + pw) * g.in_channels;
      for (int64_t a = 0; a < h.taps; ++a) {
        for (int64_t b = 0; b < w.taps; ++b) {
          const int64_t kh = h.first_tap + h.tap_step * (h.taps - 1 - a);
          const int64_t kw = w.first_tap + w.tap_step * (w.taps - 1 - b);
          p.filter_taps.push_back(kh * g.width.filter + kw);
        }
      }
      passes.push_back(std::move(p));
    }
  }
  return passes;
}

// The filter as the kernels take it, per pass and tile of groups W[(tap * cpg + ic) * ldw + j]
// (src/kernels/direct.h): a forward pass reads an HWIO filter where it is (ldw = output channels); an OIHW filter
// and the passes of backprop-input (whose "input" channels are the problem's outputs, their taps reversed) read a
// packed copy: per pass, one block of the pass's taps x input channels x the tile's outputs per tile.
class DirectWeights final : public WeightsPacking {
 public:
  DirectWeights(const Conv2dGeometry& g, const std::vector<Pass>& passes, int64_t groups_per_tile, bool mirrored)
      : WeightsPacking(kPackedWeights),
        hwio_(g.filter_format == FilterFormat::kHWIO),
        pass_cpg_(passes[0].g.cpg), pass_out_(passes[0].g.out_channels), width_(groups_per_tile * passes[0].g.opg),
        rows_(static_cast<int64_t>(passes[0].filter_taps.size()) * pass_cpg_), packed_(mirrored || !hwio_) {
    if (!packed_) return;
    // Filter element of the kernels' (tap, ic, o) in a pass = filter tap f (filter_taps[tap]) x tap_scale_ +
    // ic x ic_scale_ + column(o): with the problem's cpg, opg, taps T and outputs O, OIHW o * cpg * T + ic * T + f;
    // mirrored (o the problem's input channel, ic its output within the group) HWIO (f * cpg + o % cpg) * O +
    // o / cpg * opg + ic, OIHW (o / cpg * opg + ic) * cpg * T + o % cpg * T + f.
    const int64_t cpg = g.in_channels_per_group(), opg = g.out_channels_per_group(), out = g.out_channels;
    const int64_t taps = g.height.filter * g.width.filter;
    if (!mirrored) {
      tap_scale_ = 1, ic_scale_ = taps;
    } else {
      tap_scale_ = hwio_ ? cpg * out : 1, ic_scale_ = hwio_ ? 1 : cpg * taps;
    }
    column_.resize(static_cast<size_t>(pass_out_));
    for (int64_t o = 0; o < pass_out_; ++o) {
      column_[static_cast<size_t>(o)] = !mirrored ? o * cpg * taps
                                                  : (hwio_ ? o % cpg * out + o / cpg * opg
                                                           : o / cpg * opg * cpg * taps + o % cpg * taps);
    }
    int64_t offset = 0;
    for (const Pass& p : passes) {
      filter_taps_.push_back(p.filter_taps);
      block_.push_back(static_cast<int64_t>(p.filter_taps.size()) * pass_cpg_ * width_);
      offset_.push_back(offset);
      offset += block_.back() * tiles();
    }
    packed_floats_ = offset;
  }

  int64_t ldw() const { return packed_ ? width_ : pass_out_; }
  // From one tile's weights to the next's in pass `pass`.
  int64_t step(size_t pass) const { return packed_ ? block_[pass] : width_; }
  int64_t packed_floats() const override { return packed_ ? packed_floats_ : 0; }
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
  // The weights of tile `tile` (counted in tiles, not groups) of pass `pass` in the kernels' layout `weights`.
  template <class T>
  T* Tile(T* weights, size_t pass, int64_t tile) const {
    return weights + (packed_ ? offset_[pass] : 0) + tile * step(pass);
  }
  // A tile's gradient (backprop-filter has the one forward pass), set to zero.
  void ZeroTile(float* tile) const {
    for (int64_t row = 0; row < rows_; ++row) ZeroFloats(tile + row * ldw(), width_);
  }

 private:
  int64_t tiles() const { return pass_out_ / width_; }
  // Calls copy(filter index, packed index) for every element, one (pass, tile) per task. The loops walk the
  // filter's unit stride innermost (OIHW's taps, mirrored HWIO's input channels of the pass), since the other
  // order reads one float per cache line, lines that sit out_channels floats apart and so share an L1 set (5x
  // slower on ResNeXt's widest layer).
  template <class Copy>
  void ForEachElement(int workers, const Copy& copy) const {
    const int64_t tiles_per_pass = tiles();
    ForEachTask(workers, static_cast<int64_t>(block_.size()) * tiles_per_pass, [&](int, int64_t task) {
      const size_t pass = static_cast<size_t>(task / tiles_per_pass);
      const int64_t tile = task % tiles_per_pass;
      const std::vector<int64_t>& taps = filter_taps_[pass];
      const int64_t pass_taps = static_cast<int64_t>(taps.size());
      for (int64_t j = 0; j < width_; ++j) {
        const int64_t column = column_[static_cast<size_t>(tile * width_ + j)];
        const int64_t block = offset_[pass] + tile * block_[pass] + j;
        auto one = [&](int64_t tap, int64_t ic) {
          copy(column + taps[static_cast<size_t>(tap)] * tap_scale_ + ic * ic_scale_,
               block + (tap * pass_cpg_ + ic) * width_);
        };
        if (ic_scale_ == 1) {
          for (int64_t tap = 0; tap < pass_taps; ++tap)
            for (int64_t ic = 0; ic < pass_cpg_; ++ic) one(tap, ic);
        } else {
          for (int64_t ic = 0; ic < pass_cpg_; ++ic)
            for (int64_t tap = 0; tap < pass_taps; ++tap) one(tap, ic);
        }
      }
    });
  }

  bool hwio_;
  int64_t pass_cpg_, pass_out_, width_, rows_;  // rows_: the first pass's taps x input channels
  bool packed_;
  int64_t tap_scale_ = 0, ic_scale_ = 0, packed_floats_ = 0;
  std::vector<std::vector<int64_t>> filter_taps_;
  std::vector<int64_t> block_, offset_, column_;
};
// Forward, and backprop-input as forward passes over the phases of the stride: each task computes its pass rows
// of a chunk of tiles, in every pass, which together make whole rows of the result.
class DirectProduct final : public Executable {
 public:
  DirectProduct(const Problem& p, std::vector<Pass> passes, WorkspaceLayout* layout)
      : g_(p.geometry), forward_(p.direction == Direction::kForward), passes_(std::move(passes)),
        lanes_(static_cast<int64_t>(p.kernels.lanes)),
        groups_per_tile_(kernels::DirectGroupsPerTile(passes_[0].g, lanes_)),
        chunks_(passes_[0].g, g_.groups, lanes_), weights_(g_, passes_, groups_per_tile_, !forward_),
        epilogue_(p.post_ops) {
    weights_.Book(layout, p.prepacked_weights);
    // A pass row makes phase_rows_ rows of the result, each result_w_ pixels wide.
    phase_rows_ = forward_ ? 1 : g_.height.stride;
    result_h_ = forward_ ? g_.height.output : g_.height.input;
    result_w_ = forward_ ? g_.width.output : g_.width.input;
    int64_t pass_rows = 0;
    for (const Pass& pass : passes_) pass_rows = std::max(pass_rows, pass.g.out_h);
    const int64_t task_rows = CeilDiv(kTaskPixels, std::max<int64_t>(1, result_w_ * phase_rows_));
    rows_per_task_ = std::min(pass_rows, std::max<int64_t>(1, task_rows));
    int64_t band = 0;
    for (const Pass& pass : passes_) {
      band = std::max(band, kernels::DirectBandOf(pass.g, rows_per_task_, chunks_.per_call, lanes_).floats());
    }
    layout->BookPerWorker(kBand, static_cast<size_t>(band) * sizeof(float), 64, "one band of padded input rows");
    outputs_per_task_ = chunks_.per_call * groups_per_tile_ * passes_[0].g.opg;
    epilogue_.BookSaved(layout, rows_per_task_ * phase_rows_ * result_w_ * outputs_per_task_);
    set_tasks(TaskSpace({g_.batch, CeilDiv(pass_rows, rows_per_task_), chunks_.calls}));
  }
  std::string Describe() const override {
    return StrCat("of ", rows_per_task_, " rows x ",
                  groups_per_tile_ == 1 ? "groups" : StrCat("vectors of ", groups_per_tile_, " groups"),
                  chunks_.per_call > 1 ? StrCat(", ", chunks_.per_call, " sharing a band") : "",
                  forward_ ? ""
                  : passes_.size() == 1 ? ", as a forward pass with the filter reversed"
                                        : StrCat(", as ", passes_.size(), " forward passes over the stride's phases, "
                                                 "their taps reversed"));
  }
  const WeightsPacking* weights_packing() const override { return &weights_; }
  bool fuses_post_ops() const override { return true; }

  void Run(const RunContext& ctx, const Operands& io) const override {
    const float* w = weights_.Prepare(ctx, io.weights);
    const float* in = forward_ ? io.src : io.diff_dst;
    float* out = forward_ ? io.dst : io.diff_src;
    const kernels::DirectGeometry& first = passes_[0].g;
    const int64_t in_image = first.in_channels * first.in_h * first.in_w;
    const int64_t channels = first.out_channels, out_image = channels * result_h_ * result_w_;
    ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
      const TaskSpace::Digits d = tasks().Decode(task);
      const int64_t row0 = d[1] * rows_per_task_, tile = chunks_.first(d[2]), tiles = chunks_.count(d[2]);
      const Range result_rows{row0 * phase_rows_, std::min(result_h_, (row0 + rows_per_task_) * phase_rows_)};
      const int64_t first_channel = tile * groups_per_tile_ * first.opg;
      const gemm::Matrix block =
          PixelMatrix(DataFormat::kNHWC, out + d[0] * out_image, result_h_ * result_w_, channels,
                      Range{result_rows.begin * result_w_, result_rows.end * result_w_}, first_channel,
                      tiles * groups_per_tile_ * first.opg);
      epilogue_.Around(ctx.workspace, worker, block, BlockBias(io.bias, first_channel), [&] {
        for (size_t p = 0; p < passes_.size(); ++p) {
          const Pass& pass = passes_[p];
          const int64_t row1 = std::min(pass.g.out_h, row0 + rows_per_task_);
          if (row0 >= row1) continue;  // a phase one row shorter than the others
          ctx.kernels.direct_forward_nhwc(pass.g, {row0, row1, tile * groups_per_tile_, tiles}, in + d[0] * in_image,
                                          weights_.Tile(w, p, tile), weights_.ldw(), weights_.step(p),
                                          out + d[0] * out_image + pass.dst_offset,
                                          ctx.workspace.Get<float>(kBand, worker));
        }
      });
    });
  }

 private:
  const Conv2dGeometry& g_;
  bool forward_;
  std::vector<Pass> passes_;
  int64_t lanes_, groups_per_tile_;
  TileChunks chunks_;
  DirectWeights weights_;
  Epilogue epilogue_;
  int64_t phase_rows_ = 1, result_h_ = 0, result_w_ = 0, rows_per_task_ = 1, outputs_per_task_ = 0;
};

// Backprop-filter: each task owns a chunk of tiles' weights and sums images, then rows, then columns.
class DirectFilter final : public Executable {
 public:
  DirectFilter(const Problem& p, WorkspaceLayout* layout)
      : g_(p.geometry), passes_(PassesOf(g_, true, nullptr)), dg_(passes_[0].g),
        lanes_(static_cast<int64_t>(p.kernels.lanes)), groups_per_tile_(kernels::DirectGroupsPerTile(dg_, lanes_)),
        chunks_(dg_, g_.groups, lanes_), weights_(g_, passes_, groups_per_tile_, false) {
    weights_.Book(layout, false);
    const int64_t band =
        kernels::DirectBandOf(dg_, std::min(kFilterRows, dg_.out_h), chunks_.per_call, lanes_).floats();
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
      for (int64_t k = 0; k < tiles; ++k) weights_.ZeroTile(weights_.Tile(gradient, 0, tile + k));
      for (int64_t n = 0; n < g_.batch; ++n) {
        for (int64_t r = 0; r < dg_.out_h; r += kFilterRows) {
          ctx.kernels.direct_backprop_filter_nhwc(
              dg_, {r, std::min(dg_.out_h, r + kFilterRows), tile * groups_per_tile_, tiles}, io.src + n * src_image,
              io.diff_dst + n * dst_image, weights_.ldw(), weights_.step(0), weights_.Tile(gradient, 0, tile),
              ctx.workspace.Get<float>(kBand, worker));
        }
      }
    });
    weights_.FinishGradient(ctx, io.diff_weights);
  }

 private:
  const Conv2dGeometry& g_;
  std::vector<Pass> passes_;
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
    std::string no_pass;
    const std::vector<Pass> passes = PassesOf(g, p.direction != Direction::kBackpropInput, &no_pass);
    if (passes.empty()) return StrCat("backprop-input runs as forward passes over the stride's phases, and ", no_pass);
    // The vectors run over a pass's output channels: the problem's, or for backprop-input its input channels.
    const kernels::DirectGeometry& pass = passes[0].g;
    if (!kernels::DirectBroadcasts(pass, lanes) && !kernels::DirectSpreads(pass, lanes)) {
      return StrCat("the pass's ", pass.opg, " output channels per group (", pass.cpg,
                    " input) neither fill whole vectors of ", lanes, " nor spread whole groups over them");
    }
    return "";
  }
  std::unique_ptr<const Executable> Plan(const Problem& p, WorkspaceLayout* layout) const override {
    if (p.direction == Direction::kBackpropFilter) return std::make_unique<DirectFilter>(p, layout);
    std::string unused;
    return std::make_unique<DirectProduct>(p, PassesOf(p.geometry, p.direction == Direction::kForward, &unused),
                                           layout);
  }
};

}  // namespace

const Algorithm& DirectNhwcAlgorithm() {
  static const DirectNhwc algorithm;
  return algorithm;
}

}  // namespace internal
}  // namespace colconv
