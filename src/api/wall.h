// The one path every entry point takes into colconv (the C API, the C++ API and its one-shot functions, which
// the Python binding uses): resolve and validate a request once, check the caller's pointers once, run the plan,
// and turn anything that escapes into a Status. Nothing behind it calls back out into the public API.
#ifndef COLCONV_SRC_API_WALL_H_
#define COLCONV_SRC_API_WALL_H_

#include <array>
#include <cstdint>
#include <exception>
#include <new>
#include <vector>

#include "colconv/conv2d.h"
#include "src/plan.h"
#include "src/str_cat.h"

namespace colconv {
namespace internal {

// A problem as the APIs receive it, before validation.
struct Request {
  Direction direction = Direction::kForward;
  Conv2dDesc desc;
  std::vector<int64_t> input;  // input_shape, or backprop-input's input_sizes (4 values, or TensorFlow's 2)
  Shape4 filter{};             // filter_shape, or backprop-filter's filter_sizes
  Shape4 out_backprop{};       // the backprops only
};

Request MakeRequest(Direction direction, const Conv2dDesc& desc, std::vector<int64_t> input, const Shape4& filter,
                    const Shape4& out_backprop);
inline std::vector<int64_t> Sizes(const Shape4& shape) { return {shape.begin(), shape.end()}; }

// Validates a request in TensorFlow's order and resolves every size.
Status Resolve(const Request& request, Conv2dGeometry* geometry);

// The caller's three tensors in the op's argument order (forward: src, weights, dst; backprop-input: weights,
// diff_dst, diff_src; backprop-filter: src, diff_dst, diff_weights), named as the caller's API names them.
struct OpTensors {
  std::array<const char*, 3> names;
  const float* in0;
  const float* in1;
  float* out;
  const float* bias = nullptr;  // forward's, out_channels values, or null
  const void* data(int i) const { return i == 0 ? static_cast<const void*>(in0) : i == 1 ? in1 : out; }
};

// Each pointer may be null only when its tensor has no elements; a bias is forward's only.
Status CheckTensors(const Plan& plan, const OpTensors& tensors);
// Runs a plan on checked tensors with `workers` workers and plan.WorkspaceBytes(workers) bytes of `workspace`.
void RunChecked(const Plan& plan, int workers, const OpTensors& tensors, void* workspace);

// The one-shot path: the request's cached plan, checked tensors, this thread's workspace, the thread setting.
Status RunOneShot(const Request& request, const OpTensors& tensors);

// Runs f, turning the exceptions that can escape colconv (allocation failures, internal errors) into a Status.
template <typename F>
Status Guarded(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kResourceExhausted, "colconv: out of memory");
  } catch (const std::exception& e) {
    return Status(StatusCode::kInternal, StrCat("colconv: internal error: ", e.what()));
  }
}

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_API_WALL_H_
