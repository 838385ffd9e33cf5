// Backprop-filter: diff_weights = sum over images of im2col(src)^T x diff_dst. The (image, pixel tile) units are
// cut into a fixed number of runs (plan.partials); tasks are (group, run, K slice), each summing its run in order
// into its own partial gradient, and the partials are then added in a fixed order. Every GEMM keeps the full
// size of the problem's own, and the bits never depend on the thread count.
#include "src/blas.h"
#include "src/conv_common.h"
#include "src/parallel.h"
#include "src/reference/reference.h"
#include "src/weights_pack.h"

namespace colconv {
namespace internal {
namespace {

constexpr int64_t kReduceChunk = 16384;

// The buffer partial r sums into: the output itself (r = 0, unless the output needs unpacking), else a slice of
// the shared workspace, all in the layout the GEMMs write.
float* PartialBuffer(const PlanImpl& plan, float* diff_weights, float* shared, int64_t r) {
  const Conv2dGeometry& g = plan.geometry;
  const int64_t filter_floats = g.groups * plan.k * g.out_channels_per_group();
  if (plan.pack_weights) return shared + r * filter_floats;
  return r == 0 ? diff_weights : shared + (r - 1) * filter_floats;
}

}  // namespace

void RunBackpropFilter(const PlanImpl& plan, const float* src, const float* diff_dst, float* diff_weights,
                       void* workspace) {
  const Conv2dGeometry& g = plan.geometry;
  const int64_t ocg = g.out_channels_per_group(), icg = g.in_channels_per_group();
  const int64_t filter_floats = g.groups * plan.k * ocg;
  if (plan.algorithm == Algorithm::kEmpty) {  // no image or no output pixel: the gradient is zero
    ZeroFloats(diff_weights, filter_floats);
    return;
  }
  if (plan.algorithm == Algorithm::kReference) return reference::BackpropFilter(g, src, diff_dst, diff_weights);
  const Workspace ws(plan, workspace);
  const blas::SingleThreadScope single_threaded_blas;
  const bool nhwc = g.data_format == DataFormat::kNHWC;
  const int64_t image = g.in_channels * g.height.input * g.width.input;
  const int64_t P = plan.pixels;
  const bool batch = plan.algorithm == Algorithm::kBatchGemm;
  const int64_t tiles_per_image = batch ? 1 : CeilDiv(P, plan.tile_pixels);
  const int64_t units = batch ? CeilDiv(g.batch, plan.tile_pixels) : g.batch * tiles_per_image;
  const int64_t k_slices = CeilDiv(plan.k, plan.tile_k);
  const kernels::ColGeometry cg = ColGeometryOf(g);

  ForEachTask(plan.workers, plan.num_tasks, [&](int worker, int64_t task) {
    int64_t d[3];
    Decode(task, {g.groups, plan.partials, k_slices}, d);
    const int64_t group = d[0], r = d[1];
    const Range kr = BlockOf(d[2], plan.tile_k, plan.k);
    const Range run{r * units / plan.partials, (r + 1) * units / plan.partials};
    float* buffer = PartialBuffer(plan, diff_weights, ws.shared(), r);
    const MatrixView<float> dw = FilterView<float>(plan, buffer, buffer, group);
    float* c = dw.At(kr.begin, 0);
    float* col = ws.slot(worker);
    for (int64_t u = run.begin; u < run.end; ++u) {
      const float beta = u == run.begin ? 0.0f : 1.0f;
      if (batch) {
        // dw[k, oc] (+)= src[n, k]^T * diff_dst[n, oc] for a run of images at once.
        const Range images = BlockOf(u, plan.tile_pixels, g.batch);
        const float* a = src + images.begin * image + group * plan.k + kr.begin;
        const float* b = diff_dst + images.begin * g.out_channels + group * ocg;
        if (dw.k_rows) {
          blas::Sgemm(true, false, kr.size(), ocg, images.size(), a, image, b, g.out_channels, beta, c, dw.ld);
        } else {
          blas::Sgemm(true, false, ocg, kr.size(), images.size(), b, g.out_channels, a, image, beta, c, dw.ld);
        }
        continue;
      }
      const int64_t n = u / tiles_per_image;
      const Range px = BlockOf(u % tiles_per_image, plan.tile_pixels, P);
      const float* src_image = src + n * image;
      const kernels::ColTile t{group * icg, icg, px.begin, px.end, kr.begin, kr.end, plan.k_order};
      const bool direct = plan.algorithm == Algorithm::kDirectGemm;  // the input is its own column matrix
      if (nhwc) {
        // dw[k, oc] (+)= col[px, k]^T * diff_dst[px, oc]
        if (!direct) plan.kernels.im2col_nhwc(cg, t, src_image, col, kr.size());
        const float* a = direct ? src_image + px.begin * g.in_channels + group * icg + kr.begin : col;
        const int64_t lda = direct ? g.in_channels : kr.size();
        blas::Sgemm(true, false, kr.size(), ocg, px.size(), a, lda,
                    diff_dst + (n * P + px.begin) * g.out_channels + group * ocg, g.out_channels, beta, c, dw.ld);
      } else {
        if (!direct) plan.kernels.im2col_nchw(cg, t, src_image, col, px.size());
        const float* b = direct ? src_image + (group * icg + kr.begin) * P + px.begin : col;
        const int64_t ldb = direct ? P : px.size();
        const float* dy = diff_dst + (n * g.out_channels + group * ocg) * P + px.begin;
        if (dw.k_rows) {  // dw[k, oc] (+)= col[k, px] * diff_dst[oc, px]^T
          blas::Sgemm(false, true, kr.size(), ocg, px.size(), b, ldb, dy, P, beta, c, dw.ld);
        } else {          // dw[oc, k] (+)= diff_dst[oc, px] * col[k, px]^T
          blas::Sgemm(false, true, ocg, kr.size(), px.size(), dy, P, b, ldb, beta, c, dw.ld);
        }
      }
    }
  });

  // Partial 0 += partial 1 + ... in that order, chunk by chunk; then reorder a packed gradient into OIHW.
  float* total = PartialBuffer(plan, diff_weights, ws.shared(), 0);
  if (plan.partials > 1) {
    ForEachTask(plan.workers, CeilDiv(filter_floats, kReduceChunk), [&](int, int64_t chunk) {
      const Range range = BlockOf(chunk, kReduceChunk, filter_floats);
      for (int64_t r = 1; r < plan.partials; ++r) {
        const float* part = PartialBuffer(plan, diff_weights, ws.shared(), r);
        for (int64_t i = range.begin; i < range.end; ++i) total[i] += part[i];
      }
    });
  }
  if (plan.pack_weights) {
    const int64_t oc_chunks = CeilDiv(ocg, 16);
    ForEachTask(plan.workers, g.groups * oc_chunks, [&](int, int64_t task) {
      const Range oc = BlockOf(task % oc_chunks, 16, ocg);
      UnpackTapMajorToOihw(g, total, task / oc_chunks, 0, plan.k, oc.begin, oc.end, diff_weights);
    });
  }
}

}  // namespace internal
}  // namespace colconv
