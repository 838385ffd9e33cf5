// An engine's thread pool (SetParallelRunner): the ops run their workers through it with the same bits as on
// TBB's threads, at any thread count and whether the runner runs its calls at once or one after another; a bad
// setting is an error that changes nothing, and a runner that breaks its contract fails the op.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "colconv/colconv.h"
#include "colconv/conv2d.h"
#include "src/shape.h"
#include "tests/test_util.h"

namespace colconv {
namespace {

// What a runner saw: its calls, the largest count, and the work calls it made.
struct RunnerLog {
  std::atomic<int> calls{0}, max_count{0}, works{0};
  void Saw(int count) {
    ++calls;
    int seen = max_count.load();
    while (count > seen && !max_count.compare_exchange_weak(seen, count)) {
    }
    works += count;
  }
};

// A thread per work call but the first, which the calling thread runs.
void ThreadsRun(void* context, int count, ParallelWorkFn work, void* work_context) {
  static_cast<RunnerLog*>(context)->Saw(count);
  std::vector<std::thread> threads;
  for (int i = 1; i < count; ++i) threads.emplace_back(work, work_context, i);
  work(work_context, 0);
  for (std::thread& thread : threads) thread.join();
}

// Every work call on the calling thread, the last index first.
void SequentialRun(void* context, int count, ParallelWorkFn work, void* work_context) {
  static_cast<RunnerLog*>(context)->Saw(count);
  for (int i = count - 1; i >= 0; --i) work(work_context, i);
}

// Breaks the contract: returns without calling any work.
void LazyRun(void* context, int count, ParallelWorkFn, void*) { static_cast<RunnerLog*>(context)->Saw(count); }

// An engine's pool that runs another of its tasks on the waiting thread: here, before the work calls, a one-shot
// forward of its own at the outermost call (whose columns would overwrite the reordered filter the op that called
// the runner keeps in its workspace, were they on the same one).
struct NestingPool {
  RunnerLog log;
  std::vector<float> src = test::RandomFloats(6 * 6 * 8, 4), weights = test::RandomFloats(3 * 3 * 8 * 8, 5),
                     dst = std::vector<float>(6 * 6 * 8);
  int depth = 0;
  void Nested(float* out) const {
    Conv2dDesc desc;
    desc.padding = Padding::kSame;
    REQUIRE(Conv2dForward(desc, {1, 6, 6, 8}, src.data(), {3, 3, 8, 8}, weights.data(), out).ok());
  }
};
void NestingRun(void* context, int count, ParallelWorkFn work, void* work_context) {
  NestingPool& pool = *static_cast<NestingPool*>(context);
  pool.log.Saw(count);
  if (pool.depth++ == 0) pool.Nested(pool.dst.data());
  --pool.depth;
  for (int i = 0; i < count; ++i) work(work_context, i);
}

// Restores TBB's threads, the thread setting and the planner's choice when a test case ends, whatever it checked.
struct RestorePool {
  ~RestorePool() {
    SetParallelRunner(nullptr, nullptr, 0);
    SetNumThreads(0);
    SetForcedAlgorithm("");
  }
};

// Forward, backprop-input and backprop-filter of one problem through plans made with `threads` threads.
std::vector<std::vector<float>> RunAll(const Conv2dDesc& desc, const Shape4& src, const Shape4& weights,
                                       int threads, const char* algorithm) {
  Conv2dGeometry g;
  REQUIRE(ResolveForward(desc, src, weights, &g).ok());
  const std::vector<float> x = test::RandomFloats(static_cast<size_t>(NumElements(src)), 1);
  const std::vector<float> w = test::RandomFloats(static_cast<size_t>(NumElements(weights)), 2);
  const std::vector<float> dy = test::RandomFloats(static_cast<size_t>(NumElements(g.dst_shape())), 3);
  PlanOptions options;
  options.num_threads = threads;
  options.algorithm = algorithm;
  Conv2dPlan fwd, bwd_data, bwd_filter;
  REQUIRE(Conv2dPlan::CreateForward(desc, src, weights, &fwd, options).ok());
  REQUIRE(Conv2dPlan::CreateBackpropInput(desc, {src[0], src[1], src[2], src[3]}, weights, g.dst_shape(), &bwd_data,
                                          options)
              .ok());
  REQUIRE(Conv2dPlan::CreateBackpropFilter(desc, src, weights, g.dst_shape(), &bwd_filter, options).ok());
  std::vector<std::vector<float>> results = {std::vector<float>(dy.size()), std::vector<float>(x.size()),
                                             std::vector<float>(w.size())};
  REQUIRE(fwd.Forward(x.data(), w.data(), results[0].data()).ok());
  REQUIRE(bwd_data.BackpropInput(w.data(), dy.data(), results[1].data()).ok());
  REQUIRE(bwd_filter.BackpropFilter(x.data(), dy.data(), results[2].data()).ok());
  return results;
}

TEST_CASE("an engine's parallel runner runs the ops' workers, with TBB's bits at 1, 2, 3 and 5 threads") {
  const RestorePool restore;
  struct Case {
    Shape4 src, weights;
    int64_t groups;
    const char* algorithm;
  };
  const Case cases[] = {{{2, 12, 14, 32}, {3, 3, 32, 40}, 1, "im2col_gemm"},
                        {{2, 15, 18, 32}, {3, 3, 4, 32}, 8, "direct_nhwc"},
                        {{2, 19, 21, 24}, {3, 3, 1, 24}, 24, "depthwise"}};
  for (const Case& c : cases) {
    CAPTURE(c.algorithm);
    Conv2dDesc desc;
    desc.padding = Padding::kSame;
    desc.groups = c.groups;
    const std::vector<std::vector<float>> tbb = RunAll(desc, c.src, c.weights, 3, c.algorithm);
    for (const ParallelRunFn run : {&ThreadsRun, &SequentialRun}) {
      for (const int threads : {1, 2, 3, 5}) {
        CAPTURE(threads);
        RunnerLog log;
        REQUIRE(SetParallelRunner(run, &log, threads).ok());
        CHECK(GetNumThreads() == threads);  // the thread setting 0 follows the pool
        const std::vector<std::vector<float>> pooled = RunAll(desc, c.src, c.weights, 0, c.algorithm);
        for (size_t d = 0; d < pooled.size(); ++d) {
          CAPTURE(d);
          CHECK(test::SameBits(pooled[d], tbb[d]));
        }
        // One worker runs on the calling thread without the runner; more go through it, never more than it has.
        CHECK((threads == 1) == (log.calls == 0));
        CHECK(log.max_count <= threads);
        REQUIRE(SetParallelRunner(nullptr, nullptr, 0).ok());
      }
    }
  }
}

TEST_CASE("the parallel runner: a runner without threads is an error that changes nothing; NULL returns to TBB") {
  const RestorePool restore;
  const int tbb_threads = GetNumThreads();
  RunnerLog log;
  REQUIRE(SetParallelRunner(&ThreadsRun, &log, 2).ok());
  for (const int threads : {0, -3}) {
    const Status s = SetParallelRunner(&SequentialRun, &log, threads);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message() == "SetParallelRunner: num_threads is " + std::to_string(threads) +
                             "; a runner must have >= 1 thread");
    CHECK(GetNumThreads() == 2);
  }
  CHECK(colconv_set_parallel_runner(&SequentialRun, &log, 0) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()) == "SetParallelRunner: num_threads is 0; a runner must have >= 1 thread");
  // The thread setting still caps what the runner gets.
  REQUIRE(SetNumThreads(1).ok());
  CHECK(GetNumThreads() == 1);
  REQUIRE(SetNumThreads(0).ok());
  REQUIRE(colconv_set_parallel_runner(nullptr, nullptr, 0) == COLCONV_OK);
  CHECK(colconv_get_num_threads() == tbb_threads);
  const int calls = log.calls;
  RunAll(Conv2dDesc(), {2, 12, 14, 32}, {3, 3, 32, 40}, 2, "im2col_gemm");
  CHECK(log.calls == calls);  // TBB's threads ran it
}

TEST_CASE("an op started while a runner waits on its calling thread runs on a workspace of its own") {
  const RestorePool restore;
  REQUIRE(SetForcedAlgorithm("im2col_gemm").ok());  // NHWC with an OIHW filter: the filter reordered in the workspace
  NestingPool pool;
  Conv2dDesc desc;
  desc.padding = Padding::kSame;
  desc.filter_format = FilterFormat::kOIHW;
  const Shape4 src{2, 12, 14, 32}, weights{40, 32, 3, 3};
  const std::vector<float> x = test::RandomFloats(2 * 12 * 14 * 32, 1), w = test::RandomFloats(3 * 3 * 32 * 40, 2);
  std::vector<float> want(2 * 12 * 14 * 40), nested_want(pool.dst.size()), got(want.size());
  REQUIRE(Conv2dForward(desc, src, x.data(), weights, w.data(), want.data()).ok());
  pool.Nested(nested_want.data());
  REQUIRE(SetParallelRunner(&NestingRun, &pool, 2).ok());
  REQUIRE(Conv2dForward(desc, src, x.data(), weights, w.data(), got.data()).ok());
  CHECK(pool.log.calls >= 1);
  CHECK(test::SameBits(got, want));
  CHECK(test::SameBits(pool.dst, nested_want));
}

TEST_CASE("a runner that returns before its work calls fails the op with kInternal and writes nothing") {
  const RestorePool restore;
  RunnerLog log;
  REQUIRE(SetParallelRunner(&LazyRun, &log, 2).ok());
  Conv2dDesc desc;
  desc.padding = Padding::kSame;
  const Shape4 src{2, 12, 14, 32}, weights{3, 3, 32, 40};
  const std::vector<float> x = test::RandomFloats(2 * 12 * 14 * 32, 1), w = test::RandomFloats(3 * 3 * 32 * 40, 2);
  std::vector<float> y(2 * 12 * 14 * 40, -5.0f);
  const Status s = Conv2dForward(desc, src, x.data(), weights, w.data(), y.data());
  CHECK(s.code() == StatusCode::kInternal);
  CHECK(s.message() == "colconv: internal error: the parallel runner returned when 0 of its 2 work calls had "
                       "returned (SetParallelRunner: a runner calls each once and returns when all have)");
  CHECK(log.calls == 1);
  CHECK(std::all_of(y.begin(), y.end(), [](float v) { return v == -5.0f; }));
}

}  // namespace
}  // namespace colconv
