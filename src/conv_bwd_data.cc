// Backprop-input: diff_src = col2im(diff_dst x filter^T), tile by tile. Tasks are (image, group, channel
// block): each owns its part of diff_src, so col2im needs no atomics, and adds its tiles in a fixed order
// (pixel tiles, then K slices), so the sums are the same for any number of threads.
#include "src/blas.h"
#include "src/conv_common.h"
#include "src/parallel.h"
#include "src/reference/reference.h"
#include "src/weights_pack.h"

namespace colconv {
namespace internal {
namespace {

// Zeroes channels [c0, c1) of one image before col2im adds into them.
void ZeroChannels(const Conv2dGeometry& g, float* image, int64_t c0, int64_t c1) {
  const int64_t plane = g.height.input * g.width.input;
  if (g.data_format == DataFormat::kNCHW || (c0 == 0 && c1 == g.in_channels)) {
    const int64_t offset = g.data_format == DataFormat::kNCHW ? c0 * plane : 0;
    const int64_t count = g.data_format == DataFormat::kNCHW ? (c1 - c0) * plane : plane * g.in_channels;
    ZeroFloats(image + offset, count);
    return;
  }
  for (int64_t p = 0; p < plane; ++p) ZeroFloats(image + p * g.in_channels + c0, c1 - c0);
}

}  // namespace

void RunBackpropInput(const PlanImpl& plan, const float* weights, const float* diff_dst, float* diff_src,
                      void* workspace) {
  const Conv2dGeometry& g = plan.geometry;
  const int64_t image = g.in_channels * g.height.input * g.width.input;
  if (plan.algorithm == Algorithm::kEmpty) {  // no output pixel or no output channel: the gradient is zero
    ZeroFloats(diff_src, g.batch * image);
    return;
  }
  if (plan.algorithm == Algorithm::kReference) return reference::BackpropInput(g, weights, diff_dst, diff_src);
  const Workspace ws(plan, workspace);
  const blas::SingleThreadScope single_threaded_blas;
  if (plan.pack_weights) PackFilter(plan, weights, ws.shared());
  const bool nhwc = g.data_format == DataFormat::kNHWC;
  const int64_t ocg = g.out_channels_per_group(), icg = g.in_channels_per_group();
  const int64_t P = plan.pixels;

  if (plan.algorithm == Algorithm::kBatchGemm) {
    // diff_src[n, k] = diff_dst[n, oc] * w[k, oc]^T, one row of K per image.
    const int64_t batch_blocks = CeilDiv(g.batch, plan.tile_pixels);
    ForEachTask(plan.workers, plan.num_tasks, [&](int, int64_t task) {
      const int64_t group = task / batch_blocks;
      const Range images = BlockOf(task % batch_blocks, plan.tile_pixels, g.batch);
      const MatrixView<const float> w = FilterView<const float>(plan, weights, ws.shared(), group);
      blas::Sgemm(false, w.k_rows, images.size(), plan.k, ocg, diff_dst + images.begin * g.out_channels + group * ocg,
                  g.out_channels, w.At(0, 0), w.ld, 0.0f, diff_src + images.begin * image + group * plan.k, image);
    });
    return;
  }

  const kernels::ColGeometry cg = ColGeometryOf(g);
  const int64_t pixel_tiles = CeilDiv(P, plan.tile_pixels);
  const int64_t channel_blocks = CeilDiv(icg, plan.channel_block);
  const int64_t taps = plan.k / icg;
  ForEachTask(plan.workers, plan.num_tasks, [&](int worker, int64_t task) {
    int64_t d[3];
    Decode(task, {g.batch, g.groups, plan.algorithm == Algorithm::kDirectGemm ? pixel_tiles : channel_blocks}, d);
    const int64_t n = d[0], group = d[1];
    const MatrixView<const float> w = FilterView<const float>(plan, weights, ws.shared(), group);
    float* src_image = diff_src + n * image;
    if (plan.algorithm == Algorithm::kDirectGemm) {
      // 1x1, stride 1, no padding: the GEMM writes diff_src itself.
      const Range px = BlockOf(d[2], plan.tile_pixels, P);
      if (nhwc) {
        blas::Sgemm(false, w.k_rows, px.size(), icg, ocg, diff_dst + (n * P + px.begin) * g.out_channels + group * ocg,
                    g.out_channels, w.At(0, 0), w.ld, 0.0f, src_image + px.begin * g.in_channels + group * icg,
                    g.in_channels);
      } else {
        blas::Sgemm(!w.k_rows, false, icg, px.size(), ocg, w.At(0, 0), w.ld,
                    diff_dst + (n * g.out_channels + group * ocg) * P + px.begin, P, 0.0f,
                    src_image + group * icg * P + px.begin, P);
      }
      return;
    }
    // A channel block is a contiguous K range only in channel-major order (NCHW with OIHW); elsewhere one block.
    const Range channels = BlockOf(d[2], plan.channel_block, icg);
    const Range block_k = channel_blocks == 1 ? Range{0, plan.k} : Range{channels.begin * taps, channels.end * taps};
    ZeroChannels(g, src_image, group * icg + channels.begin, group * icg + channels.end);
    float* diff_col = ws.slot(worker);
    for (int64_t pt = 0; pt < pixel_tiles; ++pt) {
      const Range px = BlockOf(pt, plan.tile_pixels, P);
      for (int64_t k0 = block_k.begin; k0 < block_k.end; k0 += plan.tile_k) {
        const Range kr{k0, std::min(block_k.end, k0 + plan.tile_k)};
        const kernels::ColTile t{group * icg, icg, px.begin, px.end, kr.begin, kr.end, plan.k_order};
        if (nhwc) {
          // diff_col[px, k] = diff_dst[px, oc] * w[k, oc]^T
          blas::Sgemm(false, w.k_rows, px.size(), kr.size(), ocg,
                      diff_dst + (n * P + px.begin) * g.out_channels + group * ocg, g.out_channels,
                      w.At(kr.begin, 0), w.ld, 0.0f, diff_col, kr.size());
          plan.kernels.col2im_nhwc(cg, t, diff_col, kr.size(), src_image);
        } else {
          // diff_col[k, px] = w[k, oc] * diff_dst[oc, px]
          blas::Sgemm(!w.k_rows, false, kr.size(), px.size(), ocg, w.At(kr.begin, 0), w.ld,
                      diff_dst + (n * g.out_channels + group * ocg) * P + px.begin, P, 0.0f, diff_col, px.size());
          plan.kernels.col2im_nchw(cg, t, diff_col, px.size(), src_image);
        }
      }
    }
  });
}

}  // namespace internal
}  // namespace colconv
