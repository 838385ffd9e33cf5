// Direct depthwise convolution (groups = input channels, any channel multiplier): no column matrix and no GEMM,
// the Highway kernels of src/kernels/depthwise*.h walk the images themselves. NHWC tasks are (image, row block,
// channel block) and NCHW tasks (image, channel), each owning its part of the result; backprop-filter's tasks own
// channel blocks and sum images, rows and columns in order, so the bits never follow the thread count.
#include <algorithm>

#include "src/algorithms/common.h"
#include "src/algorithms/epilogue.h"
#include "src/algorithms/pixel_matrix.h"
#include "src/kernels/window.h"
#include "src/parallel.h"
#include "src/str_cat.h"

namespace colconv {
namespace internal {
namespace {

constexpr const char* kPackedWeights = "depthwise_weights";
constexpr const char* kScratch = "depthwise_scratch";
constexpr const char* kPixelsIn = "depthwise_pixels_in";
constexpr const char* kPixelsOut = "depthwise_pixels_out";
constexpr const char* kFilterSrcRows = "depthwise_filter_src_rows";
constexpr const char* kFilterDiffDstRows = "depthwise_filter_diff_dst_rows";
// NHWC forward and backprop-input tasks: at least this many output pixels of up to this many channels.
constexpr int64_t kTaskPixels = 256;
constexpr int64_t kTaskChannels = 128;
// NHWC backprop-filter: tasks own this many channels, and each kernel call sums this many output rows.
constexpr int64_t kFilterTaskChannels = 16;
constexpr int64_t kFilterRows = 4;

kernels::DwGeometry DwGeometryOf(const Conv2dGeometry& g) {
  kernels::DwGeometry d;
  d.channels = g.in_channels;
  d.multiplier = g.out_channels_per_group();
  d.in_h = g.height.input, d.in_w = g.width.input, d.out_h = g.height.output, d.out_w = g.width.output;
  d.kernel_h = g.height.filter, d.kernel_w = g.width.filter;
  d.stride_h = g.height.stride, d.stride_w = g.width.stride;
  d.dilation_h = g.height.dilation, d.dilation_w = g.width.dilation;
  d.pad_top = g.height.pad_before, d.pad_left = g.width.pad_before;
  return d;
}

// The filter as the kernels take it: NHWC kernels W[(j * taps + tap) * C + c], NCHW kernels W[o * taps + tap]
// (o = c * m + j), or with the taps reversed (`flip`, for a backprop-input run as a forward pass). HWIO is the
// first when m = 1 and OIHW the second; any other case gets a packed copy, and a gradient in it is unpacked at
// the end.
class DwWeights final : public WeightsPacking {
 public:
  DwWeights(const Conv2dGeometry& g, bool nhwc_kernels, bool flip)
      : WeightsPacking(kPackedWeights),
        nhwc_(nhwc_kernels),
        hwio_(g.filter_format == FilterFormat::kHWIO),
        flip_(flip),
        channels_(g.in_channels), m_(g.out_channels_per_group()), taps_(g.height.filter * g.width.filter),
        packed_(flip || (nhwc_ ? !(hwio_ && m_ == 1) : hwio_)) {}

  int64_t ldw() const { return channels_; }
  int64_t floats() const { return channels_ * m_ * taps_; }
  int64_t packed_floats() const override { return packed_ ? floats() : 0; }
  void Pack(int workers, const float* weights, float* packed) const override { Reorder(workers, weights, packed, true); }
  // Where a gradient accumulates in the kernels' layout, and its unpacking into diff_weights.
  float* Gradient(const RunContext& ctx, float* diff_weights) const {
    return packed_ ? ctx.workspace.Get<float>(buffer()) : diff_weights;
  }
  void FinishGradient(const RunContext& ctx, float* diff_weights) const {
    if (packed_) Reorder(ctx.workers, ctx.workspace.Get<float>(buffer()), diff_weights, false);
  }
  // Channels [c0, c1) (all their outputs) of a gradient in the kernels' layout, set to zero.
  void ZeroChannels(float* gradient, int64_t c0, int64_t c1) const {
    if (!nhwc_) return ZeroFloats(gradient + c0 * m_ * taps_, (c1 - c0) * m_ * taps_);
    for (int64_t row = 0; row < m_ * taps_; ++row) ZeroFloats(gradient + row * channels_ + c0, c1 - c0);
  }

 private:
  int64_t KernelIndex(int64_t o, int64_t tap) const {
    if (flip_) tap = taps_ - 1 - tap;
    return nhwc_ ? ((o % m_) * taps_ + tap) * channels_ + o / m_ : o * taps_ + tap;
  }
  int64_t FilterIndex(int64_t o, int64_t tap) const { return hwio_ ? tap * channels_ * m_ + o : o * taps_ + tap; }
  // to_kernels: filter layout -> kernels' layout, else back.
  void Reorder(int workers, const float* from, float* to, bool to_kernels) const {
    const int64_t outputs = channels_ * m_, chunk = 64;
    ForEachTask(workers, CeilDiv(outputs, chunk), [&](int, int64_t i) {
      const Range o = BlockOf(i, chunk, outputs);
      for (int64_t oc = o.begin; oc < o.end; ++oc) {
        for (int64_t tap = 0; tap < taps_; ++tap) {
          const int64_t k = KernelIndex(oc, tap), f = FilterIndex(oc, tap);
          to[to_kernels ? k : f] = from[to_kernels ? f : k];
        }
      }
    });
  }

  bool nhwc_, hwio_, flip_;
  int64_t channels_, m_, taps_;
  bool packed_;
};

// Backprop-input at stride 1 with one output per channel is a forward pass over diff_dst with the filter
// reversed and the pads mirrored (eff - 1 - pad): run as one, it gets the forward kernel's windows.
bool BackpropInputAsForward(Direction direction, const Conv2dGeometry& g, bool nhwc_kernels) {
  return direction == Direction::kBackpropInput && nhwc_kernels && g.out_channels_per_group() == 1 &&
         g.height.stride == 1 && g.width.stride == 1;
}

// NCHW forward and backprop-input with at least a vector of channels, one output each, run on the NHWC kernels,
// whose vectors run over channels (the NCHW kernels' run over a plane's columns: short on small planes, strided at
// stride 2): each task transposes a vector's worth of channels of one image to NHWC, runs them, and transposes the
// result back. bench/thin, alternating runs: 1.06-5.5x the NCHW kernels on every such layer; with a channel
// multiplier of 2 (the NHWC windows take one output per channel) it ran 0.77-0.84x, so that keeps the NCHW kernels.
bool ThroughNhwc(const Problem& p) {
  const Conv2dGeometry& g = p.geometry;
  return g.data_format == DataFormat::kNCHW && p.direction != Direction::kBackpropFilter &&
         g.in_channels >= static_cast<int64_t>(p.kernels.lanes) && g.out_channels_per_group() == 1;
}

kernels::DwGeometry MirroredForward(const kernels::DwGeometry& g) {
  kernels::DwGeometry f = g;
  f.in_h = g.out_h, f.in_w = g.out_w, f.out_h = g.in_h, f.out_w = g.in_w;
  f.pad_top = (g.kernel_h - 1) * g.dilation_h - g.pad_top;
  f.pad_left = (g.kernel_w - 1) * g.dilation_w - g.pad_left;
  return f;
}

// Forward and backprop-input: each task computes its own block of the result.
class DwProduct final : public Executable {
 public:
  DwProduct(const Problem& p, WorkspaceLayout* layout)
      : g_(p.geometry), transposed_(ThroughNhwc(p)),
        nhwc_kernels_(g_.data_format == DataFormat::kNHWC || transposed_),
        as_forward_(BackpropInputAsForward(p.direction, g_, nhwc_kernels_)),
        dw_(as_forward_ ? MirroredForward(DwGeometryOf(g_)) : DwGeometryOf(g_)),
        weights_(g_, nhwc_kernels_, as_forward_), forward_(p.direction == Direction::kForward),
        epilogue_(p.post_ops) {
    weights_.Book(layout, p.prepacked_weights);
    const int64_t lanes = static_cast<int64_t>(p.kernels.lanes);
    const int64_t out_pixels = result_rows() * result_width();
    if (!nhwc_kernels_) {
      const auto pass = forward_ ? kernels::DwPass::kForward : kernels::DwPass::kBackpropInput;
      const int64_t floats = kernels::DwNchwScratch(dw_, pass, lanes).floats();
      layout->BookPerWorker(kScratch, static_cast<size_t>(floats) * sizeof(float), 64, "one set of padded planes");
      epilogue_.BookSaved(layout, out_pixels * out_per_channel());
      set_tasks(TaskSpace({g_.batch, g_.in_channels}));
      return;
    }
    const int64_t rows = result_rows(), width = result_width();
    rows_per_task_ = std::min(rows, std::max<int64_t>(1, CeilDiv(kTaskPixels, std::max<int64_t>(1, width))));
    channels_per_task_ = std::min(g_.in_channels, transposed_ ? lanes : kTaskChannels);
    epilogue_.BookSaved(layout, (transposed_ ? out_pixels : rows_per_task_ * width) * channels_per_task_ *
                                    out_per_channel());
    if (forward_ || as_forward_) {
      const int64_t floats = kernels::DwForwardNhwcScratch(dw_, rows_per_task_, channels_per_task_, lanes);
      layout->BookPerWorker(kScratch, static_cast<size_t>(floats) * sizeof(float), 64, "one band of padded input rows");
    }
    const int64_t channel_blocks = CeilDiv(g_.in_channels, channels_per_task_);
    if (transposed_) {
      const int64_t src_floats = channels_per_task_ * g_.height.input * g_.width.input;
      const int64_t dst_floats = channels_per_task_ * g_.height.output * g_.width.output;
      layout->BookPerWorker(kPixelsIn, static_cast<size_t>(forward_ ? src_floats : dst_floats) * sizeof(float), 64,
                            "one block of channels of the input, transposed to NHWC");
      layout->BookPerWorker(kPixelsOut, static_cast<size_t>(forward_ ? dst_floats : src_floats) * sizeof(float), 64,
                            "its result in NHWC");
      set_tasks(TaskSpace({g_.batch, channel_blocks}));
      return;
    }
    set_tasks(TaskSpace({g_.batch, CeilDiv(rows, rows_per_task_), channel_blocks}));
  }
  std::string Describe() const override {
    if (!nhwc_kernels_) return "of one plane";
    return StrCat("of ", transposed_ ? "all" : StrCat(rows_per_task_), " rows x ", channels_per_task_, " channels",
                  transposed_ ? " transposed to NHWC and back" : "",
                  as_forward_ ? ", as a forward pass with the filter reversed" : "");
  }
  const WeightsPacking* weights_packing() const override { return &weights_; }
  bool fuses_post_ops() const override { return true; }

  void Run(const RunContext& ctx, const Operands& io) const override {
    const float* w = weights_.Prepare(ctx, io.weights);
    const float* in = forward_ ? io.src : io.diff_dst;
    float* out = forward_ ? io.dst : io.diff_src;
    const int64_t src_image = g_.in_channels * g_.height.input * g_.width.input;
    const int64_t dst_image = g_.out_channels * g_.height.output * g_.width.output;
    const int64_t in_image = forward_ ? src_image : dst_image, out_image = forward_ ? dst_image : src_image;
    const int64_t out_channels = forward_ ? g_.out_channels : g_.in_channels, m = out_per_channel();
    const int64_t out_width = result_width(), out_pixels = out_width * result_rows();
    ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
      const TaskSpace::Digits d = tasks().Decode(task);
      const float* image = in + d[0] * in_image;
      float* result = out + d[0] * out_image;
      // The block of the result this task writes: pixels x its channels' outputs.
      Range px{0, out_pixels}, c{d[1], d[1] + 1};
      if (transposed_) c = BlockOf(d[1], channels_per_task_, g_.in_channels);
      if (nhwc_kernels_ && !transposed_) {
        const Range r = BlockOf(d[1], rows_per_task_, result_rows());
        px = {r.begin * out_width, r.end * out_width}, c = BlockOf(d[2], channels_per_task_, g_.in_channels);
      }
      const gemm::Matrix block =
          PixelMatrix(g_.data_format, result, out_pixels, out_channels, px, c.begin * m, c.size() * m);
      epilogue_.Around(ctx.workspace, worker, block, BlockBias(io.bias, c.begin * m), [&] {
        if (transposed_) return RunTransposed(ctx, worker, d[1], image, w, result);
        if (!nhwc_kernels_) {
          float* scratch = ctx.workspace.Get<float>(kScratch, worker);
          const auto kernel = forward_ ? ctx.kernels.dw_forward_nchw : ctx.kernels.dw_backprop_input_nchw;
          return kernel(dw_, d[1], image, w, result, scratch);
        }
        RunNhwc(ctx, worker, dw_, {px.begin / out_width, px.end / out_width, c.begin, c.end}, image, w, result);
      });
    });
  }

 private:
  // The result's rows and columns (forward's dst, backprop-input's diff_src) and its outputs per channel (forward's
  // multiplier; diff_src has one).
  int64_t result_rows() const { return forward_ ? g_.height.output : g_.height.input; }
  int64_t result_width() const { return forward_ ? g_.width.output : g_.width.input; }
  int64_t out_per_channel() const { return forward_ ? g_.out_channels_per_group() : 1; }

  void RunNhwc(const RunContext& ctx, int worker, const kernels::DwGeometry& g, const kernels::DwTile& tile,
               const float* in, const float* w, float* out) const {
    if (forward_ || as_forward_) {
      float* scratch = ctx.workspace.Get<float>(kScratch, worker);
      return ctx.kernels.dw_forward_nhwc(g, tile, in, w, weights_.ldw(), out, scratch);
    }
    ctx.kernels.dw_backprop_input_nhwc(g, tile, in, w, weights_.ldw(), out);
  }

  // Channel block `block` of one image (one output per channel): its input planes to NHWC, the NHWC kernels over
  // all rows, the result back to planes.
  void RunTransposed(const RunContext& ctx, int worker, int64_t block, const float* in, const float* w,
                     float* out) const {
    const Range c = BlockOf(block, channels_per_task_, g_.in_channels);
    const int64_t src_plane = g_.height.input * g_.width.input, dst_plane = g_.height.output * g_.width.output;
    const int64_t in_plane = forward_ ? src_plane : dst_plane, out_plane = forward_ ? dst_plane : src_plane;
    float* pixels_in = ctx.workspace.Get<float>(kPixelsIn, worker);
    float* pixels_out = ctx.workspace.Get<float>(kPixelsOut, worker);
    ctx.kernels.transpose(in + c.begin * in_plane, in_plane, c.size(), in_plane, pixels_in, c.size());
    kernels::DwGeometry g = dw_;
    g.channels = c.size();
    const int64_t rows = result_rows();
    for (int64_t r = 0; r < rows; r += rows_per_task_) {
      const kernels::DwTile tile{r, std::min(rows, r + rows_per_task_), 0, c.size()};
      RunNhwc(ctx, worker, g, tile, pixels_in, w + c.begin, pixels_out);
    }
    ctx.kernels.transpose(pixels_out, c.size(), out_plane, c.size(), out + c.begin * out_plane, out_plane);
  }

  const Conv2dGeometry& g_;
  bool transposed_, nhwc_kernels_, as_forward_;
  kernels::DwGeometry dw_;  // the kernels' geometry: the problem's, or the mirrored forward pass's
  DwWeights weights_;
  bool forward_;
  Epilogue epilogue_;
  int64_t rows_per_task_ = 0, channels_per_task_ = 0;
};

// Backprop-filter: tasks own channel blocks and sum images, then rows, then columns, in order.
class DwFilter final : public Executable {
 public:
  DwFilter(const Problem& p, WorkspaceLayout* layout)
      : g_(p.geometry), dw_(DwGeometryOf(g_)), weights_(g_, g_.data_format == DataFormat::kNHWC, false) {
    weights_.Book(layout, false);
    nchw_ = g_.data_format == DataFormat::kNCHW;
    if (nchw_) {
      const int64_t floats =
          kernels::DwNchwScratch(dw_, kernels::DwPass::kBackpropFilter, static_cast<int64_t>(p.kernels.lanes)).floats();
      layout->BookPerWorker(kScratch, static_cast<size_t>(floats) * sizeof(float), 64, "one set of padded planes");
    }
    channels_per_task_ = nchw_ ? 1 : std::min(g_.in_channels, kFilterTaskChannels);
    // NHWC pixels a multiple of 4 KB apart (1024 channels) put every tap a channel vector reads in one L1 set (64
    // sets of 64 bytes): 8 lines, fewer than a kernel pass keeps in use (up to 14 taps and the gradient), so the
    // loads evict each other. Each call's rows of the task's channels are then first copied compact:
    // MobileNetV1's 7x7x1024 layer 1.09-1.11x in the median process, 1.6x in the fastest, on AVX2. At 512
    // channels (two sets, 16 lines, enough) the copies cost 0.75x in the median.
    compact_ = !nchw_ && g_.in_channels % 1024 == 0;
    if (compact_) {
      // The input rows a call's output rows reach, from its first row's first tap to its last row's last.
      const int64_t rows =
          kernels::TapInput<int64_t>(kFilterRows - 1, dw_.stride_h, 0, dw_.kernel_h - 1, dw_.dilation_h) + 1;
      const int64_t src_floats = std::min(rows, dw_.in_h) * dw_.in_w * channels_per_task_;
      const int64_t diff_dst_floats = kFilterRows * dw_.out_w * channels_per_task_ * dw_.multiplier;
      layout->BookPerWorker(kFilterSrcRows, static_cast<size_t>(src_floats) * sizeof(float), 64,
                            "the input rows of one call, the task's channels");
      layout->BookPerWorker(kFilterDiffDstRows, static_cast<size_t>(diff_dst_floats) * sizeof(float), 64,
                            "the output gradient rows of one call, the task's channels");
    }
    set_tasks(TaskSpace({CeilDiv(g_.in_channels, channels_per_task_)}));
  }
  std::string Describe() const override {
    const char* rows = compact_ ? ", rows copied compact" : "";
    return StrCat("of ", channels_per_task_, nchw_ ? " channel" : " channels", rows);
  }

  void Run(const RunContext& ctx, const Operands& io) const override {
    float* gradient = weights_.Gradient(ctx, io.diff_weights);
    const int64_t src_image = g_.in_channels * g_.height.input * g_.width.input;
    const int64_t dst_image = g_.out_channels * g_.height.output * g_.width.output;
    ForEachTask(ctx.workers, tasks().size(), [&](int worker, int64_t task) {
      const Range c = BlockOf(task, channels_per_task_, g_.in_channels);
      weights_.ZeroChannels(gradient, c.begin, c.end);
      for (int64_t n = 0; n < g_.batch; ++n) {
        const float* src = io.src + n * src_image;
        const float* diff_dst = io.diff_dst + n * dst_image;
        if (nchw_) {
          ctx.kernels.dw_backprop_filter_nchw(dw_, c.begin, src, diff_dst, gradient,
                                              ctx.workspace.Get<float>(kScratch, worker));
          continue;
        }
        for (int64_t r = 0; r < g_.height.output; r += kFilterRows) {
          const kernels::DwTile tile{r, std::min(g_.height.output, r + kFilterRows), c.begin, c.end};
          if (compact_) {
            RunCompact(ctx, worker, tile, src, diff_dst, gradient);
          } else {
            ctx.kernels.dw_backprop_filter_nhwc(dw_, tile, src, diff_dst, weights_.ldw(), gradient);
          }
        }
      }
    });
    weights_.FinishGradient(ctx, io.diff_weights);
  }

 private:
  // The tile's input rows and gradient rows, its channels only, copied to the worker's buffers: the kernel sees an
  // image of those channels whose first row is the first the tile reaches (the padding above it, if any, stays
  // padding), and runs the same multiply-adds in the same order.
  void RunCompact(const RunContext& ctx, int worker, const kernels::DwTile& tile, const float* src,
                  const float* diff_dst, float* gradient) const {
    const int64_t channels = tile.c1 - tile.c0, m = dw_.multiplier;
    const int64_t s = dw_.stride_h, pad = dw_.pad_top, last_tap = dw_.kernel_h - 1, d = dw_.dilation_h;
    const int64_t first = std::max<int64_t>(0, kernels::TapInput(tile.row0, s, pad, 0, d));
    const int64_t end = std::min(dw_.in_h, kernels::TapInput(tile.row1 - 1, s, pad, last_tap, d) + 1);
    kernels::DwGeometry g = dw_;
    g.channels = channels;
    g.in_h = std::max<int64_t>(0, end - first);
    g.out_h = tile.row1 - tile.row0;
    g.pad_top = dw_.pad_top - tile.row0 * dw_.stride_h + first;
    float* src_rows = ctx.workspace.Get<float>(kFilterSrcRows, worker);
    float* diff_dst_rows = ctx.workspace.Get<float>(kFilterDiffDstRows, worker);
    for (int64_t p = 0; p < g.in_h * g.in_w; ++p) {
      std::copy_n(src + (first * g.in_w + p) * dw_.channels + tile.c0, channels, src_rows + p * channels);
    }
    for (int64_t p = 0; p < g.out_h * g.out_w; ++p) {
      std::copy_n(diff_dst + (tile.row0 * g.out_w + p) * dw_.channels * m + tile.c0 * m, channels * m,
                  diff_dst_rows + p * channels * m);
    }
    const kernels::DwTile rows{0, g.out_h, 0, channels};
    ctx.kernels.dw_backprop_filter_nhwc(g, rows, src_rows, diff_dst_rows, weights_.ldw(), gradient + tile.c0);
  }

  const Conv2dGeometry& g_;
  kernels::DwGeometry dw_;
  DwWeights weights_;
  bool nchw_ = false, compact_ = false;
  int64_t channels_per_task_ = 1;
};

class Depthwise final : public Algorithm {
 public:
  const char* name() const override { return "depthwise"; }
  std::string Declines(const Problem& p) const override {
    const std::string why = DeclinesForPaddedBand(p);
    if (!why.empty()) return why;
    const Conv2dGeometry& g = p.geometry;
    if (g.in_channels_per_group() != 1) {
      return StrCat("not depthwise: ", g.in_channels_per_group(), " input channels per group");
    }
    const int64_t m = g.out_channels_per_group(), lanes = static_cast<int64_t>(p.kernels.lanes);
    if (g.data_format == DataFormat::kNHWC && p.direction != Direction::kBackpropInput && m % lanes == 0) {
      return StrCat(m, " outputs per channel fill whole vectors: direct_nhwc broadcasts each input across them");
    }
    // NHWC backprop-input vectorizes over the input channels; a few channels with many outputs each (a 1-channel
    // image into 64) leave its vectors nearly empty, 7x slower than im2col + GEMM.
    if (g.data_format == DataFormat::kNHWC && p.direction == Direction::kBackpropInput && g.in_channels < lanes &&
        m >= lanes) {
      return StrCat("NHWC backprop-input with ", g.in_channels, " channels of ", m,
                    " outputs each: vectors over the channels would be mostly empty");
    }
    return "";
  }
  std::unique_ptr<const Executable> Plan(const Problem& p, WorkspaceLayout* layout) const override {
    if (p.direction == Direction::kBackpropFilter) return std::make_unique<DwFilter>(p, layout);
    return std::make_unique<DwProduct>(p, layout);
  }
};

}  // namespace

const Algorithm& DepthwiseAlgorithm() {
  static const Depthwise algorithm;
  return algorithm;
}

}  // namespace internal
}  // namespace colconv
