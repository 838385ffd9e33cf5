// Backprop-filter's sums in a fixed order, shared by the GEMM algorithms. A plan cuts its units (runs of images,
// or (image, pixel tile) pairs) into a fixed number of runs; each run is summed in order into its own partial
// gradient, and the partials are added in order at the end. Tasks may take the runs in any order on any worker:
// the bits depend on the problem (and a budget the caller sets), never on the thread count.
#ifndef COLCONV_SRC_ALGORITHMS_GRADIENT_SUMS_H_
#define COLCONV_SRC_ALGORITHMS_GRADIENT_SUMS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "src/algorithms/common.h"
#include "src/algorithms/filter_matrix.h"

namespace colconv {
namespace internal {

class GradientSums {
 public:
  // Up to 4 partials for `units` units, in at most 4 Mi extra floats.
  GradientSums(const FilterMatrix& filter, int64_t units);

  // Books the partial gradients that the result cannot hold, after the rest of the plan's workspace; while a
  // budget the caller set is exceeded, fewer partials.
  void Book(WorkspaceLayout* layout, size_t budget);

  int64_t partials() const { return partials_; }
  // The tasks: (group, partial, K slice of `tile_k`).
  TaskSpace Tasks(int64_t groups, int64_t tile_k) const;
  // " into N partial sums", or "" for one.
  std::string Describe() const;

  // Sums the gradient: each task of `tasks` calls add(worker, group, unit, K range, beta, dw) for the units of its
  // run in order, where dw is the K range's rows of the group's K x OCg partial (beta 0 for the first unit, 1
  // after); then the partials are added in order and a packed gradient is unpacked into diff_weights.
  using AddUnit = std::function<void(int worker, int64_t group, int64_t unit, Range k, float beta,
                                     const gemm::Matrix& dw)>;
  void Sum(const RunContext& ctx, const TaskSpace& tasks, int64_t tile_k, float* diff_weights,
           const AddUnit& add) const;

 private:
  void BookPartials(WorkspaceLayout* layout, int64_t partials) const;
  // The buffer partial r sums into, in the GEMMs' filter layout: the result itself for r = 0 (unless the
  // gradient is packed), else workspace.
  float* Partial(const RunContext& ctx, float* diff_weights, int64_t r) const;
  void Finish(const RunContext& ctx, float* diff_weights) const;
  FilterMatrix filter_;
  int64_t units_, partials_;
};

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_GRADIENT_SUMS_H_
