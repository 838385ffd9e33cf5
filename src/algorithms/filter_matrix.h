// How the GEMMs see a filter: per group a K x OCg matrix whose K order is the one the column matrix uses. NHWC
// columns are tap-major (HWIO's order); NCHW columns follow the filter (tap-major for HWIO, channel-major for
// OIHW), so every filter enters the GEMM as stored, transposed by a view where needed. NHWC data with an OIHW
// filter is the one pair whose orders differ: its GEMMs see a copy, packed into the workspace (or, for
// backprop-filter, written there and reordered into OIHW), unless the columns are built in OIHW's order instead
// (backprop-filter on few pixels, see im2col_gemm.cc). Forward's copy is tap-major (K rows of OCg), which the
// GEMM reads fastest. Backprop-input multiplies by the filter's transpose and backprop-filter writes it: both run
// faster with the output channels as rows, an OC-major copy whose rows are OIHW's rows reordered in place (or OIHW
// itself for a 1x1 filter, with no copy). An HWIO filter stays as stored in every direction: a one-shot
// backprop-input would transpose it on every call (0.22-1.03x on ResNet-50 with a plain strided copy), and an
// operator, which could afford the copy, must give the one-shot call's bits (the backends' bits differ between the
// two layouts).
#ifndef COLCONV_SRC_ALGORITHMS_FILTER_MATRIX_H_
#define COLCONV_SRC_ALGORITHMS_FILTER_MATRIX_H_

#include <cstdint>

#include "src/algorithms/algorithm.h"
#include "src/gemm/gemm.h"
#include "src/kernels/col_tile.h"
#include "src/kernels/transpose.h"

namespace colconv {
namespace internal {

class FilterMatrix final : public WeightsPacking {
 public:
  // `transpose`: the SIMD target's (src/kernels/transpose.h), which reorders the copies. `k_order`: the K order
  // of the columns the GEMMs multiply the filter with, by default the data's own (KOrderOf).
  FilterMatrix(const Conv2dGeometry& g, Direction direction, kernels::TransposeFn transpose);
  FilterMatrix(const Conv2dGeometry& g, Direction direction, kernels::TransposeFn transpose, kernels::KOrder k_order);

  // The K order of the columns of this geometry's data as stored: tap-major for NHWC pixels or an HWIO filter.
  static kernels::KOrder KOrderOf(const Conv2dGeometry& g);
  kernels::KOrder k_order() const { return k_order_; }
  bool packed() const { return storage_ != Storage::kAsGiven; }
  int64_t k() const { return k_; }                            // K per group: taps x input channels per group
  int64_t ocg() const { return ocg_; }
  int64_t floats() const { return groups_ * k_ * ocg_; }      // the whole filter

  int64_t packed_floats() const override { return packed() ? floats() : 0; }
  void Pack(int workers, const float* weights, float* packed) const override;

  // One group's K x OCg matrix over a filter in the GEMMs' layout (the packed copy when packed()).
  template <typename T>
  gemm::View<T> Of(T* filter, int64_t group) const {
    if (storage_ == Storage::kTapMajorCopy) return gemm::RowMajor(filter + group * k_ * ocg_, k_, ocg_, ocg_);
    if (storage_ == Storage::kAsGiven && hwio_) return gemm::RowMajor(filter + group * ocg_, k_, ocg_, groups_ * ocg_);
    return gemm::Transposed(filter + group * ocg_ * k_, k_, ocg_, k_);
  }

  // An OIHW filter from its OC-major copy (a gradient written there), in parallel.
  void Unpack(const float* packed, float* oihw, int workers) const;

  // Whether an OIHW filter (backprop-input) or its gradient (backprop-filter) with columns in this K order goes
  // through an OC-major copy: OIHW's rows each reordered into the columns' tap-major order.
  static bool CopiesOcMajor(const Conv2dGeometry& g, Direction direction, kernels::KOrder k_order);

 private:
  enum class Storage {
    kAsGiven,
    kTapMajorCopy,  // per group K rows of OCg
    kOcMajorCopy,   // per group OCg rows of K (tap-major): OIHW's rows, each reordered
  };
  static Storage StorageFor(const Conv2dGeometry& g, Direction direction, kernels::KOrder k_order);

  kernels::KOrder k_order_;
  Storage storage_;
  kernels::TransposeFn transpose_;
  bool hwio_;
  int64_t groups_, icg_, k_, ocg_;
};

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_FILTER_MATRIX_H_
