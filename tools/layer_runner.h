// One benchmark layer in one direction: its plan, its random operands, and the GEMM it is measured against.
// Shared by `colconv bench` and `colconv demo`.
#ifndef COLCONV_TOOLS_LAYER_RUNNER_H_
#define COLCONV_TOOLS_LAYER_RUNNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "colconv/conv2d.h"
#include "colconv/operator.h"
#include "hwy/aligned_allocator.h"
#include "src/gemm/gemm.h"
#include "tools/bench_suite.h"

namespace colconv {
namespace cli {

const char* DirName(Direction d);  // FWD, BWD_D, BWD_W, as benchdnn and the peers name them

class LayerRunner {
 public:
  // Plans the layer; false with *error on failure. `prepacked`: runs go through an operator that packed the
  // weights when it was made (as engines run, and as oneDNN's peer times its convolutions: reorder not timed);
  // otherwise through the plan's one-shot calls, which pack them on every call where the algorithm packs.
  bool Init(const Layer& layer, Direction direction, DataFormat data, FilterFormat filter, int threads, bool prepacked,
            std::string* error);
  // One run of the op.
  void Run();
  std::string algorithm() const { return op_.valid() ? op_.algorithm() : plan_.algorithm(); }
  // Compares `samples` elements of the result (spread over it, borders included) with the reference; returns
  // the largest error divided by its tolerance (<= 1 passes).
  double CheckSample(int samples);
  // The im2col GEMM of this direction on one image and group (M, N, K as colconv's NHWC formulation has
  // them), called batch x groups times: the roof a convolution is compared with.
  void RunGemmRoof();
  const Conv2dPlan& plan() const { return plan_; }
  double flops() const { return layer_.Flops(); }

 private:
  Layer layer_;
  Direction direction_ = Direction::kForward;
  Conv2dPlan plan_;
  Conv2dOperator op_;  // valid when prepacked
  // 64-byte aligned, as frameworks allocate tensors: OpenBLAS runs small GEMMs up to 30% slower on operands
  // that are only 16-byte aligned (measured here on its SkylakeX core), and the roof and the convolution must
  // see the same alignment.
  using Buffer = hwy::AlignedFreeUniquePtr<float[]>;
  Buffer a_, b_, out_, workspace_;
  size_t workspace_bytes_ = 0;
  Buffer gemm_a_, gemm_b_, gemm_c_;
  size_t out_count_ = 0;
  const gemm::Backend* backend_ = nullptr;  // the plan's: the process's choice when it was made
  gemm::ConstMatrix roof_a_, roof_b_;
  gemm::Matrix roof_c_;
};

}  // namespace cli
}  // namespace colconv

#endif  // COLCONV_TOOLS_LAYER_RUNNER_H_
