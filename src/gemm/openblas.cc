// OpenBLAS's cblas_sgemm behind the Backend interface, with its thread policy.
#include <cblas.h>

#include <climits>
#include <mutex>

#include "src/gemm/openblas.h"
#include "src/str_cat.h"

namespace colconv {
namespace gemm {
namespace {

class OpenBlasBackend final : public Backend {
 public:
  const char* name() const override { return "openblas"; }
  std::string Describe() const override {
    return StrCat(openblas_get_config(), ", core ", openblas_get_corename());
  }
  int64_t max_extent() const override { return INT_MAX; }
  // L2/8: 3-4% faster than L2/4 in every direction, and L2/2 2% slower (ResNet-50, batch 1, one thread, SkylakeX
  // core, OPENBLAS_L2_SIZE=512, three alternating rounds).
  size_t column_tile_bytes(size_t l2_bytes) const override { return l2_bytes / 8; }
  // 512: the direct kernels ran 1.04-1.28x its im2col + GEMM and 1x1 paths on layers of 96-512 outputs at unit
  // stride (ResNet-50's 28- and 56-wide layers, VGG's, one thread).
  int64_t direct_outputs_per_group() const override { return 512; }

  // openblas_set_num_threads is process-wide in 0.3.21: while any op runs OpenBLAS is held at one thread (so an
  // embedder's own GEMMs on other threads run single-threaded then too); the first op saves its count and the
  // last one restores it.
  void EnterOp() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ops_++ == 0) {
      saved_threads_ = openblas_get_num_threads();
      if (saved_threads_ != 1) openblas_set_num_threads(1);
    }
  }
  void LeaveOp() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--ops_ == 0 && saved_threads_ != 1) openblas_set_num_threads(saved_threads_);
  }

  void AdviseOnce() const override { WarnOnceIfCoreBelowCpu(); }

  int threads() const override { return openblas_get_num_threads(); }
  void set_threads(int threads) const override { openblas_set_num_threads(threads); }

 protected:
  void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
             int64_t ldb, float beta, float* c, int64_t ldc) const override {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, a,
                static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
  }

 private:
  mutable std::mutex mutex_;
  mutable int ops_ = 0;
  mutable int saved_threads_ = 1;
};

}  // namespace

const Backend& OpenBlas() {
  static const OpenBlasBackend backend;
  return backend;
}

}  // namespace gemm
}  // namespace colconv
