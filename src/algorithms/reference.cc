// The oracle as an algorithm, for the problems the fast paths cannot position in int64: pads, strides or
// dilations beyond 2^30 (legal, if absurd). Exact 128-bit positions, double accumulation, one thread.
#include "src/algorithms/common.h"
#include "src/reference/reference.h"

namespace colconv {
namespace internal {
namespace {

class ReferenceRun final : public Executable {
 public:
  explicit ReferenceRun(Direction direction) : direction_(direction) {}
  void Run(const RunContext& ctx, const Operands& io) const override {
    switch (direction_) {
      case Direction::kForward:
        return reference::Forward(ctx.geometry, io.src, io.weights, io.dst);
      case Direction::kBackpropInput:
        return reference::BackpropInput(ctx.geometry, io.weights, io.diff_dst, io.diff_src);
      case Direction::kBackpropFilter:
        return reference::BackpropFilter(ctx.geometry, io.src, io.diff_dst, io.diff_weights);
    }
  }

 private:
  Direction direction_;
};

class Reference final : public Algorithm {
 public:
  const char* name() const override { return "reference"; }
  std::string Declines(const Problem& p) const override {
    if (HasNothingToCompute(p.direction, p.geometry)) return "nothing to compute";
    return DeclinesForFastPaths(p).empty() ? "every offset is within the fast paths' 2^30" : "";
  }
  std::unique_ptr<const Executable> Plan(const Problem& p, WorkspaceLayout*) const override {
    return std::make_unique<ReferenceRun>(p.direction);
  }
};

}  // namespace

const Algorithm& ReferenceAlgorithm() {
  static const Reference algorithm;
  return algorithm;
}

}  // namespace internal
}  // namespace colconv
