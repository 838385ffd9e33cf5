// An algorithm is one way to compute a convolution. The planner (src/plan.cc) asks the registered algorithms in
// order (src/algorithms/registry.cc) whether they compute a problem; the first that does plans it once (tiles,
// tasks, workspace bookings) into an Executable, which every run of the plan calls.
#ifndef COLCONV_SRC_ALGORITHMS_ALGORITHM_H_
#define COLCONV_SRC_ALGORITHMS_ALGORITHM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "colconv/conv2d.h"
#include "src/gemm/gemm.h"
#include "src/kernels/kernels.h"
#include "src/task_space.h"
#include "src/workspace.h"

namespace colconv {
namespace internal {

// What an algorithm is asked about: one resolved problem, and what its plan may use. The geometry is the plan's
// own, which outlives every executable made from it: executables may keep references to it.
struct Problem {
  Direction direction;
  const Conv2dGeometry& geometry;
  const gemm::Backend& gemm;
  const kernels::KernelTable& kernels;  // the SIMD target's kernels, which a run will call
  size_t workspace_budget;  // the caller's bound on the workspace; 0 for the default (which bounds workers only)
  const PostOps& post_ops;  // valid for the direction (PostOpsError)
  // The weights arrive in the layout the run reads (an operator packed them with the executable's WeightsPacking):
  // no reordered copy is booked or made.
  bool prepacked_weights;
};

// The tensors of one run, by role; each direction sets the ones it reads and the one it writes.
struct Operands {
  const float* src = nullptr;       // forward, backprop-filter
  const float* weights = nullptr;   // forward, backprop-input
  const float* diff_dst = nullptr;  // backprop-input, backprop-filter
  float* dst = nullptr;             // forward's result
  float* diff_src = nullptr;        // backprop-input's result
  float* diff_weights = nullptr;    // backprop-filter's result
  const float* bias = nullptr;      // forward's, out_channels values; null for none
};

struct RunContext;

// How forward and backprop-input read the weights when that is not the caller's layout: the reordered copy they
// otherwise make in the workspace on every run, made once (an operator's packed weights).
class WeightsPacking {
 public:
  // `buffer`: the workspace buffer the copy lives in.
  explicit WeightsPacking(const char* buffer) : buffer_(buffer) {}
  virtual ~WeightsPacking() = default;
  // Floats of the reordered copy; 0 when runs read the weights as the caller stores them.
  virtual int64_t packed_floats() const = 0;
  virtual void Pack(int workers, const float* weights, float* packed) const = 0;

  // Books the copy, unless runs need none or the weights arrive prepacked (Problem::prepacked_weights).
  void Book(WorkspaceLayout* layout, bool prepacked);
  // The weights in the layout the run reads: as given (or prepacked), or packed now into the workspace.
  const float* Prepare(const RunContext& ctx, const float* weights) const;

 protected:
  const char* buffer() const { return buffer_; }

 private:
  const char* buffer_;
  bool prepacked_ = false;
};

// What a run of an executable works with.
struct RunContext {
  const Conv2dGeometry& geometry;
  const kernels::KernelTable& kernels;
  const gemm::Backend& gemm;
  const Workspace& workspace;
  int workers;
};

// One algorithm planned for one problem: immutable, run by any number of threads, each with its own workspace.
class Executable {
 public:
  virtual ~Executable() = default;
  // The tasks of the run's parallel loop.
  const TaskSpace& tasks() const { return tasks_; }
  // The tiles, for the plan's description ("of 256 px x 576 k"); "" when there are none.
  virtual std::string Describe() const { return ""; }
  virtual void Run(const RunContext& ctx, const Operands& io) const = 0;
  // The reordering of the weights a run makes, or null when it reads them as the caller stores them.
  virtual const WeightsPacking* weights_packing() const { return nullptr; }
  // Whether Run applies the problem's post-ops itself (src/algorithms/epilogue.h), tile by tile; otherwise the plan
  // applies them to the whole result after the run.
  virtual bool fuses_post_ops() const { return false; }

 protected:
  void set_tasks(const TaskSpace& tasks) { tasks_ = tasks; }

 private:
  TaskSpace tasks_;
};

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  virtual const char* name() const = 0;
  // Why this algorithm does not compute the problem, or "" when it does.
  virtual std::string Declines(const Problem& problem) const = 0;
  // Plans a problem it computes: tiles and tasks, with its workspace booked in *layout.
  virtual std::unique_ptr<const Executable> Plan(const Problem& problem, WorkspaceLayout* layout) const = 0;
};

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_ALGORITHM_H_
