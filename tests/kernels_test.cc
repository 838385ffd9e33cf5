// im2col and col2im of every Highway target this CPU runs, bit-exact against the reference over the DESIGN §3
// grid (tools/kernel_check.cc), and the dispatch facts the rest of colconv relies on.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "hwy/targets.h"
#include "src/kernels/kernels.h"
#include "tools/kernel_check.h"

namespace colconv {
namespace {

// COLCONV_CHECK_SCALE thins the random part of the grid under emulation; the sweeps and targets stay whole.
double GridScale() {
  const char* s = std::getenv("COLCONV_CHECK_SCALE");
  return s != nullptr ? std::atof(s) : 1.0;
}

TEST_CASE("im2col, col2im and the depthwise kernels are bit-exact against their references on every runnable Highway target") {
  const std::vector<check::TargetReport> reports = check::CheckTargets("", GridScale());
  REQUIRE(reports.size() == kernels::RunnableTargets().size());
  for (const check::TargetReport& r : reports) {
    CAPTURE(r.target);
    CHECK(r.cases >= 1000);
    CHECK(r.dw_cases >= 100);
    CHECK(r.transpose_cases >= 40);
    for (size_t i = 0; i < r.failures.size() && i < 10; ++i) FAIL_CHECK(r.failures[i]);
    CHECK(r.failures.empty());
  }
}

TEST_CASE("the binary carries several targets and dispatches to the best one this CPU runs") {
  const std::vector<int64_t> compiled = kernels::CompiledTargets();
#ifdef COLCONV_SIMD_TARGETS_NATIVE  // -Dsimd_targets=native: the build machine's best target alone
  CHECK(compiled.size() == 1);
#else
  CHECK(compiled.size() > 1);
#endif
  const std::vector<int64_t> runnable = kernels::RunnableTargets();
  REQUIRE(!runnable.empty());
  const kernels::KernelTable chosen = kernels::ChooseKernels();
  CHECK(chosen.target == runnable.front());  // Highway lists the best target first
  CHECK(std::string(chosen.target_name) == hwy::TargetName(runnable.front()));
  // Switching targets and back restores the original choice.
  hwy::SetSupportedTargetsForTest(runnable.back());
  CHECK(kernels::ChooseKernels().target == runnable.back());
  hwy::SetSupportedTargetsForTest(0);
  CHECK(kernels::ChooseKernels().target == chosen.target);
}

}  // namespace
}  // namespace colconv
