// The GEMM backends: choosing one (API, environment, plan options) and the errors for names this build lacks,
// bitwise determinism per backend at any thread count, and no oversubscription: a run asked for N threads keeps
// at most N threads busy, whatever threads the backend would start by itself.
#include <doctest/doctest.h>

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "colconv/colconv.h"
#include "colconv/conv2d.h"
#include "src/kernels/kernels.h"
#include "src/shape.h"
#include "tests/test_util.h"

namespace colconv {
namespace {

// Sets COLCONV_GEMM for one scope and restores what was there.
class ScopedEnv {
 public:
  explicit ScopedEnv(const char* value) {
    const char* old = std::getenv("COLCONV_GEMM");
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value != nullptr) {
      setenv("COLCONV_GEMM", value, 1);
    } else {
      unsetenv("COLCONV_GEMM");
    }
  }
  ~ScopedEnv() {
    if (had_) {
      setenv("COLCONV_GEMM", old_.c_str(), 1);
    } else {
      unsetenv("COLCONV_GEMM");
    }
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST_CASE("the GEMM backend: chosen by API, environment or plan options; unknown and unbuilt names are errors") {
  const std::vector<std::string> built = GemmBackends();
  REQUIRE(!built.empty());
  CHECK(built.front() == "openblas");  // the default, where built (every build but -Dgemm=onednn)
  std::string listed;
  for (const std::string& b : built) listed += (listed.empty() ? "" : ",") + b;
  CHECK(listed == colconv_gemm_backends());

  const ScopedEnv no_env(nullptr);
  std::string name;
  REQUIRE(GetGemmBackend(&name).ok());
  CHECK(name == built.front());
  for (const std::string& b : built) {
    REQUIRE(SetGemmBackend(b).ok());
    CHECK((GetGemmBackend(&name).ok() && name == b));
    CHECK(std::string(colconv_get_gemm_backend()) == b);
  }
  // An unknown name changes nothing and says what this build has.
  const Status s = SetGemmBackend("mkl");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("'mkl' is not a GEMM backend") != std::string::npos);
  CHECK(s.message().find(built.front()) != std::string::npos);
  CHECK((GetGemmBackend(&name).ok() && name == built.back()));
  CHECK(colconv_set_gemm_backend("blis") == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()).find("'blis' is not a GEMM backend") != std::string::npos);
  if (built.size() == 1) {
    const std::string other = built.front() == "openblas" ? "onednn" : "openblas";
    CHECK(SetGemmBackend(other).message().find("is not built into this colconv") != std::string::npos);
  }
  REQUIRE(colconv_set_gemm_backend(nullptr) == COLCONV_OK);  // back to the environment, here unset: the default
  CHECK(std::string(colconv_get_gemm_backend()) == built.front());

  // The environment, when the process has not chosen; an unknown value fails every op with a message.
  {
    const ScopedEnv env(built.back().c_str());
    CHECK(std::string(colconv_get_gemm_backend()) == built.back());
  }
  {
    const ScopedEnv env("cublas");
    const std::string unknown = "COLCONV_GEMM: the backend 'cublas' is not a GEMM backend";
    CHECK(colconv_get_gemm_backend() == nullptr);
    CHECK(std::string(colconv_last_error()).find(unknown) != std::string::npos);
    colconv_conv2d_attrs attrs;
    colconv_conv2d_attrs_init(&attrs);
    const int64_t in[4] = {1, 4, 4, 2}, f[4] = {3, 3, 2, 2};
    std::vector<float> x(32, 1.0f), w(36, 1.0f), y(8, -3.0f);
    CHECK(colconv_conv2d(&attrs, in, x.data(), f, w.data(), y.data()) == COLCONV_INVALID_ARGUMENT);
    CHECK(std::string(colconv_last_error()).find(unknown) != std::string::npos);
    CHECK(y == std::vector<float>(8, -3.0f));
    // A plan that names its backend does not look at the environment.
    PlanOptions options;
    options.gemm = built.front();
    Conv2dPlan plan;
    CHECK(Conv2dPlan::CreateForward(Conv2dDesc(), {1, 4, 4, 2}, {3, 3, 2, 2}, &plan, options).ok());
    options.gemm = "nope";
    CHECK(Conv2dPlan::CreateForward(Conv2dDesc(), {1, 4, 4, 2}, {3, 3, 2, 2}, &plan, options).message().find(
              "PlanOptions::gemm: the backend 'nope' is not a GEMM backend") != std::string::npos);
  }
}

TEST_CASE("with each backend and algorithm, results are bitwise identical at 1, 2, 3 and 5 threads") {
  struct Case {
    DataFormat df;
    FilterFormat ff;
    int64_t n, c, h, w, o, k, groups;
    const char* algorithm;  // what the planner must choose in every direction
    bool forced = false;  // the algorithm is forced (PlanOptions::algorithm), where the planner would choose others
  };
  // Forced where 16-lane targets would run direct_nhwc's forward (with an HWIO filter, in two blocks of rows).
  const Case cases[] = {{DataFormat::kNHWC, FilterFormat::kHWIO, 3, 32, 8, 18, 40, 3, 1, "im2col_gemm", true},
                        // NCHW im2col with channel blocks, and with groups
                        {DataFormat::kNCHW, FilterFormat::kOIHW, 1, 96, 14, 14, 64, 3, 1, "im2col_gemm", true},
                        {DataFormat::kNHWC, FilterFormat::kOIHW, 2, 64, 8, 8, 96, 1, 1, "pointwise_gemm"},
                        {DataFormat::kNCHW, FilterFormat::kHWIO, 2, 16, 30, 30, 24, 5, 2, "im2col_gemm", true},
                        // NCHW groups of 16 channels on NHWC copies
                        {DataFormat::kNCHW, FilterFormat::kOIHW, 2, 64, 15, 18, 64, 3, 4, "direct_nhwc"},
                        // depthwise, NHWC and NCHW (multiplier 2)
                        {DataFormat::kNHWC, FilterFormat::kHWIO, 2, 24, 19, 21, 24, 3, 24, "depthwise"},
                        {DataFormat::kNCHW, FilterFormat::kOIHW, 2, 12, 17, 23, 24, 5, 12, "depthwise"},
                        // thin NHWC groups (4 channels each), a 1-channel image and a three-channel stem (their
                        // backprop-input in reduce mode)
                        {DataFormat::kNHWC, FilterFormat::kHWIO, 2, 32, 15, 18, 32, 3, 8, "direct_nhwc"},
                        {DataFormat::kNHWC, FilterFormat::kHWIO, 2, 1, 64, 40, 64, 3, 1, "direct_nhwc"},
                        {DataFormat::kNHWC, FilterFormat::kOIHW, 2, 3, 21, 19, 32, 3, 1, "direct_nhwc"}};
  for (const std::string& backend : GemmBackends()) {
    for (const Case& c : cases) {
      Conv2dDesc desc;
      desc.data_format = c.df;
      desc.filter_format = c.ff;
      desc.padding = Padding::kSame;
      desc.groups = c.groups;
      Conv2dGeometry g;
      REQUIRE(ResolveForward(desc, test::DataShape(c.df, c.n, c.c, c.h, c.w),
                             test::FilterShape(c.ff, c.o, c.c / c.groups, c.k, c.k), &g)
                  .ok());
      const Shape4 src = g.src_shape();
      const std::vector<float> x = test::RandomFloats(static_cast<size_t>(NumElements(src)), 1);
      const std::vector<float> w = test::RandomFloats(static_cast<size_t>(NumElements(g.weights_shape())), 2);
      const std::vector<float> dy = test::RandomFloats(static_cast<size_t>(NumElements(g.dst_shape())), 3);
      std::map<int, std::vector<float>> first;
      for (int threads : {1, 2, 3, 5, 2}) {
        PlanOptions options;
        options.num_threads = threads;
        options.gemm = backend;
        if (c.forced) options.algorithm = c.algorithm;
        Conv2dPlan fwd, bwd_data, bwd_filter;
        REQUIRE(Conv2dPlan::CreateForward(desc, src, g.weights_shape(), &fwd, options).ok());
        REQUIRE(Conv2dPlan::CreateBackpropInput(desc, {src[0], src[1], src[2], src[3]}, g.weights_shape(), g.dst_shape(),
                                                &bwd_data, options)
                    .ok());
        REQUIRE(Conv2dPlan::CreateBackpropFilter(desc, src, g.weights_shape(), g.dst_shape(), &bwd_filter, options).ok());
        CAPTURE(c.c);
        CAPTURE(c.groups);
        CHECK(fwd.algorithm() == c.algorithm);
        CHECK(bwd_data.algorithm() == c.algorithm);
        CHECK(bwd_filter.algorithm() == c.algorithm);
        std::vector<float> y(dy.size()), dx(x.size()), dw(w.size());
        REQUIRE(fwd.Forward(x.data(), w.data(), y.data()).ok());
        REQUIRE(bwd_data.BackpropInput(w.data(), dy.data(), dx.data()).ok());
        REQUIRE(bwd_filter.BackpropFilter(x.data(), dy.data(), dw.data()).ok());
        const std::vector<float>* results[3] = {&y, &dx, &dw};
        for (int d = 0; d < 3; ++d) {
          CAPTURE(backend);
          CAPTURE(threads);
          CAPTURE(d);
          if (first.count(d) == 0) {
            first[d] = *results[d];
          } else {
            CHECK(test::SameBits(*results[d], first[d]));
          }
        }
      }
    }
  }
}

TEST_CASE("groups of more than 64 outputs run direct over OpenBLAS on 16-lane targets only, at unit stride where an "
          "image makes two tasks (forward splits a small image's rows for them), and match the reference") {
  struct Case {
    int64_t h, stride;
    bool forward_direct, backward_direct;  // over OpenBLAS on targets of 16 lanes
  };
  const Case cases[] = {{40, 1, true, true}, {40, 2, false, false}, {8, 1, true, false}};
  const bool wide_tiles = kernels::ChooseKernels().lanes >= 16;
  for (const std::string& backend : GemmBackends()) {
    for (const Case& c : cases) {
      CAPTURE(backend);
      CAPTURE(c.h);
      CAPTURE(c.stride);
      Conv2dDesc desc;
      desc.padding = Padding::kSame;
      desc.strides = {c.stride, c.stride};
      const Shape4 src{2, c.h, c.h, 32}, weights{3, 3, 32, 128};
      Conv2dGeometry g;
      REQUIRE(ResolveForward(desc, src, weights, &g).ok());
      const std::vector<float> x = test::RandomFloats(static_cast<size_t>(NumElements(src)), 1);
      const std::vector<float> w = test::RandomFloats(static_cast<size_t>(NumElements(weights)), 2);
      const std::vector<float> dy = test::RandomFloats(static_cast<size_t>(NumElements(g.dst_shape())), 3);
      std::vector<float> first[3];
      for (int threads : {1, 3}) {
        PlanOptions options;
        options.num_threads = threads;
        options.gemm = backend;
        Conv2dPlan fwd, bwd_data, bwd_filter;
        REQUIRE(Conv2dPlan::CreateForward(desc, src, weights, &fwd, options).ok());
        REQUIRE(Conv2dPlan::CreateBackpropInput(desc, {src[0], src[1], src[2], src[3]}, weights, g.dst_shape(),
                                                &bwd_data, options)
                    .ok());
        REQUIRE(Conv2dPlan::CreateBackpropFilter(desc, src, weights, g.dst_shape(), &bwd_filter, options).ok());
        const bool wide = backend == "openblas" && wide_tiles, direct = c.backward_direct && wide;
        CHECK(fwd.algorithm() == (c.forward_direct && wide ? "direct_nhwc" : "im2col_gemm"));
        CHECK(bwd_data.algorithm() == (direct ? "direct_nhwc" : "im2col_gemm"));
        CHECK(bwd_filter.algorithm() == (direct ? "direct_nhwc" : "im2col_gemm"));
        std::vector<float> results[3] = {std::vector<float>(dy.size()), std::vector<float>(x.size()),
                                         std::vector<float>(w.size())};
        REQUIRE(fwd.Forward(x.data(), w.data(), results[0].data()).ok());
        REQUIRE(bwd_data.BackpropInput(w.data(), dy.data(), results[1].data()).ok());
        REQUIRE(bwd_filter.BackpropFilter(x.data(), dy.data(), results[2].data()).ok());
        const Direction directions[3] = {Direction::kForward, Direction::kBackpropInput, Direction::kBackpropFilter};
        const std::vector<float>* operands[3][2] = {{&x, &w}, {&w, &dy}, {&x, &dy}};
        for (int d = 0; d < 3; ++d) {
          CAPTURE(d);
          int bad = 0;
          test::ForEachReferenceValue(directions[d], g, operands[d][0]->data(), operands[d][1]->data(),
                                      [&](size_t at, const reference::Value& want, int64_t terms) {
                                        const double err = std::fabs(double(results[d][at]) - want.value);
                                        if (!(err <= test::Tolerance(want.magnitude, terms))) ++bad;
                                      });
          CHECK(bad == 0);
          if (first[d].empty()) {
            first[d] = results[d];
          } else {
            CHECK(test::SameBits(results[d], first[d]));
          }
        }
      }
    }
  }
}

// CPU time (clock ticks) of each thread of this process, from /proc/self/task/<tid>/stat.
std::map<int, long> ThreadTicks() {
  std::map<int, long> ticks;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return ticks;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + entry->d_name + "/stat");
    std::string line;
    std::getline(in, line);
    // Fields after the command's closing parenthesis: state is field 3, utime 14 and stime 15.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stol(field);
      if (i == 15) stime = std::stol(field);
    }
    ticks[std::atoi(entry->d_name)] = utime + stime;
  }
  closedir(dir);
  return ticks;
}

TEST_CASE("no oversubscription: 2 threads requested keep at most 2 threads busy, with each backend") {
  Conv2dDesc desc;
  desc.padding = Padding::kSame;
  const Shape4 src{4, 56, 56, 64}, weights{3, 3, 64, 64};
  const std::vector<float> x = test::RandomFloats(4 * 56 * 56 * 64, 1), w = test::RandomFloats(3 * 3 * 64 * 64, 2);
  std::vector<float> y(x.size());
  const double tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const std::string& backend : GemmBackends()) {
    CAPTURE(backend);
    PlanOptions options;
    options.num_threads = 2;
    options.gemm = backend;
    options.algorithm = "im2col_gemm";  // the backend's threads (the direct kernels would take this shape)
    Conv2dPlan plan;
    REQUIRE(Conv2dPlan::CreateForward(desc, src, weights, &plan, options).ok());
    REQUIRE(plan.Forward(x.data(), w.data(), y.data()).ok());  // warm: every thread the backend starts exists now
    const std::map<int, long> before = ThreadTicks();
    const auto start = std::chrono::steady_clock::now();
    double seconds = 0;
    while (seconds < 1.0) {
      REQUIRE(plan.Forward(x.data(), w.data(), y.data()).ok());
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    int busy = 0;
    for (const auto& [tid, ticks] : ThreadTicks()) {
      const auto it = before.find(tid);
      const double cpu = static_cast<double>(ticks - (it == before.end() ? 0 : it->second)) * tick;
      if (cpu > 0.2 * seconds) ++busy;  // a spinning or working thread, not one woken now and then
    }
    CHECK(busy >= 1);
    CHECK(busy <= 2);
  }
}

}  // namespace
}  // namespace colconv
