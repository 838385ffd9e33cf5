// What the three direction drivers share: the workspace carve-up, the filter as a GEMM operand, the kernels'
// view of an image, and the decoding of task numbers.
#ifndef COLCONV_SRC_CONV_COMMON_H_
#define COLCONV_SRC_CONV_COMMON_H_

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "src/kernels/col_tile.h"
#include "src/plan.h"

namespace colconv {
namespace internal {

constexpr size_t kWorkspaceAlign = 64;

// Bytes of a workspace holding `shared` floats and `slots` slots of `slot` floats, each 64-byte aligned, at any
// alignment of the caller's pointer.
inline size_t WorkspaceBytes(size_t shared, size_t slots, size_t slot) {
  auto round = [](size_t floats) { return (floats * sizeof(float) + kWorkspaceAlign - 1) / kWorkspaceAlign * kWorkspaceAlign; };
  return kWorkspaceAlign + round(shared) + slots * round(slot);
}

class Workspace {
 public:
  Workspace(const PlanImpl& plan, void* memory) : plan_(plan) {
    const uintptr_t p = reinterpret_cast<uintptr_t>(memory);
    base_ = reinterpret_cast<unsigned char*>((p + kWorkspaceAlign - 1) / kWorkspaceAlign * kWorkspaceAlign);
  }
  float* shared() const { return reinterpret_cast<float*>(base_); }
  float* slot(int worker) const {
    return reinterpret_cast<float*>(base_ + Round(plan_.shared_floats) + static_cast<size_t>(worker) * Round(plan_.slot_floats));
  }

 private:
  static size_t Round(size_t floats) {
    return (floats * sizeof(float) + kWorkspaceAlign - 1) / kWorkspaceAlign * kWorkspaceAlign;
  }
  const PlanImpl& plan_;
  unsigned char* base_;
};

// One group's filter as a K x OCg matrix: element (k, oc) at base[k * ld + oc] when k_rows, else
// base[oc * ld + k]. HWIO is k_rows (tap-major K); OIHW is not (channel-major K); the packed copy is k_rows.
template <typename T>
struct MatrixView {
  T* base;
  int64_t ld;
  bool k_rows;
  T* At(int64_t k0, int64_t oc0) const { return k_rows ? base + k0 * ld + oc0 : base + oc0 * ld + k0; }
};

template <typename T>
MatrixView<T> FilterView(const PlanImpl& plan, T* weights, T* packed, int64_t group) {
  const Conv2dGeometry& g = plan.geometry;
  const int64_t ocg = g.out_channels_per_group();
  if (plan.pack_weights) return {packed + group * plan.k * ocg, ocg, true};
  if (g.filter_format == FilterFormat::kHWIO) return {weights + group * ocg, g.out_channels, true};
  return {weights + group * ocg * plan.k, plan.k, false};
}

inline kernels::ColGeometry ColGeometryOf(const Conv2dGeometry& g) {
  kernels::ColGeometry c;
  c.channels = g.in_channels;
  c.in_h = g.height.input;
  c.in_w = g.width.input;
  c.out_w = g.width.output;
  c.kernel_h = g.height.filter;
  c.kernel_w = g.width.filter;
  c.stride_h = g.height.stride;
  c.stride_w = g.width.stride;
  c.dilation_h = g.height.dilation;
  c.dilation_w = g.width.dilation;
  c.pad_top = g.height.pad_before;
  c.pad_left = g.width.pad_before;
  return c;
}

// Zeroes n floats; an empty tensor may come as a null pointer, which memset must not see.
inline void ZeroFloats(float* data, int64_t n) {
  if (n > 0) std::memset(data, 0, static_cast<size_t>(n) * sizeof(float));
}

// A half-open range [begin, end) of the i-th block of `size` in [0, total).
struct Range {
  int64_t begin, end;
  int64_t size() const { return end - begin; }
};
inline Range BlockOf(int64_t i, int64_t size, int64_t total) { return {i * size, std::min(total, (i + 1) * size)}; }
inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Splits a task number into mixed-radix digits, most significant first: Decode(t, {a, b, c}) -> {x, y, z} with
// t = (x * b + y) * c + z.
template <size_t N>
void Decode(int64_t task, const int64_t (&radix)[N], int64_t (&digit)[N]) {
  for (size_t i = N; i-- > 0;) {
    digit[i] = task % radix[i];
    task /= radix[i];
  }
}

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_CONV_COMMON_H_
