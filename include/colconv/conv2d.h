// colconv C++ API: a descriptor, a Status that carries its message, shape inference, and plans.
//
// A plan is created once for one problem (direction, attributes, shapes): it validates everything, chooses the
// algorithm, the tiles and the SIMD kernels, and sizes its workspace. Running it allocates nothing when it has
// a workspace. A plan is immutable: one plan may run from many threads at once, each with its own workspace.
//
//   colconv::Conv2dDesc desc;                       // NHWC, HWIO, strides 1, VALID, groups 1
//   desc.strides = {2, 2};
//   desc.padding = colconv::Padding::kSame;
//   colconv::Conv2dPlan plan;
//   colconv::Status s = colconv::Conv2dPlan::CreateForward(desc, {1, 5, 5, 3}, {3, 3, 3, 4}, &plan);
//   if (s.ok()) s = plan.Forward(src, weights, dst);
//   if (!s.ok()) std::cerr << s.message() << "\n";
#ifndef COLCONV_CONV2D_H_
#define COLCONV_CONV2D_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "colconv/export.h"

namespace colconv {

enum class StatusCode : int { kOk = 0, kInvalidArgument = 1, kUnimplemented = 2, kResourceExhausted = 3,
                              kInternal = 4 };  // the values of colconv_status

class COLCONV_API Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

enum class DataFormat : int { kNHWC = 0, kNCHW = 1 };
enum class FilterFormat : int { kHWIO = 0, kOIHW = 1 };
enum class Padding : int { kValid = 0, kSame = 1, kExplicit = 2 };
enum class Direction : int { kForward = 0, kBackpropInput = 1, kBackpropFilter = 2 };

// Tensors in data_format order; filters in filter_format order.
using Shape4 = std::array<int64_t, 4>;

struct Conv2dDesc {
  DataFormat data_format = DataFormat::kNHWC;
  FilterFormat filter_format = FilterFormat::kHWIO;
  std::array<int64_t, 2> strides{{1, 1}};                  // h, w
  std::array<int64_t, 2> dilations{{1, 1}};                // h, w; 1 = dense
  Padding padding = Padding::kValid;
  std::array<int64_t, 4> explicit_paddings{{0, 0, 0, 0}};  // top, bottom, left, right (kExplicit only)
  int64_t groups = 1;                                      // input channels = groups * filter input channels
};

// One spatial dimension of a convolution with every size resolved.
struct SpatialDim {
  int64_t input = 0;             // n
  int64_t filter = 1;            // k
  int64_t stride = 1;            // s
  int64_t dilation = 1;          // d
  int64_t effective_filter = 1;  // (k - 1) * d + 1
  int64_t output = 0;            // o
  int64_t pad_before = 0;        // top or left
  int64_t pad_after = 0;         // bottom or right
};

// A convolution with every size resolved; the three tensor shapes follow from it.
struct Conv2dGeometry {
  DataFormat data_format = DataFormat::kNHWC;
  FilterFormat filter_format = FilterFormat::kHWIO;
  int64_t batch = 0;
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t groups = 1;
  SpatialDim height, width;

  int64_t in_channels_per_group() const { return in_channels / groups; }
  int64_t out_channels_per_group() const { return out_channels / groups; }
  COLCONV_API Shape4 src_shape() const;      // the input (data_format order)
  COLCONV_API Shape4 weights_shape() const;  // the filter (filter_format order)
  COLCONV_API Shape4 dst_shape() const;      // the output (data_format order)
};

// Input sizes [lo, hi] that a forward convolution maps to one output size; empty when lo > hi.
struct SizeRange {
  int64_t lo = 0;
  int64_t hi = -1;
  bool empty() const { return lo > hi; }
};

// The output shape of a forward convolution.
COLCONV_API Status InferConv2dOutputShape(const Conv2dDesc& desc, const Shape4& src_shape,
                                          const Shape4& weights_shape, Shape4* dst_shape);

// Every input size n >= 0 that gives output size `output` along one spatial dimension. For kSame the pads
// are derived from n; for kValid pad_before and pad_after are ignored.
COLCONV_API SizeRange AdmissibleInputSizes(Padding padding, int64_t output, int64_t filter, int64_t stride,
                                           int64_t dilation, int64_t pad_before, int64_t pad_after);

// What a run does with its result besides computing it. The activation is forward's, applied after the bias (which
// a forward run passes as an argument) while each output tile is still in cache. accumulate adds the result to what
// the output holds (GEMM beta = 1), in every direction: residual adds, gradient accumulation. Forward computes
// dst = activation(dst + conv + bias) with accumulate, activation(conv + bias) without.
enum class Activation : int { kNone = 0, kRelu = 1, kRelu6 = 2, kClamp = 3 };
struct PostOps {
  Activation activation = Activation::kNone;
  float clamp_min = 0.0f, clamp_max = 0.0f;  // kClamp's bounds: min <= max, neither NaN
  bool accumulate = false;
};

struct PlanOptions {
  int num_threads = 0;           // 0: colconv's thread setting (SetNumThreads), else the pool's (SetParallelRunner)
  size_t workspace_budget = 0;   // bytes; 0: the default, about threads x 2 x L2
  bool own_workspace = true;     // book a workspace inside the plan for runs that pass none
  std::string gemm;              // GEMM backend ("openblas", "onednn"); "": SetGemmBackend's, COLCONV_GEMM or the default
  // The algorithm to run ("depthwise", "im2col_gemm", ...: Algorithms() lists them), for tests and comparisons;
  // "": SetForcedAlgorithm's, else COLCONV_ALGORITHM, else the planner's choice. One that does not compute the
  // problem makes Create* fail with kInvalidArgument and its reason.
  std::string algorithm;
  PostOps post_ops;
};

namespace internal {
struct PlanImpl;
}

class COLCONV_API Conv2dPlan {
 public:
  Conv2dPlan();  // empty: every run returns kInvalidArgument until a Create* fills it
  ~Conv2dPlan();
  Conv2dPlan(const Conv2dPlan&);
  Conv2dPlan& operator=(const Conv2dPlan&);

  static Status CreateForward(const Conv2dDesc& desc, const Shape4& src_shape, const Shape4& weights_shape,
                              Conv2dPlan* plan, const PlanOptions& options = PlanOptions());
  // input_sizes: 4 values in data_format order, or TensorFlow's 2 values [H, W] (batch from diff_dst,
  // channels from the filter).
  static Status CreateBackpropInput(const Conv2dDesc& desc, const std::vector<int64_t>& input_sizes,
                                    const Shape4& weights_shape, const Shape4& diff_dst_shape,
                                    Conv2dPlan* plan, const PlanOptions& options = PlanOptions());
  static Status CreateBackpropFilter(const Conv2dDesc& desc, const Shape4& src_shape,
                                     const Shape4& weights_sizes, const Shape4& diff_dst_shape,
                                     Conv2dPlan* plan, const PlanOptions& options = PlanOptions());

  bool valid() const { return impl_ != nullptr; }
  Direction direction() const;
  const Conv2dGeometry& geometry() const;
  // Bytes a caller-supplied workspace must have (any alignment); 0 when the algorithm needs none.
  size_t workspace_bytes() const;
  // What runs: algorithm, SIMD target and tiles, for logs and benchmarks.
  std::string description() const;
  // The algorithm that computes the problem ("im2col_gemm", "pointwise_gemm", ...), and why each algorithm the
  // planner asked before it declined ("empty: the result has elements to compute; ...").
  std::string algorithm() const;
  std::string declined_algorithms() const;

  // workspace: nullptr uses the plan's own (or, when it is in use by another thread or the plan has none,
  // a temporary one); otherwise at least workspace_bytes() bytes that no other run uses at the same time.
  // bias: nullptr, or out_channels values added to each output pixel before the activation.
  Status Forward(const float* src, const float* weights, float* dst, void* workspace = nullptr,
                 const float* bias = nullptr) const;
  Status BackpropInput(const float* weights, const float* diff_dst, float* diff_src,
                       void* workspace = nullptr) const;
  Status BackpropFilter(const float* src, const float* diff_dst, float* diff_weights,
                        void* workspace = nullptr) const;

 private:
  std::shared_ptr<const internal::PlanImpl> impl_;
};

// One-shot ops, the C API's in C++: each problem's plan is made on first use and kept (a cache of recent problems
// shared by all threads), and runs use a per-thread workspace that only grows, so repeated calls allocate nothing.
// Arguments are validated as Conv2dPlan::Create* validates them; on error nothing is written.
COLCONV_API Status Conv2dForward(const Conv2dDesc& desc, const Shape4& src_shape, const float* src,
                                 const Shape4& weights_shape, const float* weights, float* dst);
COLCONV_API Status Conv2dBackpropInput(const Conv2dDesc& desc, const std::vector<int64_t>& input_sizes,
                                       const Shape4& weights_shape, const float* weights,
                                       const Shape4& diff_dst_shape, const float* diff_dst, float* diff_src);
COLCONV_API Status Conv2dBackpropFilter(const Conv2dDesc& desc, const Shape4& src_shape, const float* src,
                                        const Shape4& weights_sizes, const Shape4& diff_dst_shape,
                                        const float* diff_dst, float* diff_weights);

// The shape of backprop-input's result: input_sizes (4 values, or TensorFlow's 2) resolved and validated.
COLCONV_API Status InferConv2dBackpropInputShape(const Conv2dDesc& desc, const std::vector<int64_t>& input_sizes,
                                                 const Shape4& weights_shape, const Shape4& diff_dst_shape,
                                                 Shape4* diff_src_shape);

// GEMM backends: "openblas" (the default) and, where colconv was built with Debian's libdnnl-dev, "onednn". Each is
// deterministic by itself; their results differ from each other in the last bits. The process's choice for plans
// made from now on; "" returns to the COLCONV_GEMM environment variable, or the default. A plan keeps its backend.
COLCONV_API Status SetGemmBackend(const std::string& name);
// The backend a plan made now would use; kInvalidArgument when COLCONV_GEMM names one this build lacks.
COLCONV_API Status GetGemmBackend(std::string* name);
// The backends this build has, the default first.
COLCONV_API std::vector<std::string> GemmBackends();

// Forces the algorithm of every plan made from now on (PlanOptions::algorithm overrides it); "" returns to the
// COLCONV_ALGORITHM environment variable, or the planner's choice. For tests and comparisons.
COLCONV_API Status SetForcedAlgorithm(const std::string& name);
// The algorithms, in the order the planner tries them.
COLCONV_API std::vector<std::string> Algorithms();

// Threads colconv's ops use: 0 (default) follows the pool: the parallel runner's threads where one is set, else
// the calling thread's TBB arena.
COLCONV_API Status SetNumThreads(int num_threads);
COLCONV_API int GetNumThreads();

// An engine's thread pool for colconv's ops to run their tasks on instead of TBB's threads, as XNNPACK takes a
// pthreadpool and oneDNN a threadpool: two pools on the same cores take each other's cores when one's threads spin
// waiting for work. run(context, count, work, work_context) must call work(work_context, i) once for each i in
// [0, count) and return when every call has returned; the calls may run on any of the pool's threads, at once or
// one after another (each is one of the op's workers, and the workers share the op's tasks: no result depends on
// which thread runs what). colconv calls it from the thread that started the op, with count <= num_threads, and
// never from inside a work call; while it waits, that thread may run other tasks of the engine's, colconv's ops
// among them (they take a workspace of their own). Process-wide, for the ops started from now on (do not change it
// while an op runs); run == nullptr returns to TBB. kInvalidArgument, changing nothing, when run is set and
// num_threads < 1. An op whose runner returns before its work calls have returned fails with kInternal.
using ParallelWorkFn = void (*)(void* work_context, int index);
using ParallelRunFn = void (*)(void* context, int count, ParallelWorkFn work, void* work_context);
COLCONV_API Status SetParallelRunner(ParallelRunFn run, void* context, int num_threads);

COLCONV_API const char* Version();

// Advice that is not an error (an OpenBLAS core below the CPU's ISA) goes here; nullptr restores stderr.
COLCONV_API void SetWarningHandler(void (*handler)(const char* message, void* user_data), void* user_data);

}  // namespace colconv

#endif  // COLCONV_CONV2D_H_
