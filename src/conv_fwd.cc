// Forward: dst = im2col(src) x filter, tile by tile. Tasks are (image, group, pixel tile, output-channel block);
// each writes its own block of dst, accumulating the K slices of its tile in order.
#include <cstring>

#include "src/blas.h"
#include "src/conv_common.h"
#include "src/parallel.h"
#include "src/reference/reference.h"
#include "src/weights_pack.h"

namespace colconv {
namespace internal {
namespace {

// dst rows of images [n0, n1) when each image is one row of the column matrix (the filter covers the input).
void BatchTask(const PlanImpl& plan, const float* src, const MatrixView<const float>& w, int64_t group, Range images,
               Range oc, float* dst) {
  const Conv2dGeometry& g = plan.geometry;
  const int64_t image = g.in_channels * g.height.input * g.width.input;
  // NCHW keeps a group's channels together, so its K values start at group * K; NHWC has one group here.
  const float* a = src + images.begin * image + group * plan.k;
  blas::Sgemm(false, !w.k_rows, images.size(), oc.size(), plan.k, a, image, w.At(0, oc.begin), w.ld, 0.0f,
              dst + images.begin * g.out_channels + group * g.out_channels_per_group() + oc.begin, g.out_channels);
}

}  // namespace

void RunForward(const PlanImpl& plan, const float* src, const float* weights, float* dst, void* workspace) {
  if (plan.algorithm == Algorithm::kEmpty) return;  // dst has no elements
  if (plan.algorithm == Algorithm::kReference) return reference::Forward(plan.geometry, src, weights, dst);
  const Conv2dGeometry& g = plan.geometry;
  const Workspace ws(plan, workspace);
  const blas::SingleThreadScope single_threaded_blas;
  if (plan.pack_weights) PackFilter(plan, weights, ws.shared());
  const bool nhwc = g.data_format == DataFormat::kNHWC;
  const int64_t ocg = g.out_channels_per_group(), icg = g.in_channels_per_group();
  const int64_t oc_blocks = CeilDiv(ocg, plan.oc_block);
  const int64_t image = g.in_channels * g.height.input * g.width.input;
  const int64_t P = plan.pixels;

  if (plan.algorithm == Algorithm::kBatchGemm) {
    const int64_t batch_blocks = CeilDiv(g.batch, plan.tile_pixels);
    ForEachTask(plan.workers, plan.num_tasks, [&](int, int64_t task) {
      int64_t d[3];
      Decode(task, {g.groups, batch_blocks, oc_blocks}, d);
      const MatrixView<const float> w = FilterView<const float>(plan, weights, ws.shared(), d[0]);
      BatchTask(plan, src, w, d[0], BlockOf(d[1], plan.tile_pixels, g.batch), BlockOf(d[2], plan.oc_block, ocg), dst);
    });
    return;
  }

  const kernels::ColGeometry cg = ColGeometryOf(g);
  const int64_t pixel_tiles = CeilDiv(P, plan.tile_pixels), k_slices = CeilDiv(plan.k, plan.tile_k);
  ForEachTask(plan.workers, plan.num_tasks, [&](int worker, int64_t task) {
    int64_t d[4];
    Decode(task, {g.batch, g.groups, pixel_tiles, oc_blocks}, d);
    const int64_t n = d[0], group = d[1];
    const Range px = BlockOf(d[2], plan.tile_pixels, P), oc = BlockOf(d[3], plan.oc_block, ocg);
    const MatrixView<const float> w = FilterView<const float>(plan, weights, ws.shared(), group);
    const float* src_image = src + n * image;
    float* col = ws.slot(worker);
    for (int64_t s = 0; s < k_slices; ++s) {
      const Range kr = BlockOf(s, plan.tile_k, plan.k);
      const float beta = s == 0 ? 0.0f : 1.0f;
      // The column tile: the input itself for a pointwise convolution, else im2col's. (The input may be an
      // empty NULL tensor whose padding still makes outputs: no pointer into it is formed then.)
      const bool direct = plan.algorithm == Algorithm::kDirectGemm;
      const kernels::ColTile t{group * icg, icg, px.begin, px.end, kr.begin, kr.end, plan.k_order};
      if (nhwc) {
        // dst[px, oc] (+)= col[px, k] * w[k, oc]
        if (!direct) plan.kernels.im2col_nhwc(cg, t, src_image, col, kr.size());
        const float* a = direct ? src_image + px.begin * g.in_channels + group * icg + kr.begin : col;
        const int64_t lda = direct ? g.in_channels : kr.size();
        blas::Sgemm(false, !w.k_rows, px.size(), oc.size(), kr.size(), a, lda, w.At(kr.begin, oc.begin), w.ld, beta,
                    dst + (n * P + px.begin) * g.out_channels + group * ocg + oc.begin, g.out_channels);
      } else {
        // dst[oc, px] (+)= w[oc, k] * col[k, px]
        if (!direct) plan.kernels.im2col_nchw(cg, t, src_image, col, px.size());
        const float* b = direct ? src_image + (group * icg + kr.begin) * P + px.begin : col;
        const int64_t ldb = direct ? P : px.size();
        blas::Sgemm(w.k_rows, false, oc.size(), px.size(), kr.size(), w.At(kr.begin, oc.begin), w.ld, b, ldb, beta,
                    dst + (n * g.out_channels + group * ocg + oc.begin) * P + px.begin, P);
      }
    }
  });
}

}  // namespace internal
}  // namespace colconv
