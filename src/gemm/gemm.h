// The GEMM seam: every matrix product in colconv goes through a Backend, with each operand given as a view that
// states its shape (rows x cols) and how it is stored, so call sites say what they multiply, not strides and
// transpose flags. One file per backend implements it (openblas.cc, onednn.cc); backends.cc says which run.
#ifndef COLCONV_SRC_GEMM_GEMM_H_
#define COLCONV_SRC_GEMM_GEMM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "colconv/conv2d.h"

namespace colconv {
namespace gemm {

// A rows x cols matrix over row-major storage with leading dimension ld: element (r, c) at data[r * ld + c], or,
// for a transposed view, at data[c * ld + r] (the storage holds the matrix's transpose).
template <typename T>
struct View {
  T* data = nullptr;
  int64_t rows = 0, cols = 0, ld = 0;
  bool transposed = false;

  // The same storage read as the cols x rows transpose.
  View<T> Transpose() const { return {data, cols, rows, ld, !transposed}; }
  // The rows x cols block whose first element is (r0, c0).
  View<T> Block(int64_t r0, int64_t c0, int64_t block_rows, int64_t block_cols) const {
    return {data + (transposed ? c0 * ld + r0 : r0 * ld + c0), block_rows, block_cols, ld, transposed};
  }
};
using ConstMatrix = View<const float>;
using Matrix = View<float>;

template <typename T>
View<T> RowMajor(T* data, int64_t rows, int64_t cols, int64_t ld) {
  return {data, rows, cols, ld, false};
}
// A rows x cols matrix whose storage is its cols x rows transpose, row-major with leading dimension ld.
template <typename T>
View<T> Transposed(T* data, int64_t rows, int64_t cols, int64_t ld) {
  return {data, rows, cols, ld, true};
}

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // What runs, for `colconv info` and benchmark headers ("OpenBLAS 0.3.21 ..., core SkylakeX").
  virtual std::string Describe() const = 0;
  // The largest size or leading dimension one call accepts (a 32-bit interface: INT_MAX).
  virtual int64_t max_extent() const = 0;
  // The bytes of one column tile that the tiled algorithms feed it, given the per-core L2: the share of L2 the
  // backend's own packing leaves to the tile (measured per backend on ResNet-50).
  virtual size_t column_tile_bytes(size_t l2_bytes) const = 0;
  // The most output channels per group (64 or more) that the direct NHWC kernels take over this backend's GEMM on
  // targets of 16 lanes (at unit stride, where an image makes two tasks of them; src/algorithms/direct_nhwc.cc):
  // measured per backend.
  virtual int64_t direct_outputs_per_group() const = 0;

  // c = a * b + beta * c. Sizes must agree and fit max_extent(); plans check both when they are made.
  void Multiply(const ConstMatrix& a, const ConstMatrix& b, float beta, const Matrix& c) const;

  // While an op runs, colconv's workers are the parallelism: a backend keeps its own threads out of their calls,
  // and restores its setting afterwards. OpScope brackets a run.
  virtual void EnterOp() const = 0;
  virtual void LeaveOp() const = 0;

  // Warns once per process (through colconv's warning handler) when the backend is set up below the machine.
  virtual void AdviseOnce() const {}

  // The backend's own threads, for tools that time a threaded GEMM next to colconv.
  virtual int threads() const = 0;
  virtual void set_threads(int threads) const = 0;

 protected:
  // Row-major C = op(A) * op(B) + beta * C, op(A) m x k, op(B) k x n.
  virtual void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                     const float* b, int64_t ldb, float beta, float* c, int64_t ldc) const = 0;
};

class OpScope {
 public:
  explicit OpScope(const Backend& backend) : backend_(backend) { backend_.EnterOp(); }
  ~OpScope() { backend_.LeaveOp(); }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  const Backend& backend_;
};

// The backends this build has, the default (OpenBLAS where built) first.
const std::vector<const Backend*>& BuiltBackends();
// "openblas, onednn": the built backends' names, joined by `separator`.
std::string BuiltBackendNames(const char* separator = ", ");

// The backend a plan uses: `requested` if not empty, else the process's choice (SetProcessBackend), else the
// COLCONV_GEMM environment variable if set, else the default. An unknown or unbuilt name is kInvalidArgument,
// naming where it came from and what this build has.
Status ChooseBackend(const std::string& requested, const Backend** backend);
// The process's choice; "" returns to COLCONV_GEMM or the default.
Status SetProcessBackend(const std::string& name);

}  // namespace gemm
}  // namespace colconv

#endif  // COLCONV_SRC_GEMM_GEMM_H_
