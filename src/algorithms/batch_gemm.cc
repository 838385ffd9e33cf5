// The filter covers the whole (unpadded) input: each image is one row of the column matrix as it is stored, so a
// run of images is one GEMM with M = images. Tasks are (group, run of images) and, for backprop-filter, partial sums
// over the runs.
#include "src/algorithms/common.h"
#include "src/algorithms/epilogue.h"
#include "src/algorithms/filter_matrix.h"
#include "src/algorithms/gradient_sums.h"
#include "src/parallel.h"
#include "src/threading.h"

namespace colconv {
namespace internal {
namespace {

// What the three directions share: images per task, and the images and filter as GEMM operands.
struct BatchTiling {
  explicit BatchTiling(const Problem& p)
      : g(p.geometry), filter(g, p.direction, p.kernels.transpose),
        images_per_task(std::max<int64_t>(1, CeilDiv(g.batch, kMinTasks))),
        image(g.in_channels * g.height.input * g.width.input) {}
  int64_t blocks() const { return CeilDiv(g.batch, images_per_task); }
  Range Images(int64_t block) const { return BlockOf(block, images_per_task, g.batch); }
  // Images x K: NCHW keeps a group's channels together, so its K values start at group * K; NHWC has one group.
  template <typename T>
  gemm::View<T> Columns(T* images, Range block, int64_t group) const {
    return gemm::RowMajor(images + block.begin * image + group * filter.k(), block.size(), filter.k(), image);
  }
  // Images x OCg: one output pixel per image, so both layouts store [image][channel].
  template <typename T>
  gemm::View<T> Outputs(T* outputs, Range block, int64_t group) const {
    const int64_t ocg = g.out_channels_per_group();
    return gemm::RowMajor(outputs + block.begin * g.out_channels + group * ocg, block.size(), ocg, g.out_channels);
  }

  const Conv2dGeometry& g;
  FilterMatrix filter;
  int64_t images_per_task, image;
};

// Forward and backprop-input: one GEMM per task, dst = src x w or diff_src = diff_dst x w^T.
class BatchProduct final : public Executable {
 public:
  BatchProduct(const Problem& p, WorkspaceLayout* layout)
      : t_(p), epilogue_(p.post_ops), forward_(p.direction == Direction::kForward) {
    t_.filter.Book(layout, p.prepacked_weights);
    set_tasks(TaskSpace({p.geometry.groups, t_.blocks()}));
  }
  const WeightsPacking* weights_packing() const override { return &t_.filter; }
  bool fuses_post_ops() const override { return true; }
  void Run(const RunContext& ctx, const Operands& io) const override {
    const float* weights = t_.filter.Prepare(ctx, io.weights);
    ForEachTask(ctx.workers, tasks().size(), [&](int, int64_t task) {
      const TaskSpace::Digits d = tasks().Decode(task);
      const int64_t group = d[0];
      const Range images = t_.Images(d[1]);
      const gemm::ConstMatrix w = t_.filter.Of(weights, group);
      if (forward_) {  // dst[n, oc] (+)= src[n, k] * w[k, oc]
        const gemm::Matrix dst = t_.Outputs(io.dst, images, group);
        ctx.gemm.Multiply(t_.Columns(io.src, images, group), w, epilogue_.beta(), dst);
        const int64_t first_channel = group * t_.g.out_channels_per_group();
        epilogue_.Apply(dst, BlockBias(io.bias, first_channel), nullptr);
      } else {  // diff_src[n, k] (+)= diff_dst[n, oc] * w[k, oc]^T
        ctx.gemm.Multiply(t_.Outputs(io.diff_dst, images, group), w.Transpose(), epilogue_.beta(),
                          t_.Columns(io.diff_src, images, group));
      }
    });
  }

 private:
  BatchTiling t_;
  Epilogue epilogue_;
  bool forward_;
};

class BatchBackpropFilter final : public Executable {
 public:
  BatchBackpropFilter(const Problem& p, WorkspaceLayout* layout) : t_(p), sums_(t_.filter, t_.blocks()) {
    sums_.Book(layout, p.workspace_budget);
    set_tasks(sums_.Tasks(p.geometry.groups, t_.filter.k()));
  }
  std::string Describe() const override { return sums_.Describe(); }
  void Run(const RunContext& ctx, const Operands& io) const override {
    sums_.Sum(ctx, tasks(), t_.filter.k(), io.diff_weights,
              [&](int, int64_t group, int64_t block, Range, float beta, const gemm::Matrix& dw) {
                // dw[k, oc] (+)= src[n, k]^T * diff_dst[n, oc] for a run of images at once.
                const Range images = t_.Images(block);
                ctx.gemm.Multiply(t_.Columns(io.src, images, group).Transpose(), t_.Outputs(io.diff_dst, images, group),
                                  beta, dw);
              });
  }

 private:
  BatchTiling t_;
  GradientSums sums_;
};

class BatchGemm final : public Algorithm {
 public:
  const char* name() const override { return "batch_gemm"; }
  std::string Declines(const Problem& p) const override {
    const Conv2dGeometry& g = p.geometry;
    const std::string why = DeclinesForGemm(p);
    if (!why.empty()) return why;
    if (Padded(g) || g.height.filter != g.height.input || g.width.filter != g.width.input || g.height.output != 1 ||
        g.width.output != 1) {
      return "the filter does not cover the whole unpadded input";
    }
    if (g.data_format == DataFormat::kNHWC && g.groups > 1) return "NHWC images interleave the groups' channels";
    if (g.data_format == DataFormat::kNCHW && FilterMatrix::KOrderOf(g) != kernels::KOrder::kChannelMajor) {
      return "an NCHW image is not in the HWIO filter's K order";
    }
    return "";
  }
  std::unique_ptr<const Executable> Plan(const Problem& p, WorkspaceLayout* layout) const override {
    if (p.direction == Direction::kBackpropFilter) return std::make_unique<BatchBackpropFilter>(p, layout);
    return std::make_unique<BatchProduct>(p, layout);
  }
};

}  // namespace

const Algorithm& BatchGemmAlgorithm() {
  static const BatchGemm algorithm;
  return algorithm;
}

}  // namespace internal
}  // namespace colconv
