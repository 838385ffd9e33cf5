// Backprop-filter: diff_weights = sum over images of im2col(src)^T x diff_dst. Tasks are (group, K slice,
// output-channel block): each owns its block of diff_weights and sums the images and pixel tiles in order, so
// the result is the same for any number of threads (no partial sums to combine).
#include <cstring>

#include "src/blas.h"
#include "src/conv_common.h"
#include "src/parallel.h"
#include "src/weights_pack.h"

namespace colconv {
namespace internal {

void RunBackpropFilter(const PlanImpl& plan, const float* src, const float* diff_dst, float* diff_weights,
                       void* workspace) {
  const Conv2dGeometry& g = plan.geometry;
  if (plan.algorithm == Algorithm::kEmpty) {  // no image or no output pixel: the gradient is zero
    const int64_t count = g.out_channels * g.in_channels_per_group() * g.height.filter * g.width.filter;
    std::memset(diff_weights, 0, static_cast<size_t>(count) * sizeof(float));
    return;
  }
  const Workspace ws(plan, workspace);
  const blas::SingleThreadScope single_threaded_blas;
  const bool nhwc = g.data_format == DataFormat::kNHWC;
  const int64_t ocg = g.out_channels_per_group(), icg = g.in_channels_per_group();
  const int64_t image = g.in_channels * g.height.input * g.width.input;
  const int64_t P = plan.pixels;
  const int64_t k_slices = CeilDiv(plan.k, plan.tile_k), oc_blocks = CeilDiv(ocg, plan.oc_block);
  const int64_t pixel_tiles = CeilDiv(P, plan.tile_pixels);
  const kernels::ColGeometry cg = ColGeometryOf(g);

  ForEachTask(plan.workers, plan.num_tasks, [&](int worker, int64_t task) {
    int64_t d[3];
    Decode(task, {g.groups, k_slices, oc_blocks}, d);
    const int64_t group = d[0];
    const Range kr = BlockOf(d[1], plan.tile_k, plan.k), oc = BlockOf(d[2], plan.oc_block, ocg);
    // With NHWC data an OIHW gradient is summed tap-major in the shared workspace, then reordered.
    const MatrixView<float> dw = FilterView<float>(plan, diff_weights, ws.shared(), group);
    float* c = dw.At(kr.begin, oc.begin);
    float* col = ws.slot(worker);
    float beta = 0.0f;
    if (plan.algorithm == Algorithm::kBatchGemm) {
      // dw[k, oc] = src[n, k]^T * diff_dst[n, oc] over all images at once.
      const float* a = src + group * plan.k + kr.begin;
      const float* b = diff_dst + group * ocg + oc.begin;
      if (dw.k_rows) {
        blas::Sgemm(true, false, kr.size(), oc.size(), g.batch, a, image, b, g.out_channels, 0.0f, c, dw.ld);
      } else {
        blas::Sgemm(true, false, oc.size(), kr.size(), g.batch, b, g.out_channels, a, image, 0.0f, c, dw.ld);
      }
    } else {
      for (int64_t n = 0; n < g.batch; ++n) {
        const float* src_image = src + n * image;
        for (int64_t pt = 0; pt < pixel_tiles; ++pt, beta = 1.0f) {
          const Range px = BlockOf(pt, plan.tile_pixels, P);
          const kernels::ColTile t{group * icg, icg, px.begin, px.end, kr.begin, kr.end, plan.k_order};
          if (nhwc) {
            // dw[k, oc] (+)= col[px, k]^T * diff_dst[px, oc]
            const float* a = src_image + px.begin * g.in_channels + group * icg + kr.begin;
            int64_t lda = g.in_channels;
            if (plan.algorithm == Algorithm::kIm2colGemm) {
              plan.kernels.im2col_nhwc(cg, t, src_image, col, kr.size());
              a = col;
              lda = kr.size();
            }
            blas::Sgemm(true, false, kr.size(), oc.size(), px.size(), a, lda,
                        diff_dst + (n * P + px.begin) * g.out_channels + group * ocg + oc.begin, g.out_channels, beta,
                        c, dw.ld);
          } else {
            const float* b = src_image + (group * icg + kr.begin) * P + px.begin;
            int64_t ldb = P;
            if (plan.algorithm == Algorithm::kIm2colGemm) {
              plan.kernels.im2col_nchw(cg, t, src_image, col, px.size());
              b = col;
              ldb = px.size();
            }
            const float* dy = diff_dst + (n * g.out_channels + group * ocg + oc.begin) * P + px.begin;
            if (dw.k_rows) {  // dw[k, oc] (+)= col[k, px] * diff_dst[oc, px]^T
              blas::Sgemm(false, true, kr.size(), oc.size(), px.size(), b, ldb, dy, P, beta, c, dw.ld);
            } else {          // dw[oc, k] (+)= diff_dst[oc, px] * col[k, px]^T
              blas::Sgemm(false, true, oc.size(), kr.size(), px.size(), dy, P, b, ldb, beta, c, dw.ld);
            }
          }
        }
      }
    }
    if (plan.pack_weights) UnpackTapMajorToOihw(g, ws.shared(), group, kr.begin, kr.end, oc.begin, oc.end, diff_weights);
  });
}

}  // namespace internal
}  // namespace colconv
