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

FilterMatrix::Storage FilterMatrix::StorageFor(const Conv2dGeometry& g, Direction direction) {
  if (g.data_format == DataFormat::kNCHW || g.filter_format == FilterFormat::kHWIO) return Storage::kAsGiven;
  if (direction != Direction::kBackpropInput) return Storage::kTapMajorCopy;
  // A 1x1 OIHW filter already has its output channels as rows.
  return g.height.filter * g.width.filter == 1 ? Storage::kAsGiven : Storage::kOcMajorCopy;
}

FilterMatrix::FilterMatrix(const Conv2dGeometry& g, Direction direction)
    : WeightsPacking(kPacked),
      k_order_(g.data_format == DataFormat::kNHWC || g.filter_format == FilterFormat::kHWIO
                   ? kernels::KOrder::kTapMajor
                   : kernels::KOrder::kChannelMajor),
      storage_(StorageFor(g, direction)),
      hwio_(g.filter_format == FilterFormat::kHWIO),
      groups_(g.groups),
      icg_(g.in_channels_per_group()),
      k_(g.height.filter * g.width.filter * icg_),
      ocg_(g.out_channels_per_group()) {}

void FilterMatrix::Pack(int workers, const float* weights, float* packed) const {
  const int64_t icg = icg_, taps = k_ / icg, chunks = CeilDiv(ocg_, kOcChunk);
  const bool oc_major = storage_ == Storage::kOcMajorCopy;
  // Only OIHW filters are copied: each output channel's row, read in order, goes to row tap * ICg + ic of the copy,
  // a K-long row of its own (OC-major) or column o of the group's K x OCg matrix (tap-major).
  ForEachTask(workers, groups_ * chunks, [&](int, int64_t task) {
    const int64_t group = task / chunks;
    const Range oc = BlockOf(task % chunks, kOcChunk, ocg_);
    for (int64_t o = oc.begin; o < oc.end; ++o) {
      const float* in = weights + (group * ocg_ + o) * k_;
      float* out = oc_major ? packed + (group * ocg_ + o) * k_ : packed + group * k_ * ocg_ + o;
      const int64_t row_stride = oc_major ? 1 : ocg_;
      for (int64_t ic = 0; ic < icg; ++ic)
        for (int64_t tap = 0; tap < taps; ++tap) out[(tap * icg + ic) * row_stride] = in[ic * taps + tap];
    }
  });
}

void FilterMatrix::Unpack(const float* packed, float* oihw, int workers) const {
  const int64_t icg = icg_, taps = k_ / icg, chunks = CeilDiv(ocg_, kOcChunk);
  ForEachTask(workers, groups_ * chunks, [&](int, int64_t task) {
    const int64_t group = task / chunks;
    const Range oc = BlockOf(task % chunks, kOcChunk, ocg_);
    const float* in = packed + group * k_ * ocg_;
    for (int64_t row = 0; row < k_; ++row) {
      const int64_t tap = row / icg, ic = row % icg;
      for (int64_t o = oc.begin; o < oc.end; ++o) oihw[((group * ocg_ + o) * icg + ic) * taps + tap] = in[row * ocg_ + o];
    }
  });
}

}  // namespace internal
}  // namespace colconv
