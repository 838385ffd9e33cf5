#include "src/algorithms/filter_matrix.h"

#include "src/algorithms/common.h"
#include "src/parallel.h"

namespace colconv {
namespace internal {
namespace {

constexpr const char* kPacked = "packed_weights";
// Reordering runs over blocks of this many output channels of one group.
constexpr int64_t kOcChunk = 16;

}  // namespace

kernels::KOrder FilterMatrix::KOrderOf(const Conv2dGeometry& g) {
  const bool tap_major = g.data_format == DataFormat::kNHWC || g.filter_format == FilterFormat::kHWIO;
  return tap_major ? kernels::KOrder::kTapMajor : kernels::KOrder::kChannelMajor;
}

bool FilterMatrix::CopiesOcMajor(const Conv2dGeometry& g, Direction direction, kernels::KOrder k_order) {
  if (direction == Direction::kForward || g.data_format == DataFormat::kNCHW) return false;
  if (g.filter_format == FilterFormat::kHWIO) return false;
  // OIHW's rows are the output channels', in channel-major K order (which is also tap-major for a 1x1 filter).
  return k_order == kernels::KOrder::kTapMajor && g.height.filter * g.width.filter > 1;
}

FilterMatrix::Storage FilterMatrix::StorageFor(const Conv2dGeometry& g, Direction direction, kernels::KOrder k_order) {
  if (g.data_format == DataFormat::kNCHW || g.filter_format == FilterFormat::kHWIO) return Storage::kAsGiven;
  if (direction == Direction::kForward) return Storage::kTapMajorCopy;
  return CopiesOcMajor(g, direction, k_order) ? Storage::kOcMajorCopy : Storage::kAsGiven;
}

FilterMatrix::FilterMatrix(const Conv2dGeometry& g, Direction direction, kernels::TransposeFn transpose)
    : FilterMatrix(g, direction, transpose, KOrderOf(g)) {}

FilterMatrix::FilterMatrix(const Conv2dGeometry& g, Direction direction, kernels::TransposeFn transpose,
                           kernels::KOrder k_order)
    : WeightsPacking(kPacked),
      k_order_(k_order),
      storage_(StorageFor(g, direction, k_order)),
      transpose_(transpose),
      hwio_(g.filter_format == FilterFormat::kHWIO),
      groups_(g.groups),
      icg_(g.in_channels_per_group()),
      k_(g.height.filter * g.width.filter * icg_),
      ocg_(g.out_channels_per_group()) {}

void FilterMatrix::Pack(int workers, const float* weights, float* packed) const {
  const int64_t icg = icg_, taps = k_ / icg, chunks = CeilDiv(ocg_, kOcChunk);
  // Only OIHW filters are copied: row o of a group ([ic][tap]) goes to rows tap * ICg + ic of the copy.
  ForEachTask(workers, groups_ * chunks, [&](int, int64_t task) {
    const int64_t group = task / chunks;
    const Range oc = BlockOf(task % chunks, kOcChunk, ocg_);
    const float* in = weights + (group * ocg_ + oc.begin) * k_;
    if (storage_ == Storage::kOcMajorCopy) {
      float* out = packed + (group * ocg_ + oc.begin) * k_;
      for (int64_t o = 0; o < oc.size(); ++o) transpose_(in + o * k_, taps, icg, taps, out + o * k_, icg);
      return;
    }
    // Tap-major: the chunk's output channels are a run of each K row, written whole. (The transpose kernel wrote
    // a 1x1 filter 0.77-0.95x as fast where those runs are 4 KB apart or more, and 1.2-1.5x elsewhere.)
    float* out = packed + group * k_ * ocg_ + oc.begin;
    for (int64_t tap = 0; tap < taps; ++tap)
      for (int64_t ic = 0; ic < icg; ++ic)
        for (int64_t o = 0; o < oc.size(); ++o) out[(tap * icg + ic) * ocg_ + o] = in[o * k_ + ic * taps + tap];
  });
}

void FilterMatrix::Unpack(const float* packed, float* oihw, int workers) const {
  const int64_t taps = k_ / icg_;
  ForEachTask(workers, groups_ * ocg_, [&](int, int64_t row) {
    transpose_(packed + row * k_, icg_, taps, icg_, oihw + row * k_, taps);
  });
}

}  // namespace internal
}  // namespace colconv
