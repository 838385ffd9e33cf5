// The C API's operators: colconv::Conv2dOperator behind an opaque handle.
#include <memory>
#include <string>

#include "colconv/colconv.h"
#include "colconv/operator.h"
#include "src/api/c_args.h"
#include "src/str_cat.h"

struct colconv_conv2d_op {
  colconv::Conv2dOperator op;
  std::string algorithm;
};

namespace colconv {
namespace {

// NULL is no post-ops; an activation out of range is reported by the plan, as in C++.
void ReadPostOps(const colconv_post_ops* c, PostOps* post_ops) {
  if (c == nullptr) return;
  post_ops->activation = static_cast<Activation>(EnumValue(c->activation));
  post_ops->clamp_min = c->clamp_min, post_ops->clamp_max = c->clamp_max;
  post_ops->accumulate = c->accumulate != 0;
}

Status Create(const colconv_direction& c_direction, const colconv_conv2d_attrs* attrs, const int64_t* input_shape,
              const int64_t* filter_shape, const int64_t* out_backprop_shape, const float* filter, const float* bias,
              const colconv_post_ops* post_ops, colconv_conv2d_op** out) {
  const char* fn = "colconv_conv2d_op_create";
  Direction d;
  Status s = ReadDirection(fn, c_direction, &d);
  if (s.ok() && out == nullptr) s = NullArgument(fn, "op");
  internal::Request r;
  if (s.ok()) {
    s = ReadRequest(d, attrs,
                    {d == Direction::kBackpropInput ? "input_sizes" : "input_shape",
                     d == Direction::kBackpropFilter ? "filter_sizes" : "filter_shape", "out_backprop_shape"},
                    {input_shape, filter_shape, out_backprop_shape}, &r);
  }
  if (!s.ok()) return s;
  PlanOptions options;
  ReadPostOps(post_ops, &options.post_ops);
  if (d != Direction::kBackpropFilter && filter == nullptr) return NullArgument(fn, "filter");
  auto made = std::make_unique<colconv_conv2d_op>();
  switch (d) {
    case Direction::kForward:
      s = Conv2dOperator::CreateForward(r.desc, {r.input[0], r.input[1], r.input[2], r.input[3]}, r.filter, filter,
                                        bias, &made->op, options);
      break;
    case Direction::kBackpropInput:
      if (bias != nullptr) return Status(StatusCode::kInvalidArgument, StrCat(fn, ": a bias applies to forward only"));
      s = Conv2dOperator::CreateBackpropInput(r.desc, r.input, r.filter, filter, r.out_backprop, &made->op, options);
      break;
    case Direction::kBackpropFilter:
      if (bias != nullptr) return Status(StatusCode::kInvalidArgument, StrCat(fn, ": a bias applies to forward only"));
      s = Conv2dOperator::CreateBackpropFilter(r.desc, {r.input[0], r.input[1], r.input[2], r.input[3]}, r.filter,
                                               r.out_backprop, &made->op, options);
      break;
  }
  if (!s.ok()) return s;
  made->algorithm = made->op.algorithm();
  *out = made.release();
  return s;
}

}  // namespace
}  // namespace colconv

using colconv::Status;

extern "C" {

void colconv_post_ops_init(colconv_post_ops* post_ops) {
  if (post_ops == nullptr) return;
  post_ops->activation = COLCONV_ACTIVATION_NONE;
  post_ops->clamp_min = post_ops->clamp_max = 0.0f;
  post_ops->accumulate = 0;
}

colconv_status colconv_conv2d_op_create(colconv_direction direction, const colconv_conv2d_attrs* attrs,
                                        const int64_t input_shape[4], const int64_t filter_shape[4],
                                        const int64_t out_backprop_shape[4], const float* filter, const float* bias,
                                        const colconv_post_ops* post_ops, colconv_conv2d_op** op) {
  return colconv::Api([&] {
    return colconv::Create(direction, attrs, input_shape, filter_shape, out_backprop_shape, filter, bias, post_ops, op);
  });
}

colconv_status colconv_conv2d_op_repack(colconv_conv2d_op* op, const float* filter, const float* bias) {
  return colconv::Api([&] {
    if (op == nullptr) return colconv::NullArgument("colconv_conv2d_op_repack", "op");
    return op->op.Repack(filter, bias);
  });
}

size_t colconv_conv2d_op_workspace_size(const colconv_conv2d_op* op) { return op ? op->op.workspace_bytes() : 0; }

colconv_status colconv_conv2d_op_run(const colconv_conv2d_op* op, const float* input, const float* out_backprop,
                                     float* result, void* workspace, size_t workspace_size) {
  return colconv::Api([&] {
    if (op == nullptr) return colconv::NullArgument("colconv_conv2d_op_run", "op");
    switch (op->op.direction()) {
      case colconv::Direction::kForward:
        return op->op.Forward(input, result, workspace, workspace_size);
      case colconv::Direction::kBackpropInput:
        return op->op.BackpropInput(out_backprop, result, workspace, workspace_size);
      case colconv::Direction::kBackpropFilter:
        return op->op.BackpropFilter(input, out_backprop, result, workspace, workspace_size);
    }
    return Status();
  });
}

const char* colconv_conv2d_op_algorithm(const colconv_conv2d_op* op) { return op ? op->algorithm.c_str() : nullptr; }

void colconv_conv2d_op_destroy(colconv_conv2d_op* op) { delete op; }

}  // extern "C"
