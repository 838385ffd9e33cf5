// Chooses, once per problem, what runs: the algorithm, the tiles, the tasks, the workers and the workspace.
#include "src/plan.h"

#include <algorithm>
#include <climits>
#include <new>

#include "src/blas.h"
#include "src/conv_common.h"
#include "src/cpu_info.h"
#include "src/parallel.h"
#include "src/shape.h"
#include "src/str_cat.h"

namespace colconv {
namespace internal {
namespace {

// Tasks and tiles are fixed by the problem alone: OpenBLAS's bits depend on the M and N of each call (we checked:
// splitting one GEMM's output into blocks changes results on every core), so a split that followed the thread
// count would make results follow it too. These constants trade a little single-thread speed (each split
// repacks an operand) for parallelism.
constexpr int64_t kMinTasks = 4;
// K slices longer than this gain nothing in the GEMM and only shrink the pixel tiles.
constexpr int64_t kMaxSliceK = 1024;
// Pixel tiles at least this long, so that the filter, which the GEMM repacks per tile, is repacked rarely.
constexpr int64_t kMinTilePixels = 256;
// Pointwise convolutions split the image into chunks no smaller than this, and never split their output
// channels: their GEMM is the whole convolution, and each split repacks an operand (4 to 8% at one thread on
// ResNet-50's 14x14 and 7x7 layers, measured).
constexpr int64_t kMinDirectPixels = 1024;
// Output-channel blocks (which repeat a tile's im2col) never go below this many channels.
constexpr int64_t kMinOcBlock = 128;
// The fast path's position arithmetic (offset x width) stays inside int64 for pads, effective filters and
// strides up to this; beyond it (legal, if absurd: SAME with a dilation of 2^40) the reference runs.
constexpr int64_t kMaxFastOffset = int64_t{1} << 30;

// Backprop-filter sums its (image, tile) units into up to this many partial gradients, in at most this many
// extra floats, added in a fixed order at the end.
constexpr int64_t kMaxPartials = 4;
constexpr int64_t kMaxPartialFloats = int64_t{4} << 20;

int64_t RoundUp(int64_t v, int64_t m) { return CeilDiv(v, m) * m; }

// Equal slices of at most `most` (multiples of 16 where that still fits).
int64_t SliceSize(int64_t total, int64_t most) {
  const int64_t slices = CeilDiv(total, std::max<int64_t>(1, most));
  return std::min(total, RoundUp(CeilDiv(total, slices), 16));
}

// Splits the output channels when the other dimensions give too few tasks.
int64_t OcBlock(int64_t ocg, int64_t other_tasks) {
  if (other_tasks >= kMinTasks || ocg < 2 * kMinOcBlock) return ocg;
  const int64_t blocks = std::min({int64_t{4}, CeilDiv(kMinTasks, other_tasks), ocg / kMinOcBlock});
  return RoundUp(CeilDiv(ocg, blocks), 16);
}

bool IsEmpty(Direction d, const Conv2dGeometry& g, int64_t pixels) {
  const int64_t src_elements = g.batch * g.in_channels * g.height.input * g.width.input;
  switch (d) {
    case Direction::kForward:
      return g.batch * g.out_channels * pixels == 0;
    case Direction::kBackpropInput:
      return src_elements == 0 || g.out_channels * pixels == 0;
    case Direction::kBackpropFilter:
      return g.out_channels == 0 || g.batch * pixels == 0;
  }
  return true;
}

const char* AlgorithmName(Algorithm a) {
  switch (a) {
    case Algorithm::kEmpty:
      return "empty";
    case Algorithm::kIm2colGemm:
      return "im2col+gemm";
    case Algorithm::kDirectGemm:
      return "gemm (1x1, no im2col)";
    case Algorithm::kBatchGemm:
      return "gemm (filter covers the input)";
    case Algorithm::kReference:
      return "reference (offsets beyond 2^30)";
  }
  return "?";
}

}  // namespace

Status MakePlan(Direction direction, const Conv2dGeometry& geometry, const PlanOptions& options,
                std::shared_ptr<PlanImpl>* out) {
  auto plan = std::make_shared<PlanImpl>();
  PlanImpl& p = *plan;
  const Conv2dGeometry& g = geometry;
  p.direction = direction;
  p.geometry = g;
  const bool nhwc = g.data_format == DataFormat::kNHWC;
  const int64_t icg = g.in_channels_per_group(), ocg = g.out_channels_per_group();
  const int64_t taps = g.height.filter * g.width.filter;
  p.pixels = g.height.output * g.width.output;
  p.k = taps * icg;
  p.pack_weights = nhwc && g.filter_format == FilterFormat::kOIHW;
  p.k_order = (nhwc || g.filter_format == FilterFormat::kHWIO) ? kernels::KOrder::kTapMajor
                                                               : kernels::KOrder::kChannelMajor;
  const bool no_padding = g.height.pad_before == 0 && g.height.pad_after == 0 && g.width.pad_before == 0 &&
                          g.width.pad_after == 0;
  const bool covers_input = no_padding && g.height.filter == g.height.input && g.width.filter == g.width.input &&
                            p.pixels == 1 && (nhwc ? g.groups == 1 : p.k_order == kernels::KOrder::kChannelMajor);
  const bool pointwise = taps == 1 && g.height.stride == 1 && g.width.stride == 1 && no_padding;
  bool extreme = false;
  for (const SpatialDim* d : {&g.height, &g.width}) {
    for (int64_t v : {d->pad_before, d->pad_after, d->effective_filter, d->stride}) extreme |= v > kMaxFastOffset;
  }
  if (IsEmpty(direction, g, p.pixels)) {
    p.algorithm = Algorithm::kEmpty;
  } else if (extreme) {
    p.algorithm = Algorithm::kReference;
  } else if (covers_input) {
    p.algorithm = Algorithm::kBatchGemm;
  } else if (pointwise) {
    p.algorithm = Algorithm::kDirectGemm;
  } else {
    p.algorithm = Algorithm::kIm2colGemm;
  }

  // Tiles: about a quarter of L2 per column tile, so im2col writes it into L2 and the GEMM packs it from there.
  const size_t l2 = L2CacheBytes();
  const int64_t tile_floats = std::max<int64_t>(16384, static_cast<int64_t>(l2 / 4 / sizeof(float)));
  const int64_t pixels = std::max<int64_t>(1, p.pixels);
  const bool columns = p.algorithm == Algorithm::kIm2colGemm;
  p.channel_block = icg;
  p.oc_block = std::max<int64_t>(ocg, 1);
  if (direction == Direction::kBackpropInput && columns && g.batch * g.groups < kMinTasks &&
      p.k_order == kernels::KOrder::kChannelMajor && icg >= 32) {
    // Channel blocks are contiguous K ranges in channel-major order: more tasks, each with its own diff_src.
    p.channel_block = std::max<int64_t>(16, CeilDiv(icg, CeilDiv(kMinTasks, g.batch * g.groups)));
  }
  switch (p.algorithm) {
    case Algorithm::kIm2colGemm:
      p.tile_k = SliceSize(direction == Direction::kBackpropInput ? taps * p.channel_block : p.k, kMaxSliceK);
      p.tile_pixels = std::min(pixels, std::max(kMinTilePixels, tile_floats / p.tile_k));
      break;
    case Algorithm::kDirectGemm: {
      p.tile_k = direction == Direction::kBackpropFilter ? p.k : icg;
      const int64_t chunks = CeilDiv(kMinTasks, std::max<int64_t>(1, g.batch * g.groups));
      p.tile_pixels = std::min(pixels, std::max(kMinDirectPixels, CeilDiv(pixels, chunks)));
      break;
    }
    case Algorithm::kBatchGemm:  // a tile is a run of images
      p.tile_k = p.k;
      p.tile_pixels = std::max<int64_t>(1, CeilDiv(g.batch, kMinTasks));
      break;
    case Algorithm::kEmpty:
    case Algorithm::kReference:
      break;
  }
  const int64_t tiles = p.algorithm == Algorithm::kBatchGemm ? CeilDiv(g.batch, p.tile_pixels)
                                                              : g.batch * CeilDiv(pixels, std::max<int64_t>(1, p.tile_pixels));
  switch (direction) {
    case Direction::kForward:
      p.oc_block = std::max<int64_t>(1, columns ? OcBlock(ocg, g.groups * tiles) : ocg);
      p.num_tasks = g.groups * tiles * CeilDiv(ocg, p.oc_block);
      break;
    case Direction::kBackpropInput:
      p.num_tasks = columns ? g.batch * g.groups * CeilDiv(icg, p.channel_block) : g.groups * tiles;
      break;
    case Direction::kBackpropFilter: {
      const int64_t gradient = g.groups * p.k * ocg;
      p.partials = std::clamp<int64_t>(std::min(kMaxPartials, 1 + kMaxPartialFloats / std::max<int64_t>(1, gradient)),
                                       1, tiles);
      p.num_tasks = g.groups * p.partials * CeilDiv(p.k, std::max<int64_t>(1, p.tile_k));
      break;
    }
  }
  p.slot_floats = columns ? static_cast<size_t>(p.tile_pixels * p.tile_k) : 0;
  if (p.algorithm == Algorithm::kEmpty || p.algorithm == Algorithm::kReference) {
    p.num_tasks = 0;
    p.slot_floats = 0;
    p.partials = 1;
  }
  // cblas takes int sizes: every size and leading dimension a GEMM here can see must fit.
  const int64_t image = g.in_channels * g.height.input * g.width.input;
  for (int64_t v : {g.batch, g.in_channels, g.out_channels, p.pixels, p.k, image}) {
    if (p.algorithm != Algorithm::kEmpty && p.algorithm != Algorithm::kReference && v > INT_MAX) {
      return Status(StatusCode::kUnimplemented,
                    StrCat("conv2d: a GEMM dimension of ", v, " exceeds the 32-bit BLAS interface (", INT_MAX, ")"));
    }
  }

  // The workspace: what all workers share (the packed filter, or the gradient's partial sums beyond the one the
  // output holds), then one tile slot per worker. A budget the caller sets bounds all of it and may lower the
  // number of partial sums; the default is threads x 2 x L2 for the slots plus whatever is shared. Neither
  // choice follows the thread count, so neither do the results.
  const int64_t filter_floats = g.groups * p.k * ocg;
  auto shared_floats = [&](int64_t partials) -> int64_t {
    if (p.algorithm == Algorithm::kEmpty || p.algorithm == Algorithm::kReference) return 0;
    if (direction == Direction::kBackpropFilter) return (partials - (p.pack_weights ? 0 : 1)) * filter_floats;
    return p.pack_weights ? filter_floats : 0;
  };
  const int threads = std::max(1, EffectiveNumThreads(options.num_threads));
  const size_t slot_bytes = WorkspaceBytes(0, 1, p.slot_floats) - kWorkspaceAlign;
  auto bytes_for = [&](int64_t partials, int64_t workers) {
    return WorkspaceBytes(static_cast<size_t>(shared_floats(partials)), static_cast<size_t>(workers), p.slot_floats);
  };
  if (options.workspace_budget > 0) {
    while (p.partials > 1 && bytes_for(p.partials, 1) > options.workspace_budget) --p.partials;
    if (direction == Direction::kBackpropFilter) {
      p.num_tasks = g.groups * p.partials * CeilDiv(p.k, std::max<int64_t>(1, p.tile_k));
    }
  }
  p.shared_floats = static_cast<size_t>(shared_floats(p.partials));
  const size_t budget = options.workspace_budget > 0 ? options.workspace_budget
                                                     : bytes_for(p.partials, 0) + static_cast<size_t>(threads) * 2 * l2;
  p.workers = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, p.num_tasks)));
  while (p.workers > 1 && bytes_for(p.partials, p.workers) > budget) --p.workers;
  if (bytes_for(p.partials, 1) > budget && p.slot_floats + p.shared_floats > 0) {
    return Status(StatusCode::kResourceExhausted,
                  StrCat(OpName(direction), ": the workspace budget of ", budget, " bytes is below the ",
                         bytes_for(p.partials, 1), " bytes this convolution needs: one column tile of ", p.tile_pixels,
                         " pixels x ", p.tile_k, " K values (", slot_bytes, " bytes)",
                         p.shared_floats > 0 ? StrCat(" plus ", p.shared_floats * sizeof(float),
                                                      p.pack_weights ? " bytes of reordered filter"
                                                                     : " bytes of partial sums")
                                             : std::string(),
                         "; raise PlanOptions::workspace_budget"));
  }
  p.workspace_bytes = p.slot_floats + p.shared_floats == 0 ? 0 : bytes_for(p.partials, p.workers);
  // Never try to allocate what the machine cannot have (a shared part as big as a huge filter, say).
  if (p.workspace_bytes > PhysicalMemoryBytes() / 2) {
    return Status(StatusCode::kResourceExhausted,
                  StrCat(OpName(direction), ": the workspace would need ", p.workspace_bytes,
                         " bytes, more than half of this machine's memory (", PhysicalMemoryBytes(), " bytes)"));
  }
  p.kernels = kernels::ChooseKernels();
  p.description = StrCat(AlgorithmName(p.algorithm), " [", p.kernels.target_name, "] ", DataFormatName(g.data_format),
                         "/", FilterFormatName(g.filter_format), ": ", p.num_tasks, " tasks",
                         columns ? StrCat(" of ", p.tile_pixels, " px x ", p.tile_k, " k") : std::string(),
                         p.partials > 1 ? StrCat(" into ", p.partials, " partial sums") : std::string(), ", ",
                         p.workers, p.workers == 1 ? " worker" : " workers", ", workspace ", p.workspace_bytes,
                         " bytes");
  blas::WarnOnceIfCoreBelowCpu();
  if (options.own_workspace && p.workspace_bytes > 0) {
    p.owned_workspace.reset(new (std::nothrow) unsigned char[p.workspace_bytes]);
    if (!p.owned_workspace) {
      return Status(StatusCode::kResourceExhausted,
                    StrCat(OpName(direction), ": cannot allocate the plan's workspace of ", p.workspace_bytes, " bytes"));
    }
  }
  *out = std::move(plan);
  return Status();
}

}  // namespace internal
}  // namespace colconv
