// Direct NHWC convolution for thin GEMMs: grouped layers with few channels per group (ResNeXt, RegNet), few input
// channels (stems), depthwise layers with many outputs per channel. The kernels (src/kernels/direct*.h) keep a
// tile of pixels x output vectors in registers and broadcast each input value across it; backprop-input runs as
// forward passes over diff_dst, one per phase of the stride (the filter mirrored at stride 1). Tasks are (image,
// row block, chunk of groups) for the forward passes and chunks of groups for backprop-filter, which sums images,
// rows and columns in order. NCHW problems run image by image on NHWC copies of their images (nhwc_copies.h).
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "src/algorithms/common.h"
#include "src/algorithms/epilogue.h"
#include "src/algorithms/nhwc_copies.h"
#include "src/algorithms/pixel_matrix.h"
#include "src/parallel.h"
#include "src/shape.h"
#include "src/str_cat.h"

namespace colconv {
namespace internal {
namespace {

constexpr const char* kPackedWeights = "direct_weights";
constexpr const char* kBand = "direct_band";
constexpr const char* kStagedWeights = "direct_task_weights";
constexpr const char* kPixelsIn = "direct_nhwc_input";
constexpr const char* kPixelsOut = "direct_nhwc_result";
// NCHW problems run on NHWC copies of one image's input and result when the two take at most this many floats.
constexpr int64_t kMaxCopyFloats = int64_t{1} << 25;
// ... and the GEMM's K (input channels per group x taps) is at least this (DirectNhwc::Declines says why).
constexpr int64_t kMinCopiedK = 128;
constexpr const char* kPartialGradients = "direct_partial_gradients";
// Forward tasks cover at least this many output pixels; backprop-filter's kernel calls sum this many rows each.
constexpr int64_t kTaskPixels = 512;
constexpr int64_t kFilterRows = 8;
// A kernel call's tiles share one band of at least this many input channels per pixel (direct.h says why).
constexpr int64_t kBandChannels = 64;
// Backprop-filter whose tiles make one kernel call (one group, say) would be one task: it sums an image's rows in
// up to kFilterParts parts instead, each into its own copy of the gradient, added in part order at the end, while
// the copies take at most kPartialGradientBytes. The parts follow from the shape, so the sums do not depend on the
// thread count.
constexpr int64_t kFilterParts = 4;
constexpr int64_t kPartialGradientBytes = int64_t{1} << 20;
int64_t FilterRowParts(int64_t calls, int64_t out_h, int64_t gradient_floats) {
  if (calls > 1) return 1;
  const int64_t parts = std::min(kFilterParts, CeilDiv(out_h, kFilterRows));
  return (parts - 1) * gradient_floats * static_cast<int64_t>(sizeof(float)) <= kPartialGradientBytes ? parts : 1;
}

// What one tile covers, as Describe says it: `one` (a group's description), or a vector's worth of groups.
std::string TileGroups(int64_t groups_per_tile, const std::string& one) {
  return groups_per_tile == 1 ? one : StrCat("vectors of ", groups_per_tile, " groups");
}

// Tiles (of DirectGroupsPerTile groups each) one kernel call covers, and how many calls cover them all.
struct TileChunks {
  int64_t per_call = 1, calls = 1, tiles = 1;
  TileChunks(const kernels::DirectGeometry& pass, int64_t groups, int64_t lanes) {
    const int64_t groups_per_tile = kernels::DirectGroupsPerTile(pass, lanes);
    tiles = groups / groups_per_tile;
    // A spread band's pixel is whole vectors already, each input value as one.
    if (kernels::DirectBroadcasts(pass, lanes) || kernels::DirectReduces(pass, lanes)) {
      per_call = std::min(tiles, CeilDiv(kBandChannels, pass.cpg));
    }
    calls = CeilDiv(tiles, per_call);
  }
  // The tiles of call `call`: [first, first + count).
  int64_t first(int64_t call) const { return call * per_call; }
  int64_t count(int64_t call) const { return std::min(per_call, tiles - first(call)); }
};

// Forward and backprop-input tasks: rows_per_task rows of every pass, blocks of them to an image.
struct RowBlocks {
  int64_t rows_per_task = 1, blocks = 1;
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
// (src/kernels/direct.h). Backprop-filter sums into an HWIO gradient where it is (ldw = output channels), and a
// forward pass reads an HWIO filter there when one tile spans its rows; otherwise, and for an OIHW filter and the
// passes of backprop-input (whose "input" channels are the problem's outputs, their taps reversed), the kernels
// read packed blocks: per pass, one block of the pass's taps x input channels x the tile's outputs per tile. A
// group's HWIO rows are 128 bytes 4 KB apart on ResNeXt's widest layer: read in place for every row of outputs,
// its 288 rows share 16 sets of the L2 cache, and the weights came from L3 each time. Reduce mode with several
// outputs per group reads a block of each output's taps x input channels in turn (src/kernels/direct.h).
class DirectWeights final : public WeightsPacking {
 public:
  enum class Use { kForward, kBackpropInput, kBackpropFilter };
  DirectWeights(const Conv2dGeometry& g, const std::vector<Pass>& passes, int64_t lanes, Use use,
                kernels::TransposeFn transpose)
      : WeightsPacking(kPackedWeights),
        hwio_(g.filter_format == FilterFormat::kHWIO), mirrored_(use == Use::kBackpropInput), transpose_(transpose),
        cpg_(g.in_channels_per_group()), opg_(g.out_channels_per_group()), out_(g.out_channels),
        taps_(g.height.filter * g.width.filter), groups_per_tile_(kernels::DirectGroupsPerTile(passes[0].g, lanes)),
        pass_cpg_(passes[0].g.cpg), pass_out_(passes[0].g.out_channels), width_(groups_per_tile_ * passes[0].g.opg),
        output_major_(kernels::DirectReduces(passes[0].g, lanes) && width_ > 1),
        in_place_(hwio_ && !output_major_ &&
                  (use == Use::kBackpropFilter || (use == Use::kForward && width_ == pass_out_))) {
    int64_t offset = 0;
    for (const Pass& p : passes) {
      filter_taps_.push_back(p.filter_taps);
      block_.push_back(static_cast<int64_t>(p.filter_taps.size()) * pass_cpg_ * width_);
      offset_.push_back(offset);
      offset += block_.back() * tiles();
    }
    packed_floats_ = offset;
    const std::vector<int64_t>& taps = filter_taps_[0];
    whole_mirror_ = mirrored_ && passes.size() == 1 && static_cast<int64_t>(taps.size()) == taps_;
    for (int64_t t = 0; whole_mirror_ && t < taps_; ++t) whole_mirror_ = taps[static_cast<size_t>(t)] == taps_ - 1 - t;
  }

  // True when the kernels read the caller's filter (or gradient) as it is.
  bool in_place() const { return in_place_; }
  int64_t ldw() const { return in_place_ ? pass_out_ : width_; }
  // Groups one kernel tile covers (kernels::DirectGroupsPerTile).
  int64_t groups_per_tile() const { return groups_per_tile_; }
  // From one tile's weights to the next's in pass `pass`.
  int64_t step(size_t pass) const { return in_place_ ? width_ : block_[pass]; }
  int64_t packed_floats() const override { return in_place_ ? 0 : packed_floats_; }
  // Every (pass, tile) block, in pass order.
  void Pack(int workers, const float* weights, float* packed) const override {
    const int64_t tiles_per_pass = tiles();
    ForEachTask(workers, static_cast<int64_t>(block_.size()) * tiles_per_pass, [&](int, int64_t task) {
      const size_t pass = static_cast<size_t>(task / tiles_per_pass);
      PackTile(weights, pass, task % tiles_per_pass, Tile(packed, pass, task % tiles_per_pass));
    });
  }
  // The blocks of `count` consecutive tiles from `first` in every pass, packed into `staged` (staged_floats(count)
  // floats): pass by pass, as Pack lays out all tiles.
  int64_t staged_floats(int64_t count) const { return packed_floats_ / tiles() * count; }
  void StageTiles(const float* weights, int64_t first, int64_t count, float* staged) const {
    for (size_t pass = 0; pass < block_.size(); ++pass) {
      float* blocks = Staged(staged, pass, count);
      for (int64_t k = 0; k < count; ++k) PackTile(weights, pass, first + k, blocks + k * block_[pass]);
    }
  }
  // The first staged tile's weights of pass `pass`.
  template <class T>
  T* Staged(T* staged, size_t pass, int64_t count) const {
    return staged + offset_[pass] / tiles() * count;
  }
  // The weights of tile `tile` (counted in tiles, not groups) of pass `pass` in the kernels' layout `weights`.
  template <class T>
  T* Tile(T* weights, size_t pass, int64_t tile) const {
    return weights + (in_place_ ? 0 : offset_[pass]) + tile * step(pass);
  }
  // Backprop-filter's gradient as the kernels sum it: diff_weights, or a packed copy that FinishGradient unpacks.
  float* Gradient(const RunContext& ctx, float* diff_weights) const {
    return in_place_ ? diff_weights : ctx.workspace.Get<float>(buffer());
  }
  void FinishGradient(const RunContext& ctx, float* diff_weights) const {
    if (in_place_) return;
    const float* packed = ctx.workspace.Get<float>(buffer());
    ForEachTask(ctx.workers, tiles(), [&](int, int64_t tile) {
      const float* block = Tile(packed, 0, tile);
      float* oihw = diff_weights + tile * width_ * cpg_ * taps_;
      // A 1x1 block is the tile's input channels x outputs: one transpose (row by row, its columns were 4 KB
      // apart on ResNet-50's 1024-channel layers and took 2.4x the kernels' time).
      if (taps_ == 1) return transpose_(block, width_, pass_cpg_, width_, oihw, cpg_);
      // Each input channel's taps x outputs, transposed (PackTile's forward blocks).
      for (int64_t ic = 0; ic < pass_cpg_; ++ic) {
        transpose_(block + ic * width_, pass_cpg_ * width_, taps_, width_,
                   diff_weights + (tile * width_ * cpg_ + ic) * taps_, cpg_ * taps_);
      }
    });
  }

 private:
  int64_t tiles() const { return pass_out_ / width_; }
  // Tile `tile`'s block of pass `pass`: element (tap, ic, j) at block[(tap * pass_cpg_ + ic) * width_ + j], or
  // at block[(j * taps + tap) * pass_cpg_ + ic] when output-major.
  void PackTile(const float* weights, size_t pass, int64_t tile, float* block) const {
    if (output_major_) return CopyElements(weights, pass, tile, block);  // a stem's 3 x 32 x 1-4 taps a group
    if (!hwio_ && !mirrored_) {
      // A 1x1 filter's tile is its outputs x input channels, transposed at once.
      if (taps_ == 1) return transpose_(weights + tile * width_ * cpg_, cpg_, width_, pass_cpg_, block, width_);
      // Each input channel's outputs x taps, transposed (a pass of forward has every tap, in order): element by
      // element, the packing took twice the kernels' time on ResNeXt's 7x7 layer.
      for (int64_t ic = 0; ic < pass_cpg_; ++ic) {
        transpose_(weights + (tile * width_ * cpg_ + ic) * taps_, cpg_ * taps_, width_, taps_, block + ic * width_,
                   pass_cpg_ * width_);
      }
      return;
    }
    if (!hwio_ && whole_mirror_) {
      // Each group's input channels x taps under one of its outputs (the pass's input channel ic), transposed into
      // the block's rows from the last tap's up (a negative stride).
      for (int64_t k = 0; k < groups_per_tile_; ++k) {
        const int64_t group = tile * groups_per_tile_ + k;
        for (int64_t ic = 0; ic < pass_cpg_; ++ic) {
          transpose_(weights + (group * opg_ + ic) * cpg_ * taps_, taps_, cpg_, taps_,
                     block + ((taps_ - 1) * pass_cpg_ + ic) * width_ + k * cpg_, -pass_cpg_ * width_);
        }
      }
      return;
    }
    if (!hwio_) return CopyElements(weights, pass, tile, block);
    const std::vector<int64_t>& taps = filter_taps_[pass];
    const int64_t pass_taps = static_cast<int64_t>(taps.size());
    for (int64_t tap = 0; tap < pass_taps; ++tap) {
      const int64_t f = taps[static_cast<size_t>(tap)];
      float* rows = block + tap * pass_cpg_ * width_;
      if (!mirrored_) {  // the tap's rows of input channels, the tile's columns of each
        for (int64_t ic = 0; ic < pass_cpg_; ++ic) {
          const float* from = weights + (f * cpg_ + ic) * out_ + tile * width_;
          std::copy(from, from + width_, rows + ic * width_);
        }
      } else {  // each group's input channels x outputs under the tap, transposed
        for (int64_t k = 0; k < groups_per_tile_; ++k) {
          const int64_t group = tile * groups_per_tile_ + k;
          transpose_(weights + f * cpg_ * out_ + group * opg_, out_, cpg_, opg_, rows + k * cpg_, width_);
        }
      }
    }
  }
  // PackTile one float at a time, the filter's taps (OIHW's unit stride) innermost.
  void CopyElements(const float* weights, size_t pass, int64_t tile, float* block) const {
    const int64_t pass_taps = static_cast<int64_t>(filter_taps_[pass].size());
    for (int64_t ic = 0; ic < pass_cpg_; ++ic) {
      for (int64_t j = 0; j < width_; ++j) {
        for (int64_t tap = 0; tap < pass_taps; ++tap) {
          const int64_t element =
              output_major_ ? (j * pass_taps + tap) * pass_cpg_ + ic : (tap * pass_cpg_ + ic) * width_ + j;
          block[element] = weights[FilterIndex(pass, tile, tap, ic, j)];
        }
      }
    }
  }
  // Where the filter holds element (tap, ic, j) of tile `tile`'s block of pass `pass`: the problem's output
  // channel and input channel behind the pass's (swapped in backprop-input), under the pass's tap.
  int64_t FilterIndex(size_t pass, int64_t tile, int64_t tap, int64_t ic, int64_t j) const {
    const int64_t o = tile * width_ + j;  // the pass's output channel
    const int64_t filter_o = mirrored_ ? o / cpg_ * opg_ + ic : o, filter_i = mirrored_ ? o % cpg_ : ic;
    const int64_t f = filter_taps_[pass][static_cast<size_t>(tap)];
    return hwio_ ? (f * cpg_ + filter_i) * out_ + filter_o : (filter_o * cpg_ + filter_i) * taps_ + f;
  }

  bool hwio_, mirrored_;
  kernels::TransposeFn transpose_;
  int64_t cpg_, opg_, out_, taps_;  // the problem's
  int64_t groups_per_tile_, pass_cpg_, pass_out_, width_;
  bool output_major_, in_place_;
  bool whole_mirror_ = false;  // backprop-input's one pass, every tap of the filter reversed
  int64_t packed_floats_ = 0;
  std::vector<std::vector<int64_t>> filter_taps_;
  std::vector<int64_t> block_, offset_;
};

// Enough pass rows per task for kTaskPixels pixels of the result (a pass row makes `phase_rows` rows of it, each
// `result_w` pixels wide), in at least `min_blocks` blocks where the rows allow.
RowBlocks RowBlocksOf(const std::vector<Pass>& passes, int64_t phase_rows, int64_t result_w, int64_t min_blocks) {
  int64_t pass_rows = 0;
  for (const Pass& pass : passes) pass_rows = std::max(pass_rows, pass.g.out_h);
  const int64_t task_rows = CeilDiv(kTaskPixels, std::max<int64_t>(1, result_w * phase_rows));
  RowBlocks r;
  r.rows_per_task = std::min(CeilDiv(pass_rows, min_blocks), std::max<int64_t>(1, task_rows));
  r.blocks = CeilDiv(pass_rows, r.rows_per_task);
  return r;
}

// Forward with an HWIO filter splits an image whose tiles make one kernel call into two blocks of rows at least,
// so that two threads share it: ResNet-50's 256- and 512-channel 3x3 layers on 14x14 and 7x7 images ran
// 1.11-1.28x the im2col path at one thread and 1.16-1.20x at two, its 1x1 layers there 1.03-1.07x and 1.9-2.0x.
// Not where the weights are packed per call: an OIHW filter (the 512-channel layer 0.75x), or backprop-input's
// mirrored weights (0.77-0.98x).
int64_t MinRowBlocks(const Conv2dGeometry& g, bool forward, int64_t calls) {
  return forward && g.filter_format == FilterFormat::kHWIO && calls == 1 ? 2 : 1;
}

// Forward, and backprop-input as forward passes over the phases of the stride: each task computes its pass rows
// of a chunk of tiles, in every pass, which together make whole rows of the result.
class DirectProduct final : public Executable {
 public:
  DirectProduct(const Problem& p, std::vector<Pass> passes, WorkspaceLayout* layout)
      : g_(p.geometry), forward_(p.direction == Direction::kForward),
        nchw_(g_.data_format == DataFormat::kNCHW), passes_(std::move(passes)),
        chunks_(passes_[0].g, g_.groups, static_cast<int64_t>(p.kernels.lanes)),
        weights_(g_, passes_, static_cast<int64_t>(p.kernels.lanes),
                 forward_ ? DirectWeights::Use::kForward : DirectWeights::Use::kBackpropInput, p.kernels.transpose),
        epilogue_(p.post_ops) {
    const int64_t lanes = static_cast<int64_t>(p.kernels.lanes);
    reduces_ = kernels::DirectReduces(passes_[0].g, lanes);
    // A pass row makes phase_rows_ rows of the result, each result_w_ pixels wide.
    phase_rows_ = forward_ ? 1 : g_.height.stride;
    result_h_ = forward_ ? g_.height.output : g_.height.input;
    result_w_ = forward_ ? g_.width.output : g_.width.input;
    const RowBlocks row_blocks = RowBlocksOf(passes_, phase_rows_, result_w_, MinRowBlocks(g_, forward_, chunks_.calls));
    rows_per_task_ = row_blocks.rows_per_task;
    // When one task uses a chunk's weights, it packs them itself, just before its kernel calls read them, instead
    // of packing the whole filter first: ResNeXt's 1.2 MB filter of its 7x7 layer no longer comes back from L3.
    staged_ = !weights_.in_place() && !p.prepacked_weights && g_.batch * row_blocks.blocks == 1;
    if (staged_) {
      const int64_t staged = weights_.staged_floats(chunks_.per_call);
      layout->BookPerWorker(kStagedWeights, static_cast<size_t>(staged) * sizeof(float), 64,
                            "the packed weights of a task's groups");
    } else {
      weights_.Book(layout, p.prepacked_weights);
    }
    // Backprop-input's phases read the same rows of diff_dst: one band serves them all (direct.h).
    shares_band_ = passes_.size() > 1 && !reduces_;
    int64_t band = 0;
    if (shares_band_) {
      std::vector<kernels::DirectGeometry> geometries;
      for (const Pass& pass : passes_) geometries.push_back(pass.g);
      cover_ = kernels::DirectBandCover(geometries.data(), static_cast<int64_t>(geometries.size()));
      band = kernels::DirectBandOf(cover_, rows_per_task_, chunks_.per_call, lanes).floats();
    }
    for (const Pass& pass : passes_) {
      const kernels::DirectGeometry& banded = shares_band_ ? cover_ : pass.g;
      const kernels::DirectBand b = kernels::DirectBandOf(banded, rows_per_task_, chunks_.per_call, lanes);
      in_place_.push_back(!shares_band_ && kernels::DirectReadsInPlace(pass.g, lanes));
      // A pass read in place runs the skipping entry, the one that takes src (its band, were it built, could be a
      // row run of one group's channels, which skips nothing).
      skips_edges_.push_back(in_place_.back() || kernels::DirectSkipsEdges(pass.g, b, lanes));
      if (!shares_band_ && !in_place_.back()) band = std::max(band, b.floats());
    }
    banded_ = band > 0;
    if (banded_) {
      layout->BookPerWorker(kBand, static_cast<size_t>(band) * sizeof(float), 64, "one band of padded input rows");
    }
    const int64_t outputs_per_task = chunks_.per_call * weights_.groups_per_tile() * passes_[0].g.opg;
    epilogue_.BookSaved(layout, rows_per_task_ * phase_rows_ * result_w_ * outputs_per_task);
    const kernels::DirectGeometry& first = passes_[0].g;
    in_image_ = first.in_channels * first.in_h * first.in_w;
    out_image_ = first.out_channels * result_h_ * result_w_;
    if (nchw_) {
      layout->Book(kPixelsIn, static_cast<size_t>(in_image_) * sizeof(float), 64, "one NCHW image's NHWC copy");
      layout->Book(kPixelsOut, static_cast<size_t>(out_image_) * sizeof(float), 64,
                   "one image's result in NHWC, before its planes");
    }
    set_tasks(TaskSpace({g_.batch, row_blocks.blocks, chunks_.calls}));
  }
  std::string Describe() const override {
    const char* groups = reduces_ ? "groups, vectors over their input channels" : "groups";
    return StrCat("of ", rows_per_task_, " rows x ",
                  TileGroups(weights_.groups_per_tile(), groups),
                  chunks_.per_call > 1 ? StrCat(", ", chunks_.per_call, banded_ ? " sharing a band" : " per kernel call")
                                       : "",
                  staged_ ? ", each task packing its weights" : "",
                  std::find(skips_edges_.begin(), skips_edges_.end(), true) != skips_edges_.end()
                      ? ", rows' edge tiles skipping the padding columns"
                      : "",
                  std::find(in_place_.begin(), in_place_.end(), true) != in_place_.end()
                      ? StrCat(", reading ", forward_ ? "src" : "diff_dst", " in place")
                      : "",
                  nchw_ ? ", image by image on NHWC copies" : "",
                  forward_ ? ""
                  : passes_.size() == 1 ? ", as a forward pass with the filter reversed"
                                        : StrCat(", as ", passes_.size(), " forward passes over the stride's phases, "
                                                 "their taps reversed", shares_band_ ? ", all on one band" : ""));
  }
  const WeightsPacking* weights_packing() const override { return &weights_; }
  bool fuses_post_ops() const override { return true; }

  void Run(const RunContext& ctx, const Operands& io) const override {
    const float* w = staged_ ? io.weights : weights_.Prepare(ctx, io.weights);
    const float* in = forward_ ? io.src : io.diff_dst;
    float* out = forward_ ? io.dst : io.diff_src;
    if (!nchw_) {
      ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
        const TaskSpace::Digits d = tasks().Decode(task);
        RunTask(ctx, worker, d, w, io.bias, in + d[0] * in_image_, out + d[0] * out_image_);
      });
      return;
    }
    float* pixels_in = ctx.workspace.Get<float>(kPixelsIn);
    float* pixels_out = ctx.workspace.Get<float>(kPixelsOut);
    const kernels::DirectGeometry& first = passes_[0].g;
    const int64_t in_plane = first.in_h * first.in_w, out_plane = result_h_ * result_w_;
    const int64_t image_tasks = tasks().size() / g_.batch;
    for (int64_t n = 0; n < g_.batch; ++n) {
      PlanesToPixels(ctx, in + n * in_image_, first.in_channels, in_plane, pixels_in);
      // Accumulate mode adds to the result as it holds.
      if (epilogue_.accumulate()) PlanesToPixels(ctx, out + n * out_image_, first.out_channels, out_plane, pixels_out);
      ForEachTask(ctx.workers, image_tasks, [&](int worker, int64_t task) {
        RunTask(ctx, worker, tasks().Decode(n * image_tasks + task), w, io.bias, pixels_in, pixels_out);
      });
      PixelsToPlanes(ctx, pixels_out, first.out_channels, out_plane, out + n * out_image_);
    }
  }

 private:
  // Task d's tiles of one image: its input `in` and result `out` in NHWC.
  void RunTask(const RunContext& ctx, int worker, const TaskSpace::Digits& d, const float* w, const float* bias,
               const float* in, float* out) const {
    const kernels::DirectGeometry& first = passes_[0].g;
    const int64_t row0 = d[1] * rows_per_task_, tile = chunks_.first(d[2]), tiles = chunks_.count(d[2]);
    const Range result_rows{row0 * phase_rows_, std::min(result_h_, (row0 + rows_per_task_) * phase_rows_)};
    const int64_t first_channel = tile * weights_.groups_per_tile() * first.opg;
    float* staged = staged_ ? ctx.workspace.Get<float>(kStagedWeights, worker) : nullptr;
    if (staged_) weights_.StageTiles(w, tile, tiles, staged);
    const gemm::Matrix block = PixelMatrix(DataFormat::kNHWC, out, result_h_ * result_w_, first.out_channels,
                                           Range{result_rows.begin * result_w_, result_rows.end * result_w_},
                                           first_channel, tiles * weights_.groups_per_tile() * first.opg);
    float* band = banded_ ? ctx.workspace.Get<float>(kBand, worker) : nullptr;
    const int64_t group = tile * weights_.groups_per_tile();
    const int64_t lanes = static_cast<int64_t>(ctx.kernels.lanes);
    kernels::DirectBand shared;
    if (shares_band_) {
      const kernels::DirectTile rows{row0, std::min(cover_.out_h, row0 + rows_per_task_), group, tiles};
      shared = kernels::DirectBandOf(cover_, rows.row1 - row0, tiles, lanes);
      ctx.kernels.direct_band_nhwc(cover_, rows, in, band);
    }
    epilogue_.Around(ctx.workspace, worker, block, BlockBias(bias, first_channel), [&] {
      for (size_t p = 0; p < passes_.size(); ++p) {
        const Pass& pass = passes_[p];
        const kernels::DirectTile rows{row0, std::min(pass.g.out_h, row0 + rows_per_task_), group, tiles};
        if (rows.row0 >= rows.row1) continue;  // a phase one row shorter than the others
        const float* weights = staged_ ? weights_.Staged(staged, p, tiles) : weights_.Tile(w, p, tile);
        float* result = out + pass.dst_offset;
        const kernels::DirectForwardOnBandFn on_band = skips_edges_[p] ? ctx.kernels.direct_forward_skipping_edges_nhwc
                                                                       : ctx.kernels.direct_forward_on_band_nhwc;
        if (shares_band_) {
          on_band(pass.g, rows, shared, band + kernels::DirectBandOffset(cover_, shared, pass.g), weights,
                  weights_.ldw(), weights_.step(p), result);
        } else if (in_place_[p]) {
          on_band(pass.g, rows, kernels::DirectInPlaceBand(pass.g), in + group * pass.g.cpg, weights,
                  weights_.ldw(), weights_.step(p), result);
        } else if (skips_edges_[p]) {
          ctx.kernels.direct_band_nhwc(pass.g, rows, in, band);
          on_band(pass.g, rows, kernels::DirectBandOf(pass.g, rows.row1 - rows.row0, tiles, lanes), band, weights,
                  weights_.ldw(), weights_.step(p), result);
        } else {
          ctx.kernels.direct_forward_nhwc(pass.g, rows, in, weights, weights_.ldw(), weights_.step(p), result, band);
        }
      }
    });
  }

  const Conv2dGeometry& g_;
  bool forward_, nchw_;
  std::vector<Pass> passes_;
  TileChunks chunks_;
  DirectWeights weights_;
  Epilogue epilogue_;
  bool reduces_ = false, staged_ = false, shares_band_ = false;
  bool banded_ = false;  // some pass builds a band (not reading its input in place, nor in reduce mode)
  kernels::DirectGeometry cover_;  // the passes' shared band's (when shares_band_)
  std::vector<bool> skips_edges_;  // per pass: kernels::DirectSkipsEdges
  std::vector<bool> in_place_;     // per pass: kernels::DirectReadsInPlace
  int64_t phase_rows_ = 1, result_h_ = 0, result_w_ = 0, rows_per_task_ = 1;
  int64_t in_image_ = 0, out_image_ = 0;  // floats of one image's input and result
};

// Backprop-filter: each task owns a chunk of tiles' weights, or a part of their rows, and sums images, then rows,
// then columns.
class DirectFilter final : public Executable {
 public:
  DirectFilter(const Problem& p, WorkspaceLayout* layout)
      : g_(p.geometry), nchw_(g_.data_format == DataFormat::kNCHW), passes_(PassesOf(g_, true, nullptr)),
        chunks_(passes_[0].g, g_.groups, static_cast<int64_t>(p.kernels.lanes)),
        weights_(g_, passes_, static_cast<int64_t>(p.kernels.lanes), DirectWeights::Use::kBackpropFilter,
                 p.kernels.transpose) {
    weights_.Book(layout, false);
    const kernels::DirectGeometry& pass = passes_[0].g;
    const int64_t scratch = kernels::DirectFilterScratchFloats(pass, std::min(kFilterRows, pass.out_h),
                                                               chunks_.per_call, static_cast<int64_t>(p.kernels.lanes));
    layout->BookPerWorker(kBand, static_cast<size_t>(scratch) * sizeof(float), 64,
                          "one band of padded input rows, and a run of diff_dst's pixels");
    gradient_floats_ = NumElements(g_.weights_shape());  // the HWIO filter's, or its packed blocks'
    parts_ = FilterRowParts(chunks_.calls, pass.out_h, gradient_floats_);
    if (parts_ > 1) {
      layout->Book(kPartialGradients, static_cast<size_t>((parts_ - 1) * gradient_floats_) * sizeof(float), 64,
                   "the gradient's sums over the later parts of the rows");
    }
    src_image_ = g_.in_channels * g_.height.input * g_.width.input;
    dst_image_ = g_.out_channels * g_.height.output * g_.width.output;
    if (nchw_) {
      layout->Book(kPixelsIn, static_cast<size_t>(src_image_) * sizeof(float), 64, "one NCHW image's NHWC copy");
      layout->Book(kPixelsOut, static_cast<size_t>(dst_image_) * sizeof(float), 64,
                   "one image's diff_dst in NHWC");
    }
    set_tasks(TaskSpace({chunks_.calls, parts_}));
  }
  std::string Describe() const override {
    return StrCat("of ", TileGroups(weights_.groups_per_tile(), "groups"),
                  chunks_.per_call > 1 ? StrCat(", ", chunks_.per_call, " sharing a band") : "",
                  parts_ > 1 ? StrCat(", rows summed in ", parts_, " parts") : "",
                  nchw_ ? ", image by image on NHWC copies" : "");
  }

  void Run(const RunContext& ctx, const Operands& io) const override {
    float* gradient = weights_.Gradient(ctx, io.diff_weights);
    float* partials = parts_ > 1 ? ctx.workspace.Get<float>(kPartialGradients) : nullptr;
    if (!nchw_) {
      ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
        for (int64_t n = 0; n < g_.batch; ++n) {
          SumImage(ctx, worker, task, n, io.src + n * src_image_, io.diff_dst + n * dst_image_, gradient, partials);
        }
      });
    } else {
      // Image by image, each task's sums in the same order as above.
      float* src = ctx.workspace.Get<float>(kPixelsIn);
      float* diff_dst = ctx.workspace.Get<float>(kPixelsOut);
      const int64_t src_plane = g_.height.input * g_.width.input, dst_plane = g_.height.output * g_.width.output;
      for (int64_t n = 0; n < g_.batch; ++n) {
        PlanesToPixels(ctx, io.src + n * src_image_, g_.in_channels, src_plane, src);
        PlanesToPixels(ctx, io.diff_dst + n * dst_image_, g_.out_channels, dst_plane, diff_dst);
        ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
          SumImage(ctx, worker, task, n, src, diff_dst, gradient, partials);
        });
      }
    }
    if (parts_ > 1) {
      constexpr int64_t kChunk = 4096;
      ForEachTask(ctx.workers, CeilDiv(gradient_floats_, kChunk), [&](int, int64_t chunk) {
        const int64_t end = std::min(gradient_floats_, (chunk + 1) * kChunk);
        for (int64_t part = 1; part < parts_; ++part) {
          const float* from = partials + (part - 1) * gradient_floats_;
          for (int64_t i = chunk * kChunk; i < end; ++i) gradient[i] += from[i];
        }
      });
    }
    weights_.FinishGradient(ctx, io.diff_weights);
  }

 private:
  // Task `task`'s sums over image n (its src and diff_dst in NHWC); the first image's first rows start them.
  void SumImage(const RunContext& ctx, int worker, int64_t task, int64_t n, const float* src, const float* diff_dst,
                float* gradient, float* partials) const {
    const kernels::DirectGeometry& pass = passes_[0].g;
    const TaskSpace::Digits d = tasks().Decode(task);
    const int64_t tile = chunks_.first(d[0]), tiles = chunks_.count(d[0]), part = d[1];
    float* sums = part == 0 ? gradient : partials + (part - 1) * gradient_floats_;
    const int64_t part_rows = CeilDiv(pass.out_h, parts_);
    const int64_t row0 = part * part_rows, row1 = std::min(pass.out_h, row0 + part_rows);
    // (The empty algorithm takes problems with no image or output row.)
    for (int64_t r = row0; r < row1; r += kFilterRows) {
      ctx.kernels.direct_backprop_filter_nhwc(
          pass, {r, std::min(row1, r + kFilterRows), tile * weights_.groups_per_tile(), tiles}, src, diff_dst,
          weights_.ldw(), weights_.step(0), weights_.Tile(sums, 0, tile), n > 0 || r > row0,
          ctx.workspace.Get<float>(kBand, worker));
    }
  }

  const Conv2dGeometry& g_;
  bool nchw_;
  std::vector<Pass> passes_;
  TileChunks chunks_;
  DirectWeights weights_;
  int64_t gradient_floats_ = 0, parts_ = 1;
  int64_t src_image_ = 0, dst_image_ = 0;  // floats of one image's src and diff_dst
};

class DirectNhwc final : public Algorithm {
 public:
  const char* name() const override { return "direct_nhwc"; }
  std::string Declines(const Problem& p) const override {
    const std::string why = DeclinesForPaddedBand(p);
    if (!why.empty()) return why;
    const Conv2dGeometry& g = p.geometry;
    const int64_t lanes = static_cast<int64_t>(p.kernels.lanes);
    const int64_t cpg = g.in_channels_per_group(), opg = g.out_channels_per_group();
    const int64_t k = cpg * g.height.filter * g.width.filter;
    if (g.data_format == DataFormat::kNCHW) {
      // There the planes are the GEMM's operands as stored (pointwise_gemm): ResNet-50's 1x1 layers ran 0.80-0.91x
      // as fast through the copies.
      if (Pointwise(g)) return "NCHW data with a 1x1 filter, unit stride and no padding: a GEMM on the planes as stored";
      // The copies cost a pass over each image, which the kernels win back only with enough work per element: with
      // K >= 128 they ran 1.16-1.93x the im2col path (ResNet-50's stem and 64- and 128-channel 3x3 layers,
      // ResNeXt's 16- and 32-channel groups) and 0.96-1.84x on a 16-channel input; with K of 9-72 (U-Net's
      // 1-channel input, ResNeXt's 4- and 8-channel groups, a 3-channel 3x3 stem) 0.83-1.0x.
      if (k < kMinCopiedK) {
        return StrCat("NCHW data runs on NHWC copies of its images, which pay only from K = ", kMinCopiedK, " (K = ", k,
                      ")");
      }
      const int64_t copies = g.in_channels * g.height.input * g.width.input +
                             g.out_channels * g.height.output * g.width.output;
      if (copies > kMaxCopyFloats) {
        return StrCat("NCHW data runs on NHWC copies of one image's input and output, and these would take ", copies,
                      " floats, more than ", kMaxCopyFloats);
      }
    }
    // Beyond thin GEMMs the register tiles were measured on targets of 16 lanes (AVX-512, 32 registers) only:
    // there they ran 1.1-1.4x the im2col + GEMM path with 33-64 outputs per group (RegNetY-8GF's 56-channel groups,
    // ResNet-50's 64-channel 3x3 layer, VGG's first layers) and 1.04-1.28x OpenBLAS's with up to 512 at unit
    // stride (gemm.h); on AVX2 (8 lanes, 16 registers) 0.67-0.99x at 128-256 outputs, and backprop-filter
    // 0.83-0.89x at 64.
    const bool thin = opg <= 32 || (opg <= 64 && k <= 64), wide_tiles = lanes >= 16;
    if (!thin && !wide_tiles) {
      return StrCat("the GEMM is not thin: ", opg, " output channels per group, K = ", k, " (wider groups run on ",
                    "targets of 16 lanes or more)");
    }
    if (opg > std::max<int64_t>(64, p.gemm.direct_outputs_per_group())) {
      return StrCat("the GEMM is not thin: ", opg, " output channels per group, more than the ",
                    p.gemm.direct_outputs_per_group(), " the direct kernels take over the ", p.gemm.name(), " backend");
    }
    if (opg > 64 && (g.height.stride != 1 || g.width.stride != 1)) {
      return StrCat("the GEMM is not thin (", opg, " output channels per group) and the stride is not 1");
    }
    const bool forward = p.direction == Direction::kForward, filter = p.direction == Direction::kBackpropFilter;
    std::string no_pass;
    const std::vector<Pass> passes = PassesOf(g, p.direction != Direction::kBackpropInput, &no_pass);
    if (passes.empty()) return StrCat("backprop-input runs as forward passes over the stride's phases, and ", no_pass);
    // The vectors run over a pass's output channels: the problem's, or for backprop-input its input channels.
    const kernels::DirectGeometry& pass = passes[0].g;
    const bool reduces = kernels::DirectReduces(pass, lanes);
    if (!kernels::DirectBroadcasts(pass, lanes) && !kernels::DirectSpreads(pass, lanes) && !reduces) {
      return StrCat("the pass's ", pass.opg, " output channels per group (", pass.cpg,
                    " input) neither fill whole vectors of ", lanes, " nor spread whole groups over them, nor are ",
                    "they at most ", kernels::kDirectReduceOutputs, " with input channels in whole vectors");
    }
    if (reduces && !thin) {
      return StrCat("the pass reduces over its ", pass.cpg, " input channels per group, which was measured on thin ",
                    "GEMMs only, and this one is not (", opg, " output channels per group, K = ", k, ")");
    }
    if (reduces && filter) {
      return StrCat("backprop-filter's kernels run vectors over output channels, and there are ", pass.opg,
                    " per group (", pass.cpg, " input)");
    }
    // A GEMM that is not thin runs direct only where an image splits into tasks as the GEMM path's do, so that two
    // threads still share it. Backprop-filter's tasks are tiles of groups, or parts of the rows; the others' tiles
    // and blocks of rows.
    if (!thin) {
      const int64_t calls = TileChunks(pass, g.groups, lanes).calls;
      const int64_t blocks = filter ? FilterRowParts(calls, pass.out_h, NumElements(g.weights_shape()))
                                    : RowBlocksOf(passes, forward ? 1 : g.height.stride,
                                                  forward ? g.width.output : g.width.input,
                                                  MinRowBlocks(g, forward, calls))
                                          .blocks;
      if (calls * blocks < 2) {
        return StrCat("the GEMM is not thin (", opg, " output channels per group, K = ", k,
                      ") and an image would be one task of the direct kernels");
      }
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
