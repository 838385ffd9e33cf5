// The C API: converts C arguments into requests for the wall (src/api/wall.h). Nothing escapes as an
// exception; every failure becomes a status and this thread's last-error message.
#include <array>
#include <cstring>
#include <string>

#include "colconv/colconv.h"
#include "colconv/conv2d.h"
#include "src/api/c_args.h"
#include "src/api/plan_cache.h"
#include "src/api/wall.h"
#include "src/gemm/gemm.h"
#include "src/shape.h"
#include "src/str_cat.h"
#include "src/warnings.h"

namespace colconv {
namespace {

// The one-shot path of one op.
Status RunOp(Direction direction, const colconv_conv2d_attrs* attrs, std::array<const char*, 3> shape_names,
             std::array<const int64_t*, 3> shapes, const internal::OpTensors& tensors) {
  internal::Request request;
  const Status s = ReadRequest(direction, attrs, shape_names, shapes, &request);
  return s.ok() ? internal::RunOneShot(request, tensors) : s;
}

}  // namespace
}  // namespace colconv

using colconv::Conv2dDesc;
using colconv::Direction;
using colconv::Shape4;
using colconv::Status;

extern "C" {

void colconv_conv2d_attrs_init(colconv_conv2d_attrs* attrs) {
  if (attrs == nullptr) return;
  std::memset(attrs, 0, sizeof *attrs);
  attrs->data_format = COLCONV_NHWC;
  attrs->filter_format = COLCONV_HWIO;
  attrs->strides[0] = attrs->strides[1] = 1;
  attrs->dilations[0] = attrs->dilations[1] = 1;
  attrs->padding = COLCONV_VALID;
  attrs->groups = 1;
}

colconv_status colconv_conv2d_output_shape(const colconv_conv2d_attrs* attrs, const int64_t input_shape[4],
                                           const int64_t filter_shape[4], int64_t output_shape[4]) {
  return colconv::Api([&] {
    const char* op = "conv2d";
    Conv2dDesc desc;
    Shape4 input{}, filter{}, output{};
    Status s = colconv::ReadAttrs(op, attrs, &desc);
    if (s.ok()) s = colconv::ReadShape(op, "input_shape", input_shape, &input);
    if (s.ok()) s = colconv::ReadShape(op, "filter_shape", filter_shape, &filter);
    if (s.ok() && output_shape == nullptr) s = colconv::NullArgument(op, "output_shape");
    if (s.ok()) s = colconv::InferConv2dOutputShape(desc, input, filter, &output);
    if (s.ok()) std::memcpy(output_shape, output.data(), sizeof output);
    return s;
  });
}

colconv_status colconv_conv2d(const colconv_conv2d_attrs* attrs, const int64_t input_shape[4], const float* input,
                              const int64_t filter_shape[4], const float* filter, float* output) {
  return colconv::Api([&] {
    return colconv::RunOp(Direction::kForward, attrs, {"input_shape", "filter_shape", ""},
                          {input_shape, filter_shape, nullptr}, {{"input", "filter", "output"}, input, filter, output});
  });
}

colconv_status colconv_conv2d_backprop_input(const colconv_conv2d_attrs* attrs, const int64_t input_sizes[4],
                                             const int64_t filter_shape[4], const float* filter,
                                             const int64_t out_backprop_shape[4], const float* out_backprop,
                                             float* in_backprop) {
  return colconv::Api([&] {
    return colconv::RunOp(Direction::kBackpropInput, attrs, {"input_sizes", "filter_shape", "out_backprop_shape"},
                          {input_sizes, filter_shape, out_backprop_shape},
                          {{"filter", "out_backprop", "in_backprop"}, filter, out_backprop, in_backprop});
  });
}

colconv_status colconv_conv2d_backprop_filter(const colconv_conv2d_attrs* attrs, const int64_t input_shape[4],
                                              const float* input, const int64_t filter_sizes[4],
                                              const int64_t out_backprop_shape[4], const float* out_backprop,
                                              float* filter_backprop) {
  return colconv::Api([&] {
    return colconv::RunOp(Direction::kBackpropFilter, attrs, {"input_shape", "filter_sizes", "out_backprop_shape"},
                          {input_shape, filter_sizes, out_backprop_shape},
                          {{"input", "out_backprop", "filter_backprop"}, input, out_backprop, filter_backprop});
  });
}

const char* colconv_last_error(void) { return colconv::LastError(); }

const char* colconv_version(void) { return COLCONV_VERSION; }

int colconv_version_number(void) {
  return COLCONV_VERSION_MAJOR * 10000 + COLCONV_VERSION_MINOR * 100 + COLCONV_VERSION_PATCH;
}

colconv_status colconv_set_num_threads(int num_threads) {
  return colconv::Api([&] { return colconv::SetNumThreads(num_threads); });
}

int colconv_get_num_threads(void) { return colconv::GetNumThreads(); }

colconv_status colconv_set_parallel_runner(colconv_parallel_run run, void* context, int num_threads) {
  return colconv::Api([&] { return colconv::SetParallelRunner(run, context, num_threads); });
}

colconv_status colconv_set_workspace_budget(size_t bytes) {
  return colconv::Api([&] {
    colconv::internal::SetCachedPlanBudget(bytes);
    return Status();
  });
}

colconv_status colconv_set_gemm_backend(const char* name) {
  return colconv::Api([&] { return colconv::SetGemmBackend(name != nullptr ? name : ""); });
}

const char* colconv_get_gemm_backend(void) {
  const char* name = nullptr;
  colconv::Api([&] {
    const colconv::gemm::Backend* backend = nullptr;
    const Status s = colconv::gemm::ChooseBackend("", &backend);
    if (s.ok()) name = backend->name();
    return s;
  });
  return name;
}

const char* colconv_gemm_backends(void) {
  static const std::string names = colconv::gemm::BuiltBackendNames(",");
  return names.c_str();
}

const char* colconv_conv2d_algorithm(colconv_direction direction, const colconv_conv2d_attrs* attrs,
                                     const int64_t input_shape[4], const int64_t filter_shape[4],
                                     const int64_t out_backprop_shape[4]) {
  const char* name = nullptr;
  colconv::Api([&] {
    Direction dir;
    Status s = colconv::ReadDirection("colconv_conv2d_algorithm", direction, &dir);
    if (!s.ok()) return s;
    const bool backprop_input = dir == Direction::kBackpropInput;
    colconv::internal::Request request;
    s = colconv::ReadRequest(dir, attrs, {backprop_input ? "input_sizes" : "input_shape", dir == Direction::kBackpropFilter ? "filter_sizes" : "filter_shape", "out_backprop_shape"},
                                    {input_shape, filter_shape, out_backprop_shape}, &request);
    std::shared_ptr<const colconv::internal::Plan> plan;
    if (s.ok()) s = colconv::internal::CachedPlan(request, &plan);
    if (s.ok()) name = plan->algorithm->name();
    return s;
  });
  return name;
}

colconv_status colconv_set_algorithm(const char* name) {
  return colconv::Api([&] { return colconv::SetForcedAlgorithm(name != nullptr ? name : ""); });
}

void colconv_set_warning_handler(colconv_warning_handler handler, void* user_data) {
  colconv::SetWarningHandler(handler, user_data);
}

}  // extern "C"
