// A plan: one resolved problem with its algorithm, tiles, tasks, kernels and workspace, all fixed when it is
// made. Tile boundaries and tasks depend on the problem (and the machine's L2 size) only, never on the thread
// count or the budget, so every run gives the same bits whatever runs it.
#ifndef COLCONV_SRC_PLAN_H_
#define COLCONV_SRC_PLAN_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "colconv/conv2d.h"
#include "src/kernels/kernels.h"

namespace colconv {
namespace internal {

enum class Algorithm {
  kEmpty,       // nothing to compute: the result is empty or all zeros
  kIm2colGemm,  // tiles of the column matrix (im2col/col2im) around cblas_sgemm
  kDirectGemm,  // 1x1, stride 1, no padding: the input already is the column matrix
  kBatchGemm,   // the filter covers the whole input (VALID): one GEMM row per image
  kReference,   // pads, strides or dilations beyond any real network (> 2^30): the oracle's 128-bit positions
};

struct PlanImpl {
  Direction direction = Direction::kForward;
  Conv2dGeometry geometry;
  Algorithm algorithm = Algorithm::kEmpty;
  kernels::KernelTable kernels{};
  kernels::KOrder k_order = kernels::KOrder::kTapMajor;
  // NHWC data with an OIHW filter: the GEMMs see a tap-major copy [group][k][oc] in the shared workspace.
  bool pack_weights = false;

  int64_t pixels = 0;         // output pixels per image
  int64_t k = 0;              // K per group: kernel_h * kernel_w * in_channels_per_group
  int64_t tile_pixels = 0;    // pixels per tile (or images per task for kBatchGemm)
  int64_t tile_k = 0;         // K per slice
  int64_t channel_block = 0;  // backprop-input: input channels per task (NCHW with OIHW), else the whole group
  int64_t oc_block = 0;       // output channels per task
  int64_t partials = 1;       // backprop-filter: partial sums of the gradient, each over a run of (image, tile)
  int64_t num_tasks = 0;
  int workers = 1;            // tasks running at once, each with its own slot of the workspace

  size_t shared_floats = 0;   // the packed filter (pack_weights) and the extra partial sums of the gradient
  size_t slot_floats = 0;     // one tile buffer per worker
  size_t workspace_bytes = 0;
  std::string description;

  // The plan's own workspace, lent to one run at a time.
  std::unique_ptr<unsigned char[]> owned_workspace;
  mutable std::atomic<bool> owned_workspace_busy{false};
};

Status MakePlan(Direction direction, const Conv2dGeometry& geometry, const PlanOptions& options,
                std::shared_ptr<PlanImpl>* plan);

// The three runs (conv_fwd.cc, conv_bwd_data.cc, conv_bwd_filter.cc). Pointers are checked by the caller;
// `workspace` holds plan.workspace_bytes at any alignment.
void RunForward(const PlanImpl& plan, const float* src, const float* weights, float* dst, void* workspace);
void RunBackpropInput(const PlanImpl& plan, const float* weights, const float* diff_dst, float* diff_src,
                      void* workspace);
void RunBackpropFilter(const PlanImpl& plan, const float* src, const float* diff_dst, float* diff_weights,
                       void* workspace);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_PLAN_H_
