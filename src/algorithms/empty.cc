// Nothing to compute: an empty result stays untouched, a sum over nothing (a backprop with no output pixel, no
// output channel or no image) is a zero gradient.
#include "src/algorithms/common.h"

namespace colconv {
namespace internal {
namespace {

class EmptyRun final : public Executable {
 public:
  explicit EmptyRun(Direction direction) : direction_(direction) {}
  void Run(const RunContext& ctx, const Operands& io) const override {
    const Conv2dGeometry& g = ctx.geometry;
    if (direction_ == Direction::kBackpropInput) {
      ZeroFloats(io.diff_src, g.batch * g.in_channels * g.height.input * g.width.input);
    } else if (direction_ == Direction::kBackpropFilter) {
      ZeroFloats(io.diff_weights, g.out_channels * g.in_channels_per_group() * g.height.filter * g.width.filter);
    }
  }

 private:
  Direction direction_;
};

class Empty final : public Algorithm {
 public:
  const char* name() const override { return "empty"; }
  std::string Declines(const Problem& p) const override {
    return HasNothingToCompute(p.direction, p.geometry) ? "" : "the result has elements to compute";
  }
  std::unique_ptr<const Executable> Plan(const Problem& p, WorkspaceLayout*) const override {
    return std::make_unique<EmptyRun>(p.direction);
  }
};

}  // namespace

const Algorithm& EmptyAlgorithm() {
  static const Empty algorithm;
  return algorithm;
}

}  // namespace internal
}  // namespace colconv
