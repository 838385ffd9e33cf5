// What an embedder relies on beyond the ops: the C API's plan cache and budget, the warning channel, the thread
// setting, and the advice about OpenBLAS's core.
#include <doctest/doctest.h>

#include <tbb/task_arena.h>

#include <cstring>
#include <string>
#include <vector>

#include "colconv/colconv.h"
#include "colconv/conv2d.h"
#if COLCONV_GEMM_OPENBLAS
#include "src/gemm/openblas.h"
#endif
#include "src/warnings.h"
#include "tests/test_util.h"

namespace colconv {
namespace {

TEST_CASE("the C API's cached plans give the same bits on every call, for many problems at once") {
  colconv_conv2d_attrs attrs;
  colconv_conv2d_attrs_init(&attrs);
  attrs.padding = COLCONV_SAME;
  // More distinct problems than the cache holds, twice over: evictions must not change results.
  std::vector<std::vector<float>> first;
  for (int round = 0; round < 2; ++round) {
    for (int64_t w = 1; w <= 80; ++w) {
      const int64_t in[4] = {1, 3, w, 5}, f[4] = {3, 3, 5, 4};
      const std::vector<float> x = test::RandomFloats(static_cast<size_t>(3 * w * 5), static_cast<uint64_t>(w));
      const std::vector<float> k = test::RandomFloats(180, 7);
      std::vector<float> y(static_cast<size_t>(3 * w * 4));
      REQUIRE(colconv_conv2d(&attrs, in, x.data(), f, k.data(), y.data()) == COLCONV_OK);
      if (round == 0) {
        first.push_back(y);
      } else {
        CHECK(test::SameBits(y, first[static_cast<size_t>(w - 1)]));
      }
    }
  }
}

TEST_CASE("colconv_set_workspace_budget: too small fails cleanly, 0 restores the default") {
  colconv_conv2d_attrs attrs;
  colconv_conv2d_attrs_init(&attrs);
  attrs.padding = COLCONV_SAME;
  const int64_t in[4] = {1, 40, 40, 16}, f[4] = {3, 3, 16, 16};
  const std::vector<float> x(40 * 40 * 16, 1.0f), k(3 * 3 * 16 * 16, 1.0f);
  std::vector<float> y(40 * 40 * 16, 7.0f);
  REQUIRE(colconv_set_workspace_budget(1000) == COLCONV_OK);
  CHECK(colconv_conv2d(&attrs, in, x.data(), f, k.data(), y.data()) == COLCONV_RESOURCE_EXHAUSTED);
  CHECK(std::string(colconv_last_error()).find("workspace budget of 1000 bytes") != std::string::npos);
  CHECK(y == std::vector<float>(40 * 40 * 16, 7.0f));
  REQUIRE(colconv_set_workspace_budget(0) == COLCONV_OK);
  CHECK(colconv_conv2d(&attrs, in, x.data(), f, k.data(), y.data()) == COLCONV_OK);
  CHECK(y[40 * 16 * 20 + 16 * 20] == 144.0f);  // an interior output: 3 x 3 taps x 16 channels of 1 x 1
}

struct Collected {
  std::vector<std::string> messages;
};

void Collect(const char* message, void* user_data) { static_cast<Collected*>(user_data)->messages.push_back(message); }

TEST_CASE("warnings go to an embedder's handler, and back to stderr when it is removed") {
  Collected collected;
  colconv_set_warning_handler(&Collect, &collected);
  Warn("first");
  SetWarningHandler(&Collect, &collected);
  Warn("second");
  colconv_set_warning_handler(nullptr, nullptr);
  Warn("to stderr (expected in the test log)");
  REQUIRE(collected.messages.size() == 2);
  CHECK(collected.messages[0] == "first");
  CHECK(collected.messages[1] == "second");
}

TEST_CASE("a caller's TBB arena bounds the threads, and the results do not change") {
  Conv2dDesc desc;
  desc.padding = Padding::kSame;
  const Shape4 src{4, 20, 20, 16}, weights{3, 3, 16, 16};
  const std::vector<float> x = test::RandomFloats(4 * 20 * 20 * 16, 1), w = test::RandomFloats(3 * 3 * 16 * 16, 2);
  std::vector<float> outside(x.size()), inside(x.size());
  Conv2dPlan wide;
  REQUIRE(Conv2dPlan::CreateForward(desc, src, weights, &wide).ok());
  REQUIRE(wide.Forward(x.data(), w.data(), outside.data()).ok());
  tbb::task_arena one(1);
  one.execute([&] {
    CHECK(GetNumThreads() == 1);
    Conv2dPlan plan;
    REQUIRE(Conv2dPlan::CreateForward(desc, src, weights, &plan).ok());
    CHECK(plan.description().find("1 worker,") != std::string::npos);
    // A plan made for more threads runs on the arena's one thread.
    REQUIRE(wide.Forward(x.data(), w.data(), inside.data()).ok());
  });
  CHECK(test::SameBits(inside, outside));
}

#if COLCONV_GEMM_OPENBLAS
TEST_CASE("the OpenBLAS core advice: the matching core when the running one is below the CPU, else none") {
  CHECK(gemm::RecommendCore("Prescott", X86Level::kAvx512) == "SkylakeX");
  CHECK(gemm::RecommendCore("Haswell", X86Level::kAvx512) == "SkylakeX");
  CHECK(gemm::RecommendCore("Sandybridge", X86Level::kAvx2) == "Haswell");
  CHECK(gemm::RecommendCore("Prescott", X86Level::kAvx2) == "Haswell");
  CHECK(gemm::RecommendCore("SkylakeX", X86Level::kAvx512) == "");
  CHECK(gemm::RecommendCore("Cooperlake", X86Level::kAvx512) == "");
  CHECK(gemm::RecommendCore("Zen", X86Level::kAvx2) == "");
  CHECK(gemm::RecommendCore("Haswell", X86Level::kSse) == "");
  CHECK(gemm::RecommendCore("NEOVERSEN1", X86Level::kOther) == "");  // ARM: never
  CHECK(gemm::RecommendCore("SomeFutureCore", X86Level::kAvx512) == "");
  const gemm::CoreInfo info = gemm::GetCoreInfo();
  CHECK(!info.corename.empty());
  CHECK(info.config.find("OpenBLAS") != std::string::npos);
}
#endif

}  // namespace
}  // namespace colconv
