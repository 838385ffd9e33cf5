// colconv operators: a plan with its weights packed once, the life cycle of XNNPACK's operators and oneDNN's
// primitives. Create one from a descriptor, the shapes and the weights (and, for forward, a bias): the weights are
// copied into the layout the chosen algorithm reads, so the caller's buffer may change or go away, and every run
// only computes. When the weights change (a training step), Repack them. Runs may go on concurrently from many
// threads, each with its own workspace (or none: the operator's own, lent to one run at a time, else a temporary
// one); Repack must not overlap a run.
//
//   colconv::Conv2dOperator op;
//   colconv::PlanOptions options;
//   options.post_ops.activation = colconv::Activation::kRelu;
//   colconv::Status s = colconv::Conv2dOperator::CreateForward(desc, {1, 56, 56, 64}, {3, 3, 64, 64}, weights, bias,
//                                                            &op, options);
//   for (...) if (s.ok()) s = op.Forward(src, dst);  // dst = relu(conv(src, weights) + bias)
#ifndef COLCONV_OPERATOR_H_
#define COLCONV_OPERATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "colconv/conv2d.h"
#include "colconv/export.h"

namespace colconv {

namespace internal {
struct OperatorImpl;
}

class COLCONV_API Conv2dOperator {
 public:
  Conv2dOperator();  // empty: every run returns kInvalidArgument until a Create* fills it
  ~Conv2dOperator();
  Conv2dOperator(Conv2dOperator&&) noexcept;
  Conv2dOperator& operator=(Conv2dOperator&&) noexcept;

  // bias: nullptr, or out_channels values. On failure *op is left as it was.
  static Status CreateForward(const Conv2dDesc& desc, const Shape4& src_shape, const Shape4& weights_shape,
                              const float* weights, const float* bias, Conv2dOperator* op,
                              const PlanOptions& options = PlanOptions());
  // input_sizes as Conv2dPlan::CreateBackpropInput takes them.
  static Status CreateBackpropInput(const Conv2dDesc& desc, const std::vector<int64_t>& input_sizes,
                                    const Shape4& weights_shape, const float* weights, const Shape4& diff_dst_shape,
                                    Conv2dOperator* op, const PlanOptions& options = PlanOptions());
  // Backprop-filter reads no weights: its operator is a plan with the same interface.
  static Status CreateBackpropFilter(const Conv2dDesc& desc, const Shape4& src_shape, const Shape4& weights_sizes,
                                     const Shape4& diff_dst_shape, Conv2dOperator* op,
                                     const PlanOptions& options = PlanOptions());

  // New weights (and forward's bias: nullptr keeps none) of the shapes the operator was made for, packed now. On
  // failure the operator keeps its old weights.
  Status Repack(const float* weights, const float* bias = nullptr);

  bool valid() const { return impl_ != nullptr; }
  Direction direction() const;
  const Conv2dGeometry& geometry() const;
  size_t workspace_bytes() const;    // as Conv2dPlan::workspace_bytes
  std::string description() const;   // as Conv2dPlan::description
  std::string algorithm() const;     // as Conv2dPlan::algorithm
  // Floats the operator keeps for its packed weights and bias.
  int64_t packed_floats() const;

  // As Conv2dPlan's runs, with the operator's weights (and bias). A caller's workspace comes with its size, which
  // must be at least workspace_bytes() (any alignment).
  Status Forward(const float* src, float* dst, void* workspace = nullptr, size_t workspace_size = 0) const;
  Status BackpropInput(const float* diff_dst, float* diff_src, void* workspace = nullptr,
                       size_t workspace_size = 0) const;
  Status BackpropFilter(const float* src, const float* diff_dst, float* diff_weights, void* workspace = nullptr,
                        size_t workspace_size = 0) const;

  // What the operator has done that costs more than computing, for tests and embedders' accounting: how often the
  // weights were packed (1 after Create, +1 per Repack), and how many runs allocated a temporary workspace (the
  // operator's own was in use by another run).
  struct Counters {
    int64_t packs = 0;
    int64_t temporary_workspaces = 0;
  };
  Counters counters() const;

 private:
  std::unique_ptr<internal::OperatorImpl> impl_;
};

}  // namespace colconv

#endif  // COLCONV_OPERATOR_H_
