// 1x1, stride 1, no padding: an image is its own column matrix (pixels x channels), so every direction is a GEMM
// on the tensors as they are, with no im2col. Tasks are (image, group, pixel chunk); the output channels are
// never split, since the GEMM is the whole convolution and each split would repack an operand.
#include "src/algorithms/common.h"
#include "src/algorithms/epilogue.h"
#include "src/algorithms/filter_matrix.h"
#include "src/algorithms/gradient_sums.h"
#include "src/algorithms/pixel_matrix.h"
#include "src/parallel.h"
#include "src/str_cat.h"
#include "src/threading.h"

namespace colconv {
namespace internal {
namespace {

// Images are split into pixel chunks no smaller than this (4 to 8% slower at one thread per split on ResNet-50's
// 14x14 and 7x7 layers, measured).
constexpr int64_t kMinChunkPixels = 1024;

struct PointwiseTiling {
  explicit PointwiseTiling(const Problem& p)
      : g(p.geometry), filter(g, p.direction, p.kernels.transpose), pixels(g.height.output * g.width.output),
        chunk(std::min(pixels, std::max(kMinChunkPixels,
                                        CeilDiv(pixels, CeilDiv(kMinTasks, std::max<int64_t>(1, g.batch * g.groups)))))) {}
  int64_t chunks() const { return CeilDiv(pixels, chunk); }
  Range Chunk(int64_t i) const { return BlockOf(i, chunk, pixels); }
  // Chunk `px` of image n: pixels x the group's input (or output) channels.
  template <typename T>
  gemm::View<T> Src(T* src, int64_t n, Range px, int64_t group) const {
    const int64_t icg = g.in_channels_per_group();
    return PixelMatrix(g.data_format, src + n * pixels * g.in_channels, pixels, g.in_channels, px, group * icg, icg);
  }
  template <typename T>
  gemm::View<T> Dst(T* dst, int64_t n, Range px, int64_t group) const {
    const int64_t ocg = g.out_channels_per_group();
    return PixelMatrix(g.data_format, dst + n * pixels * g.out_channels, pixels, g.out_channels, px, group * ocg, ocg);
  }
  std::string Describe() const { return StrCat("of ", chunk, " px"); }

  const Conv2dGeometry& g;
  FilterMatrix filter;
  int64_t pixels, chunk;
};

// Forward and backprop-input: one GEMM per task, dst = src x w or diff_src = diff_dst x w^T.
class PointwiseProduct final : public Executable {
 public:
  PointwiseProduct(const Problem& p, WorkspaceLayout* layout)
      : t_(p), epilogue_(p.post_ops), forward_(p.direction == Direction::kForward) {
    t_.filter.Book(layout, p.prepacked_weights);
    set_tasks(TaskSpace({p.geometry.batch, p.geometry.groups, t_.chunks()}));
  }
  std::string Describe() const override { return t_.Describe(); }
  const WeightsPacking* weights_packing() const override { return &t_.filter; }
  bool fuses_post_ops() const override { return true; }
  void Run(const RunContext& ctx, const Operands& io) const override {
    const float* weights = t_.filter.Prepare(ctx, io.weights);
    ForEachTask(ctx.workers, tasks().size(), [&](int, int64_t task) {
      const TaskSpace::Digits d = tasks().Decode(task);
      const int64_t n = d[0], group = d[1];
      const Range px = t_.Chunk(d[2]);
      const gemm::ConstMatrix w = t_.filter.Of(weights, group);
      if (forward_) {  // dst[px, oc] (+)= src[px, ic] * w[ic, oc]
        const gemm::Matrix dst = t_.Dst(io.dst, n, px, group);
        ctx.gemm.Multiply(t_.Src(io.src, n, px, group), w, epilogue_.beta(), dst);
        const int64_t first_channel = group * t_.g.out_channels_per_group();
        epilogue_.Apply(dst, BlockBias(io.bias, first_channel), nullptr);
      } else {  // diff_src[px, ic] (+)= diff_dst[px, oc] * w[ic, oc]^T: the GEMM writes diff_src itself
        ctx.gemm.Multiply(t_.Dst(io.diff_dst, n, px, group), w.Transpose(), epilogue_.beta(),
                          t_.Src(io.diff_src, n, px, group));
      }
    });
  }

 private:
  PointwiseTiling t_;
  Epilogue epilogue_;
  bool forward_;
};

class PointwiseBackpropFilter final : public Executable {
 public:
  PointwiseBackpropFilter(const Problem& p, WorkspaceLayout* layout)
      : t_(p), sums_(t_.filter, p.geometry.batch * t_.chunks()) {
    sums_.Book(layout, p.workspace_budget);
    set_tasks(sums_.Tasks(p.geometry.groups, t_.filter.k()));
  }
  std::string Describe() const override { return t_.Describe() + sums_.Describe(); }
  void Run(const RunContext& ctx, const Operands& io) const override {
    const int64_t chunks = t_.chunks();
    sums_.Sum(ctx, tasks(), t_.filter.k(), io.diff_weights,
              [&](int, int64_t group, int64_t unit, Range, float beta, const gemm::Matrix& dw) {
                const int64_t n = unit / chunks;
                const Range px = t_.Chunk(unit % chunks);
                // dw[ic, oc] (+)= src[px, ic]^T * diff_dst[px, oc]
                ctx.gemm.Multiply(t_.Src(io.src, n, px, group).Transpose(), t_.Dst(io.diff_dst, n, px, group), beta,
                                  dw);
              });
  }

 private:
  PointwiseTiling t_;
  GradientSums sums_;
};

class PointwiseGemm final : public Algorithm {
 public:
  const char* name() const override { return "pointwise_gemm"; }
  std::string Declines(const Problem& p) const override {
    const Conv2dGeometry& g = p.geometry;
    const std::string why = DeclinesForGemm(p);
    if (!why.empty()) return why;
    if (g.height.filter != 1 || g.width.filter != 1) return "the filter is not 1x1";
    if (g.height.stride != 1 || g.width.stride != 1) return "the stride is not 1";
    if (Padded(g)) return "the input is padded";
    return "";
  }
  std::unique_ptr<const Executable> Plan(const Problem& p, WorkspaceLayout* layout) const override {
    if (p.direction == Direction::kBackpropFilter) return std::make_unique<PointwiseBackpropFilter>(p, layout);
    return std::make_unique<PointwiseProduct>(p, layout);
  }
};

}  // namespace

const Algorithm& PointwiseGemmAlgorithm() {
  static const PointwiseGemm algorithm;
  return algorithm;
}

}  // namespace internal
}  // namespace colconv
