// How the GEMMs see a filter: per group a K x OCg matrix whose K order is the one the column matrix uses. NHWC
// columns are tap-major (HWIO's order); NCHW columns follow the filter (tap-major for HWIO, channel-major for
// OIHW), so every filter enters the GEMM as stored, transposed by a view where needed. NHWC data with an OIHW
// filter is the one pair whose orders differ: its GEMMs see a tap-major copy, packed into the workspace.
#ifndef COLCONV_SRC_ALGORITHMS_FILTER_MATRIX_H_
#define COLCONV_SRC_ALGORITHMS_FILTER_MATRIX_H_

#include <cstdint>

#include "src/algorithms/algorithm.h"
#include "src/gemm/gemm.h"
#include "src/kernels/col_tile.h"

namespace colconv {
namespace internal {

class FilterMatrix final : public WeightsPacking {
 public:
  explicit FilterMatrix(const Conv2dGeometry& g);

  kernels::KOrder k_order() const { return k_order_; }
  bool packed() const { return packed_; }
  int64_t k() const { return k_; }                            // K per group: taps x input channels per group
  int64_t ocg() const { return ocg_; }
  int64_t floats() const { return groups_ * k_ * ocg_; }      // the whole filter

  int64_t packed_floats() const override { return packed_ ? floats() : 0; }
  void Pack(int workers, const float* weights, float* packed) const override;

  // One group's K x OCg matrix over a filter in the GEMMs' layout (the packed copy when packed()).
  template <typename T>
  gemm::View<T> Of(T* filter, int64_t group) const {
    if (packed_) return gemm::RowMajor(filter + group * k_ * ocg_, k_, ocg_, ocg_);
    if (hwio_) return gemm::RowMajor(filter + group * ocg_, k_, ocg_, groups_ * ocg_);
    return gemm::Transposed(filter + group * ocg_ * k_, k_, ocg_, k_);
  }

  // An OIHW filter from its tap-major copy (a packed gradient), in parallel.
  void Unpack(const float* packed, float* oihw, int workers) const;

 private:
  kernels::KOrder k_order_;
  bool packed_, hwio_;
  int64_t groups_, icg_, k_, ocg_;
};

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_FILTER_MATRIX_H_
