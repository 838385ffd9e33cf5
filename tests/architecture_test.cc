// The pieces every algorithm is built from: the task space, the workspace layout, the GEMM seam's views, the
// worker decision, and the registry the planner walks.
#include <doctest/doctest.h>

#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "colconv/conv2d.h"
#include "src/algorithms/registry.h"
#include "src/gemm/gemm.h"
#include "src/task_space.h"
#include "src/threading.h"
#include "src/workspace.h"
#include "tests/test_util.h"

namespace colconv {
namespace {

using internal::TaskSpace;
using internal::WorkspaceLayout;

TEST_CASE("a task space decodes every task into its mixed-radix digits, most significant first") {
  const TaskSpace tasks({3, 1, 4, 5});
  CHECK(tasks.size() == 60);
  int64_t task = 0;
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t c = 0; c < 4; ++c)
      for (int64_t d = 0; d < 5; ++d, ++task) {
        const TaskSpace::Digits digits = tasks.Decode(task);
        CHECK(digits[0] == a);
        CHECK(digits[1] == 0);
        CHECK(digits[2] == c);
        CHECK(digits[3] == d);
      }
  CHECK(TaskSpace().size() == 0);
  CHECK(TaskSpace({7, 0}).size() == 0);
}

TEST_CASE("the workspace layout aligns every buffer at any base, sizes per worker, and finds only what it booked") {
  WorkspaceLayout layout;
  CHECK(layout.Bytes(4) == 0);  // nothing booked: no memory at all
  layout.Book("a", 10, 4, "bytes of a");
  layout.Book("b", 100, 64, "bytes of b");
  layout.BookPerWorker("tile", 1000, 64, "one tile");
  layout.BookPerWorker("more", 3, 16, "a little more");
  // 64 bytes of slack for the base, two shared buffers rounded to 64, and one 64-byte rounded block per worker.
  CHECK(layout.Bytes(0) == 64 + 64 + 128);
  CHECK(layout.Bytes(3) == 64 + 64 + 128 + 3 * 1024);
  CHECK(layout.Describe() == "10 bytes of a plus 100 bytes of b plus one tile (1000 bytes) per worker plus a little more "
                             "(3 bytes) per worker");
  std::vector<unsigned char> memory(layout.Bytes(3) + 64);
  for (size_t shift = 0; shift < 64; shift += 7) {
    unsigned char* base = memory.data() + shift;
    const internal::Workspace ws(layout, base);
    std::vector<unsigned char*> seen;
    for (const char* name : {"a", "b"}) seen.push_back(ws.Get<unsigned char>(name));
    for (int worker = 0; worker < 3; ++worker) {
      seen.push_back(ws.Get<unsigned char>("tile", worker));
      seen.push_back(ws.Get<unsigned char>("more", worker));
    }
    const size_t sizes[] = {10, 100, 1000, 3, 1000, 3, 1000, 3};
    for (size_t i = 0; i < seen.size(); ++i) {
      CHECK(reinterpret_cast<uintptr_t>(seen[i]) % (i == 3 || i == 5 || i == 7 ? 16 : i == 0 ? 4 : 64) == 0);
      CHECK(seen[i] >= base);
      CHECK(seen[i] + sizes[i] <= base + layout.Bytes(3));  // inside the caller's memory
      for (size_t j = 0; j < i; ++j) CHECK((seen[j] + sizes[j] <= seen[i] || seen[i] + sizes[i] <= seen[j]));
    }
    CHECK_THROWS_AS(ws.Get<float>("missing"), std::logic_error);
    CHECK_THROWS_AS(ws.Get<float>("tile"), std::logic_error);  // per worker, asked as shared
    CHECK_THROWS_AS(ws.Get<float>("a", 0), std::logic_error);  // shared, asked per worker
  }
  CHECK_THROWS_AS(layout.Book("bad", 4, 3, "x"), std::logic_error);
  CHECK_THROWS_AS(layout.Book("bad", 4, 128, "x"), std::logic_error);
}

// Naive c = a * b + beta * c over the views' logical elements.
void Naive(const gemm::ConstMatrix& a, const gemm::ConstMatrix& b, float beta, const gemm::Matrix& c) {
  auto at = [](const auto& m, int64_t r, int64_t col) -> auto& {
    return m.data[m.transposed ? col * m.ld + r : r * m.ld + col];
  };
  for (int64_t r = 0; r < c.rows; ++r)
    for (int64_t col = 0; col < c.cols; ++col) {
      double sum = beta * at(c, r, col);
      for (int64_t k = 0; k < a.cols; ++k) sum += double(at(a, r, k)) * at(b, k, col);
      at(c, r, col) = static_cast<float>(sum);
    }
}

void CheckViews(const gemm::Backend& backend);

TEST_CASE("every GEMM backend multiplies views in every storage order, blocks included, and refuses bad sizes") {
  for (const gemm::Backend* b : gemm::BuiltBackends()) {
    CAPTURE(b->name());
    CheckViews(*b);
  }
}

void CheckViews(const gemm::Backend& backend) {
  const int64_t m = 5, n = 7, k = 3, pad = 2;
  for (int mask = 0; mask < 8; ++mask) {
    const bool ta = mask & 1, tb = mask & 2, tc = mask & 4;
    CAPTURE(mask);
    // Each operand in a larger buffer (leading dimension + pad), as a block of it.
    std::vector<float> a = test::RandomFloats(size_t((m + pad) * (k + pad)), 1 + mask);
    std::vector<float> b = test::RandomFloats(size_t((k + pad) * (n + pad)), 20 + mask);
    std::vector<float> c = test::RandomFloats(size_t((m + pad) * (n + pad)), 40 + mask);
    std::vector<float> want = c;
    auto view = [&](auto* data, int64_t rows, int64_t cols, bool transposed) {
      using View = gemm::View<std::remove_pointer_t<decltype(data)>>;
      const View whole = transposed ? gemm::Transposed(data, rows + pad, cols + pad, rows + pad)
                                    : gemm::RowMajor(data, rows + pad, cols + pad, cols + pad);
      return whole.Block(1, 2, rows, cols);
    };
    const gemm::ConstMatrix va = view(static_cast<const float*>(a.data()), m, k, ta);
    const gemm::ConstMatrix vb = view(static_cast<const float*>(b.data()), k, n, tb);
    backend.Multiply(va, vb, 0.5f, view(c.data(), m, n, tc));
    Naive(va, vb, 0.5f, view(want.data(), m, n, tc));
    for (size_t i = 0; i < c.size(); ++i) CHECK(c[i] == doctest::Approx(want[i]).epsilon(1e-5));
  }
  std::vector<float> x(64);
  CHECK_THROWS_AS(backend.Multiply(gemm::RowMajor(static_cast<const float*>(x.data()), 2, 3, 3),
                                   gemm::RowMajor(static_cast<const float*>(x.data()), 4, 2, 2), 0.0f,
                                   gemm::RowMajor(x.data(), 2, 2, 2)),
                  std::logic_error);
}

TEST_CASE("workers: no more than the threads, the tasks, or what the budget holds; always one") {
  WorkspaceLayout layout;
  layout.Book("shared", 1000, 64, "bytes");
  layout.BookPerWorker("tile", 4096, 64, "one tile");
  CHECK(internal::PlanWorkers(100, layout, 0, 8) == 8);
  CHECK(internal::PlanWorkers(3, layout, 0, 8) == 3);
  CHECK(internal::PlanWorkers(0, layout, 0, 8) == 1);
  CHECK(internal::PlanWorkers(100, layout, 0, 0) == 1);
  CHECK(internal::PlanWorkers(100, layout, layout.Bytes(5), 8) == 5);
  CHECK(internal::PlanWorkers(100, layout, layout.Bytes(5) - 1, 8) == 4);
  CHECK(internal::PlanWorkers(100, layout, 1, 8) == 1);
}

TEST_CASE("the planner takes the first algorithm that computes a problem and records why the others declined") {
  std::vector<std::string> names;
  for (const internal::Algorithm* a : internal::Algorithms()) names.push_back(a->name());
  CHECK(names ==
        std::vector<std::string>{"empty", "reference", "depthwise", "direct_nhwc", "batch_gemm", "pointwise_gemm",
                                 "im2col_gemm"});
  struct Case {
    Shape4 src, weights;
    std::array<int64_t, 2> dilations;
    const char* algorithm;
    const char* declined;  // a piece of the record of the algorithms before it
  };
  const Case cases[] = {
      {{0, 5, 5, 3}, {3, 3, 3, 4}, {1, 1}, "empty", ""},
      {{1, 5, 5, 3}, {2, 2, 3, 4}, {int64_t{1} << 31, 1}, "reference", "empty: the result has elements to compute"},
      {{2, 9, 9, 1}, {3, 3, 1, 2}, {1, 1}, "depthwise", "reference: every offset is within the fast paths' 2^30"},
      {{2, 3, 3, 4}, {3, 3, 4, 5}, {1, 1}, "batch_gemm", "depthwise: not depthwise: 4 input channels per group"},
      {{2, 6, 6, 4}, {1, 1, 4, 5}, {1, 1}, "pointwise_gemm", "batch_gemm: the filter does not cover the whole unpadded input"},
      {{2, 6, 6, 4}, {3, 3, 4, 5}, {1, 1}, "im2col_gemm", "pointwise_gemm: the filter is not 1x1"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.algorithm);
    Conv2dDesc desc;
    desc.dilations = c.dilations;
    desc.padding = c.dilations[0] > 1 ? Padding::kSame : Padding::kValid;
    Conv2dPlan plan;
    const Status s = Conv2dPlan::CreateForward(desc, c.src, c.weights, &plan);
    REQUIRE_MESSAGE(s.ok(), s.message());
    CHECK(plan.algorithm() == c.algorithm);
    CHECK(plan.declined_algorithms().find(c.declined) != std::string::npos);
    CHECK(plan.description().rfind(c.algorithm, 0) == 0);
  }
  // The direct kernels' zero-padded band would span the strided or dilated grid: 4 GB for this depthwise layer
  // (the fuzzer's find), so it goes to im2col + GEMM, whose workspace follows the columns.
  for (const std::array<int64_t, 2>& strides_dilations : {std::array<int64_t, 2>{int64_t{1} << 20, 4},
                                                           std::array<int64_t, 2>{1, int64_t{1} << 20}}) {
    Conv2dDesc desc;
    desc.padding = Padding::kSame;
    desc.data_format = DataFormat::kNHWC;
    desc.strides = {strides_dilations[0], strides_dilations[0]};
    desc.dilations = {strides_dilations[1], 1};
    desc.groups = 16;
    Conv2dPlan plan;
    REQUIRE(Conv2dPlan::CreateForward(desc, {1, 2, 2, 16}, {3, 1, 1, 16}, &plan).ok());
    CHECK(plan.algorithm() == "im2col_gemm");
    CHECK(plan.declined_algorithms().find("depthwise: the zero-padded band would be mostly padding") !=
          std::string::npos);
    CHECK(plan.workspace_bytes() < (size_t{1} << 20));
  }
  // A small batch with few pixel tiles splits the output channels and makes each tile's columns once for all.
  Conv2dPlan split;
  Conv2dDesc same;
  same.padding = Padding::kSame;
  PlanOptions im2col;
  im2col.algorithm = "im2col_gemm";  // which 16-lane targets leave for direct_nhwc here
  REQUIRE(Conv2dPlan::CreateForward(same, {1, 7, 7, 512}, {3, 3, 512, 512}, &split, im2col).ok());
  CHECK(split.description().find("columns shared") != std::string::npos);
  CHECK(split.description().find(" 4 tasks") != std::string::npos);

  // More pixels than OpenBLAS's 32-bit interface takes: with OpenBLAS no algorithm computes it, and the planner says
  // why each declined; oneDNN's sgemm takes 64-bit sizes.
  for (const std::string& backend : GemmBackends()) {
    CAPTURE(backend);
    PlanOptions options;
    options.gemm = backend;
    Conv2dPlan plan;
    const Status s = Conv2dPlan::CreateForward(Conv2dDesc(), {1, 1, int64_t{INT_MAX} + 10, 2}, {1, 1, 2, 1}, &plan, options);
    if (backend == "onednn") {
      CHECK(s.ok());
      CHECK(plan.algorithm() == "pointwise_gemm");
      continue;
    }
    CHECK(s.code() == StatusCode::kUnimplemented);
    CHECK(s.message().find("no algorithm computes this problem") != std::string::npos);
    CHECK(s.message().find("im2col_gemm: a GEMM dimension of 2147483657 exceeds openblas's limit of 2147483647") !=
          std::string::npos);
    CHECK(!plan.valid());
  }
}

// NHWC data with an OIHW filter: forward reads a tap-major copy; backprop-input reads and backprop-filter writes one
// with the output channels as rows, which is OIHW itself for a 1x1 filter (no copy in the workspace, as with HWIO).
// Backprop-filter on fewer pixels than output channels writes OIHW directly from channel-major columns instead.
TEST_CASE("NHWC with OIHW: forward copies the filter, the backprops copy it unless it is 1x1 or the pixels are few") {
  struct Case {
    int64_t k, stride, side;
    const char* algorithm;
  };
  for (const Case& c : {Case{1, 1, 8, "pointwise_gemm"}, Case{1, 2, 8, "im2col_gemm"}, Case{3, 1, 12, "im2col_gemm"},
                        Case{3, 1, 8, "im2col_gemm"}, Case{3, 2, 12, "im2col_gemm"}}) {
    CAPTURE(c.k);
    CAPTURE(c.stride);
    CAPTURE(c.side);
    const int64_t ic = 96, oc = 80, out_side = (c.side + c.stride - 1) / c.stride;  // SAME: ceil(side / stride)
    const size_t filter_bytes = static_cast<size_t>(c.k * c.k * ic * oc) * sizeof(float);
    const bool channel_major = c.k > 1 && out_side * out_side < oc;
    Conv2dDesc desc;
    desc.strides = {c.stride, c.stride};
    desc.padding = Padding::kSame;
    PlanOptions options;
    options.algorithm = c.algorithm;
    const Shape4 src{1, c.side, c.side, ic}, diff_dst{1, out_side, out_side, oc};
    size_t bytes[3][2];  // [forward, backprop-input, backprop-filter][HWIO, OIHW]
    for (FilterFormat ff : {FilterFormat::kHWIO, FilterFormat::kOIHW}) {
      desc.filter_format = ff;
      const Shape4 weights = ff == FilterFormat::kHWIO ? Shape4{c.k, c.k, ic, oc} : Shape4{oc, ic, c.k, c.k};
      const int f = ff == FilterFormat::kOIHW;
      Conv2dPlan plans[3];
      REQUIRE(Conv2dPlan::CreateForward(desc, src, weights, &plans[0], options).ok());
      REQUIRE(Conv2dPlan::CreateBackpropInput(desc, {1, c.side, c.side, ic}, weights, diff_dst, &plans[1], options).ok());
      REQUIRE(Conv2dPlan::CreateBackpropFilter(desc, src, weights, diff_dst, &plans[2], options).ok());
      for (int d = 0; d < 3; ++d) {
        CHECK(plans[d].algorithm() == c.algorithm);
        bytes[d][f] = plans[d].workspace_bytes();
        const bool rows = plans[d].description().find("channel-major rows") != std::string::npos;
        CHECK(rows == (d == 2 && f == 1 && channel_major));
      }
    }
    CHECK(bytes[0][1] >= bytes[0][0] + filter_bytes);
    for (int d = 1; d < 3; ++d) {
      CAPTURE(d);
      if (c.k == 1) {
        CHECK(bytes[d][1] == bytes[d][0]);
      } else if (d == 2 && channel_major) {
        CHECK(bytes[d][1] < bytes[d][0] + filter_bytes);
      } else {
        CHECK(bytes[d][1] >= bytes[d][0] + filter_bytes);
      }
    }
  }
}

}  // namespace
}  // namespace colconv
