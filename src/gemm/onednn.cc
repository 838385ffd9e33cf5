// oneDNN's dnnl_sgemm (row-major, 64-bit sizes) behind the Backend interface. Debian's libdnnl runs OpenMP inside:
// each call here runs on one OpenMP thread, so that colconv's TBB workers are the only parallelism.
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "src/gemm/onednn.h"
#include "src/str_cat.h"

namespace colconv {
namespace gemm {
namespace {

// Sets the calling thread's OpenMP team size for one call and restores it: omp_set_num_threads sets the calling
// thread's own setting, which an embedder's code on that thread (PyTorch's, say) must find unchanged.
class OpenMpThreads {
 public:
  explicit OpenMpThreads(int threads) : saved_(omp_get_max_threads()), threads_(threads) {
    if (saved_ != threads_) omp_set_num_threads(threads_);
  }
  ~OpenMpThreads() {
    if (saved_ != threads_) omp_set_num_threads(saved_);
  }
  OpenMpThreads(const OpenMpThreads&) = delete;
  OpenMpThreads& operator=(const OpenMpThreads&) = delete;

 private:
  int saved_, threads_;
};

class OneDnnBackend final : public Backend {
 public:
  const char* name() const override { return "onednn"; }
  int64_t max_extent() const override { return std::numeric_limits<dnnl_dim_t>::max(); }
  // L2/4: L2/2 is within 1% of it, L2/8 7% slower (ResNet-50, batch 1, one thread, three alternating rounds).
  size_t column_tile_bytes(size_t l2_bytes) const override { return l2_bytes / 4; }
  // 64: above it its GEMM ran as fast as the direct kernels or faster (0.87-1.18x their time on the same layers as
  // OpenBLAS's 512, 1x1 backprop-input 0.92x).
  int64_t direct_outputs_per_group() const override { return 64; }
  std::string Describe() const override {
    const dnnl_version_t* v = dnnl_version();
    return StrCat("oneDNN ", v->major, ".", v->minor, ".", v->patch, " dnnl_sgemm (", v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other",
                  " runtime, one thread per call inside colconv's workers)");
  }
  // While any op runs, every call runs on one OpenMP thread; outside ops (a tool's roof), on set_threads' count.
  void EnterOp() const override { ops_.fetch_add(1, std::memory_order_relaxed); }
  void LeaveOp() const override { ops_.fetch_sub(1, std::memory_order_relaxed); }
  int threads() const override { return threads_.load(std::memory_order_relaxed); }
  void set_threads(int threads) const override { threads_.store(threads, std::memory_order_relaxed); }

 protected:
  void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
             int64_t ldb, float beta, float* c, int64_t ldc) const override {
    const OpenMpThreads team(ops_.load(std::memory_order_relaxed) > 0 ? 1 : threads());
    const dnnl_status_t s = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
    if (s != dnnl_success) throw std::logic_error(StrCat("dnnl_sgemm failed with status ", static_cast<int>(s)));
  }

 private:
  mutable std::atomic<int> ops_{0};
  mutable std::atomic<int> threads_{1};
};

}  // namespace

const Backend& OneDnn() {
  static const OneDnnBackend backend;
  return backend;
}

}  // namespace gemm
}  // namespace colconv
