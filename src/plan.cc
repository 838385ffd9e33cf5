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

// Enough tasks to keep a few threads busy; a property of the problem, so tiles never follow the thread count.
constexpr int64_t kMinTasks = 8;
// K slices longer than this gain nothing in the GEMM and only shrink the pixel tiles.
constexpr int64_t kMaxSliceK = 1024;
// Output-channel blocks (which repeat the tile's im2col) never go below this many channels.
constexpr int64_t kMinOcBlock = 64;

int64_t RoundUp(int64_t v, int64_t m) { return CeilDiv(v, m) * m; }

// Equal slices of at most `most` (multiples of 16 where that still fits).
int64_t SliceSize(int64_t total, int64_t most) {
  const int64_t slices = CeilDiv(total, std::max<int64_t>(1, most));
  return std::min(total, RoundUp(CeilDiv(total, slices), 16));
}

// Splits the output channels when the other dimensions give too few tasks.
int64_t OcBlock(int64_t ocg, int64_t other_tasks) {
  if (other_tasks >= kMinTasks || ocg < 2 * kMinOcBlock) return ocg;
  const int64_t blocks = std::min<int64_t>(4, CeilDiv(kMinTasks, other_tasks));
  return std::max(kMinOcBlock, RoundUp(CeilDiv(ocg, blocks), 16));
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
  if (IsEmpty(direction, g, p.pixels)) {
    p.algorithm = Algorithm::kEmpty;
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
  const bool columns = p.algorithm == Algorithm::kIm2colGemm;
  p.channel_block = icg;
  p.oc_block = std::max<int64_t>(ocg, 1);
  switch (direction) {
    case Direction::kForward:
    case Direction::kBackpropInput: {
      if (direction == Direction::kBackpropInput && columns && g.batch * g.groups < kMinTasks &&
          p.k_order == kernels::KOrder::kChannelMajor && icg >= 32) {
        // Channel blocks are contiguous K ranges in channel-major order: more tasks, disjoint diff_src.
        p.channel_block = std::max<int64_t>(16, CeilDiv(icg, CeilDiv(kMinTasks, g.batch * g.groups)));
      }
      p.tile_k = SliceSize(columns ? taps * p.channel_block : icg, kMaxSliceK);
      if (p.algorithm == Algorithm::kBatchGemm) {
        p.tile_k = p.k;
        p.tile_pixels = std::max<int64_t>(1, CeilDiv(g.batch, kMinTasks));  // images per task
      } else if (columns) {
        p.tile_pixels = std::clamp<int64_t>(tile_floats / std::max<int64_t>(1, p.tile_k), 1, std::max<int64_t>(1, p.pixels));
      } else {
        const int64_t chunks = CeilDiv(kMinTasks, std::max<int64_t>(1, g.batch * g.groups));
        p.tile_pixels = std::clamp<int64_t>(CeilDiv(p.pixels, chunks), 256, std::max<int64_t>(256, p.pixels));
      }
      const int64_t units = p.algorithm == Algorithm::kBatchGemm ? g.groups * CeilDiv(g.batch, p.tile_pixels)
                                                                  : g.batch * g.groups * CeilDiv(p.pixels, std::max<int64_t>(1, p.tile_pixels));
      if (direction == Direction::kForward) {
        p.oc_block = std::max<int64_t>(1, OcBlock(ocg, units));
        p.num_tasks = units * CeilDiv(ocg, p.oc_block);
      } else if (p.algorithm == Algorithm::kIm2colGemm) {
        p.num_tasks = g.batch * g.groups * CeilDiv(icg, p.channel_block);
      } else {
        p.num_tasks = units;
      }
      p.slot_floats = columns ? static_cast<size_t>(p.tile_pixels * p.tile_k) : 0;
      break;
    }
    case Direction::kBackpropFilter: {
      // Tasks own K slices of the gradient; aim for kMinTasks of them, each at least 64 rows.
      const int64_t want_slices = CeilDiv(kMinTasks, g.groups);
      p.tile_k = SliceSize(p.k, std::clamp<int64_t>(CeilDiv(p.k, want_slices), 64, kMaxSliceK));
      p.tile_pixels = columns ? std::clamp<int64_t>(tile_floats / p.tile_k, 1, std::max<int64_t>(1, p.pixels))
                              : std::max<int64_t>(1, p.pixels);
      p.oc_block = std::max<int64_t>(1, OcBlock(ocg, g.groups * CeilDiv(p.k, p.tile_k)));
      p.num_tasks = g.groups * CeilDiv(p.k, p.tile_k) * CeilDiv(ocg, p.oc_block);
      p.slot_floats = columns ? static_cast<size_t>(p.tile_pixels * p.tile_k) : 0;
      break;
    }
  }
  if (p.algorithm == Algorithm::kEmpty) {
    p.num_tasks = 0;
    p.slot_floats = 0;
  }
  p.shared_floats = p.pack_weights && p.algorithm != Algorithm::kEmpty ? static_cast<size_t>(g.groups * p.k * ocg) : 0;

  // cblas takes int sizes: every size and leading dimension a GEMM here can see must fit.
  const int64_t image = g.in_channels * g.height.input * g.width.input;
  for (int64_t v : {g.batch, g.in_channels, g.out_channels, p.pixels, p.k, image}) {
    if (v > INT_MAX) {
      return Status(StatusCode::kUnimplemented,
                    StrCat("conv2d: a GEMM dimension of ", v, " exceeds the 32-bit BLAS interface (", INT_MAX, ")"));
    }
  }

  // Workers: up to the thread count, fewer when the budget holds fewer tile buffers.
  const int threads = std::max(1, EffectiveNumThreads(options.num_threads));
  const size_t budget = options.workspace_budget > 0 ? options.workspace_budget : static_cast<size_t>(threads) * 2 * l2;
  const size_t slot_bytes = p.slot_floats * sizeof(float);
  p.workers = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, p.num_tasks)));
  while (p.workers > 1 && static_cast<size_t>(p.workers) * slot_bytes > budget) --p.workers;
  if (slot_bytes > budget) {
    return Status(StatusCode::kResourceExhausted,
                  StrCat(OpName(direction), ": the workspace budget of ", budget, " bytes is below the ", slot_bytes,
                         " bytes one column tile needs (", p.tile_pixels, " pixels x ", p.tile_k,
                         " K values); raise PlanOptions::workspace_budget"));
  }
  p.workspace_bytes = p.slot_floats + p.shared_floats == 0
                          ? 0
                          : WorkspaceBytes(p.shared_floats, static_cast<size_t>(p.workers), p.slot_floats);
  p.kernels = kernels::ChooseKernels();
  p.description = StrCat(AlgorithmName(p.algorithm), " [", p.kernels.target_name, "] ", DataFormatName(g.data_format),
                         "/", FilterFormatName(g.filter_format), ": ", p.num_tasks, " tasks",
                         columns ? StrCat(" of ", p.tile_pixels, " px x ", p.tile_k, " k") : std::string(), ", ",
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
