// The fast path of every op against the reference: random problems over the DESIGN §3 grid and the shapes of
// bench/mixed, in both layouts and both filter formats, with guard bands around every output, NaN in every
// output and workspace before the run; plus each algorithm's special cases, concurrent runs of one plan,
// and the workspace budget (determinism across thread counts: gemm_backends_test.cc).
#include <doctest/doctest.h>

#include <tbb/parallel_for.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "colconv/colconv.h"
#include "colconv/conv2d.h"
#include "src/cpu_info.h"
#include "src/kernels/kernels.h"
#include "src/layout.h"
#include "src/reference/reference.h"
#include "src/shape.h"
#include "tests/test_util.h"
#include "tools/bench_suite.h"
#include "tools/plan_of.h"

namespace colconv {
namespace {

// COLCONV_TEST_SCALE < 1 thins the random grids (sanitizers, emulators); the special cases always run.
double Scale() {
  const char* s = std::getenv("COLCONV_TEST_SCALE");
  return s != nullptr ? std::atof(s) : 1.0;
}

// What one direction reads and writes, so the checks below are written once.
struct Run {
  Conv2dPlan plan;
  std::vector<float> a, b;  // forward: src, weights; backprop-input: weights, diff_dst; backprop-filter: src, diff_dst
  size_t out_count = 0;
};

Run Prepare(Direction d, const Conv2dDesc& desc, const Conv2dGeometry& g, uint64_t seed,
            const PlanOptions& options = PlanOptions()) {
  Run r;
  REQUIRE(check::PlanOf(d, desc, g, &r.plan, options).ok());
  const std::array<Shape4, 3> operands = OperandShapes(g, d);
  r.a = test::RandomFloats(NumElements(operands[0]), seed);
  r.b = test::RandomFloats(NumElements(operands[1]), seed + 1);
  r.out_count = NumElements(operands[2]);
  return r;
}

Status Execute(const Run& r, float* out, void* workspace) {
  switch (r.plan.direction()) {
    case Direction::kForward:
      return r.plan.Forward(r.a.data(), r.b.data(), out, workspace);
    case Direction::kBackpropInput:
      return r.plan.BackpropInput(r.a.data(), r.b.data(), out, workspace);
    case Direction::kBackpropFilter:
      return r.plan.BackpropFilter(r.a.data(), r.b.data(), out, workspace);
  }
  return Status();
}

// Runs with a NaN-filled caller workspace at an odd address into a NaN-filled, guard-banded output.
std::vector<float> RunGuarded(const Run& r) {
  std::vector<unsigned char> workspace(r.plan.workspace_bytes() + 3);
  for (size_t i = 0; i + sizeof(float) <= workspace.size(); i += sizeof(float)) {
    const float nan = NAN;
    std::memcpy(&workspace[i], &nan, sizeof nan);
  }
  test::GuardedBuffer out(r.out_count, NAN);
  const Status s = Execute(r, out.data(), workspace.data() + 3);
  REQUIRE_MESSAGE(s.ok(), s.message());
  CHECK(out.GuardsIntact());
  return out.Values();
}

// Every element against the reference, within the tolerance of its own sum; returns the failures' count.
int CompareAll(Direction d, const Conv2dGeometry& g, const Run& r, const std::vector<float>& got,
               const std::string& what) {
  int failures = 0;
  test::ForEachReferenceValue(d, g, r.a.data(), r.b.data(), [&](size_t index, const reference::Value& want, int64_t terms) {
    const double err = std::fabs(double(got[index]) - want.value);
    if (!(err <= test::Tolerance(want.magnitude, terms))) {
      if (failures++ < 5) {
        FAIL_CHECK(what << ": element " << index << " = " << got[index] << ", reference " << want.value
                        << " (magnitude " << want.magnitude << ")");
      }
    }
  });
  return failures;
}

constexpr Direction kDirections[] = {Direction::kForward, Direction::kBackpropInput, Direction::kBackpropFilter};

void CheckProblem(const Conv2dDesc& desc, const Conv2dGeometry& g, const std::string& what, uint64_t seed) {
  for (Direction d : kDirections) {
    const Run r = Prepare(d, desc, g, seed);
    CHECK_MESSAGE(CompareAll(d, g, r, RunGuarded(r), what + " " + OpName(d) + " via " + r.plan.description()) == 0,
                  what);
  }
}

TEST_CASE("every op, layout and filter format against the reference over random grid problems") {
  std::mt19937_64 rng(4242);
  const int problems = std::max(20, static_cast<int>(250 * Scale()));
  for (int i = 0; i < problems; ++i) {
    const test::Problem p = test::RandomProblem(rng, 19);
    CheckProblem(p.desc, p.geometry, p.Describe(), rng());
  }
}

TEST_CASE("the shapes of bench/mixed at small batch, every layout and filter format") {
  std::vector<cli::Layer> layers;
  std::string error;
  REQUIRE_MESSAGE(cli::LoadSuite(COLCONV_SOURCE_DIR "/bench/mixed", 0, &layers, &error), error);
  REQUIRE(layers.size() == 12);
  int index = 0;
  for (const cli::Layer& layer : layers) {
    for (DataFormat df : {DataFormat::kNHWC, DataFormat::kNCHW}) {
      for (FilterFormat ff : {FilterFormat::kHWIO, FilterFormat::kOIHW}) {
        // Under COLCONV_TEST_SCALE < 1 each layer runs in one of the four format pairs only.
        if (Scale() < 1 && (index++ % 4) != 0) continue;
        const Conv2dDesc desc = layer.Desc(df, ff);
        Conv2dGeometry g;
        REQUIRE(ResolveForward(desc, layer.SrcShape(df), layer.WeightsShape(ff), &g).ok());
        CheckProblem(desc, g, layer.name + " " + DataFormatName(df) + "/" + FilterFormatName(ff), 99);
      }
    }
  }
}

// A problem from explicit sizes: NHWC/NCHW and HWIO/OIHW chosen by the caller.
Conv2dGeometry Resolve(Conv2dDesc* desc, DataFormat df, FilterFormat ff, int64_t n, int64_t c, int64_t h, int64_t w,
                       int64_t o, int64_t kh, int64_t kw) {
  desc->data_format = df;
  desc->filter_format = ff;
  Conv2dGeometry g;
  const Status s = ResolveForward(*desc, test::DataShape(df, n, c, h, w),
                                  test::FilterShape(ff, o, c / desc->groups, kh, kw), &g);
  REQUIRE_MESSAGE(s.ok(), s.message());
  return g;
}

TEST_CASE("each algorithm and tiling path, in every layout and filter format") {
  struct Shape {
    const char* what;
    int64_t n, c, h, w, o, kh, kw, stride, groups;
    Padding padding;
  };
  const Shape shapes[] = {
      {"1x1 stride 1 (no im2col)", 2, 24, 7, 9, 20, 1, 1, 1, 1, Padding::kValid},
      {"1x1 stride 1, groups", 1, 24, 5, 6, 18, 1, 1, 1, 3, Padding::kValid},
      {"1x1 stride 2 (im2col subsample)", 1, 16, 9, 9, 8, 1, 1, 2, 1, Padding::kValid},
      {"filter covers the input", 5, 6, 4, 3, 7, 4, 3, 1, 1, Padding::kValid},
      {"filter covers the input, groups", 3, 6, 3, 3, 4, 3, 3, 1, 2, Padding::kValid},
      {"K above one slice (3x3x160)", 1, 160, 6, 6, 24, 3, 3, 1, 1, Padding::kSame},
      {"channel blocks at batch 1", 1, 96, 6, 7, 16, 3, 3, 1, 1, Padding::kSame},
      {"output-channel blocks, few pixels (columns shared)", 1, 8, 3, 3, 256, 3, 3, 1, 1, Padding::kSame},
      {"output-channel blocks over two pixel tiles and K slices", 1, 130, 19, 15, 512, 3, 3, 1, 1, Padding::kSame},
      {"output-channel blocks, columns shared over two K slices", 1, 120, 16, 16, 512, 3, 3, 1, 1, Padding::kSame},
      {"output-channel blocks, columns shared over two pixel tiles", 1, 40, 20, 15, 512, 3, 3, 1, 1, Padding::kSame},
      {"many pixel tiles", 2, 3, 120, 130, 5, 3, 3, 1, 1, Padding::kSame},
      {"fewer pixels than output channels, groups (NHWC/OIHW channel-major columns)", 3, 48, 5, 5, 192, 3, 3, 1, 2,
       Padding::kSame},
      {"fewer pixels than output channels, 5x3 stride 2", 2, 20, 9, 8, 64, 5, 3, 2, 1, Padding::kSame},
      {"depthwise", 1, 16, 9, 8, 16, 3, 3, 2, 16, Padding::kSame},
  };
  for (const Shape& s : shapes) {
    for (DataFormat df : {DataFormat::kNHWC, DataFormat::kNCHW}) {
      for (FilterFormat ff : {FilterFormat::kHWIO, FilterFormat::kOIHW}) {
        Conv2dDesc desc;
        desc.strides = {s.stride, s.stride};
        desc.groups = s.groups;
        desc.padding = s.padding;
        const Conv2dGeometry g = Resolve(&desc, df, ff, s.n, s.c, s.h, s.w, s.o, s.kh, s.kw);
        CheckProblem(desc, g, std::string(s.what) + " " + DataFormatName(df) + "/" + FilterFormatName(ff), 7);
      }
    }
  }
}

TEST_CASE("depthwise: tall and wide filters, multipliers, dilation, TF SAME's odd pad, 1x1 images, 1 channel") {
  struct Dw {
    const char* what;
    int64_t n, c, h, w, multiplier, kh, kw, stride, dilation;
    Padding padding;
    std::array<int64_t, 4> pads;
  };
  const std::array<int64_t, 4> none{0, 0, 0, 0};
  const Dw cases[] = {
      {"31x1", 1, 8, 40, 6, 1, 31, 1, 1, 1, Padding::kSame, none},
      {"1x31", 1, 4, 5, 40, 1, 1, 31, 1, 1, Padding::kSame, none},
      {"multiplier 2", 2, 6, 9, 10, 2, 3, 3, 1, 1, Padding::kSame, none},
      {"multiplier 3, stride 2", 1, 5, 11, 9, 3, 3, 3, 2, 1, Padding::kSame, none},
      {"multiplier 5", 1, 3, 7, 8, 5, 3, 3, 1, 1, Padding::kValid, none},
      // NCHW with at least a vector of channels runs transposed through the NHWC kernels, in blocks of a vector.
      {"a block and a part", 2, 18, 7, 6, 1, 3, 3, 1, 1, Padding::kSame, none},
      {"stride 2, a block and a part", 1, 17, 9, 8, 1, 3, 3, 2, 1, Padding::kSame, none},
      {"multiplier 2, a block and a part", 1, 18, 7, 6, 2, 3, 3, 1, 1, Padding::kSame, none},
      {"dilation 2", 1, 16, 13, 13, 1, 3, 3, 1, 2, Padding::kExplicit, {2, 2, 2, 2}},
      {"stride 2, TF SAME's odd pad", 1, 16, 8, 8, 1, 3, 3, 2, 1, Padding::kSame, none},
      {"5x5 stride 2", 1, 24, 15, 15, 1, 5, 5, 2, 1, Padding::kSame, none},
      {"7x7 on 9x9, channels not a vector multiple", 1, 20, 9, 9, 1, 7, 7, 1, 1, Padding::kSame, none},
      {"1x1 image", 2, 5, 1, 1, 1, 3, 3, 1, 1, Padding::kSame, none},
      {"one channel", 1, 1, 12, 12, 1, 3, 3, 1, 1, Padding::kSame, none},
      {"wide rows read directly", 1, 32, 6, 40, 1, 3, 3, 1, 1, Padding::kSame, none},
      {"wide rows, stride 2", 1, 16, 7, 41, 1, 3, 3, 2, 1, Padding::kSame, none},
      {"asymmetric pads", 3, 7, 6, 9, 1, 3, 3, 1, 1, Padding::kExplicit, {1, 2, 0, 3}},
      {"pads beyond the filter", 1, 4, 3, 4, 1, 2, 2, 1, 1, Padding::kExplicit, {3, 0, 2, 4}},
      // Pixels a multiple of 2 KB apart: NHWC forward on one-row-per-window targets (AVX2) reads them through the
      // band (ReadsDirectly); 4 KB apart, NHWC backprop-filter copies each call's rows of its channels compact.
      {"512 channels, stride 2", 2, 512, 9, 7, 1, 3, 3, 2, 1, Padding::kSame, none},
      {"1024 channels, multiplier 2, dilation 2, pads beyond", 1, 1024, 6, 5, 2, 3, 3, 1, 2, Padding::kExplicit,
       {5, 1, 2, 2}},
      {"1024 channels, stride 2, batch 2", 2, 1024, 9, 7, 1, 3, 3, 2, 1, Padding::kSame, none},
      {"1024 channels, 5x5 on 10 rows", 1, 1024, 10, 6, 1, 5, 5, 1, 1, Padding::kSame, none},
  };
  for (const Dw& c : cases) {
    for (DataFormat df : {DataFormat::kNHWC, DataFormat::kNCHW}) {
      for (FilterFormat ff : {FilterFormat::kHWIO, FilterFormat::kOIHW}) {
        Conv2dDesc desc;
        desc.strides = {c.stride, c.stride};
        desc.dilations = {c.dilation, c.dilation};
        desc.groups = c.c;
        desc.padding = c.padding;
        desc.explicit_paddings = c.pads;
        const Conv2dGeometry g = Resolve(&desc, df, ff, c.n, c.c, c.h, c.w, c.c * c.multiplier, c.kh, c.kw);
        const std::string what = std::string(c.what) + " " + DataFormatName(df) + "/" + FilterFormatName(ff);
        Conv2dPlan plan;
        REQUIRE(check::PlanOf(Direction::kForward, desc, g, &plan).ok());
        CHECK_MESSAGE(plan.algorithm() == "depthwise", what);
        REQUIRE(check::PlanOf(Direction::kBackpropFilter, desc, g, &plan).ok());
        const bool compact = plan.description().find("rows copied compact") != std::string::npos;
        CHECK_MESSAGE(compact == (df == DataFormat::kNHWC && c.c % 1024 == 0), what);
        CheckProblem(desc, g, what, 13);
      }
    }
  }
}

TEST_CASE("every algorithm, forced, against the reference on the random problems it computes") {
  std::mt19937_64 rng(777);
  std::vector<test::Problem> problems;
  for (int i = 0; i < std::max(15, static_cast<int>(120 * Scale())); ++i) problems.push_back(test::RandomProblem(rng, 12));
  // The random grid rarely draws a filter that covers its input, or (thinned, as under the sanitizers) a 1x1 one
  // with more outputs than direct_nhwc takes: one of each, in each layout.
  for (DataFormat df : {DataFormat::kNHWC, DataFormat::kNCHW}) {
    test::Problem covering, pointwise;
    covering.geometry = Resolve(&covering.desc, df, FilterFormat::kOIHW, 3, 4, 3, 2, 5, 3, 2);
    pointwise.geometry = Resolve(&pointwise.desc, df, FilterFormat::kHWIO, 2, 8, 5, 4, 80, 1, 1);
    for (test::Problem* p : {&covering, &pointwise}) {
      p->src_shape = p->geometry.src_shape();
      p->weights_shape = p->geometry.weights_shape();
      problems.push_back(*p);
    }
  }
  // Nor thin NHWC groups that direct_nhwc takes on every target: a three-channel stem, 16 channels per group
  // (whole vectors), 4 per group (spread over a vector where it is longer), 8 and 24 (half vectors on AVX-512),
  // and 12 groups of 8 (calls of 8 groups over one band, then 4), at strides 1 and 2; both filter layouts, one
  // image (each task packs its own groups' weights) and two (the filter packed once, for every task). Reduce mode
  // (src/kernels/direct.h): the stem's and a 1-channel image's backprop-input (3 and 1 outputs of 32 and 64
  // channels), and two groups of 1 and of 3 outputs.
  const int64_t thin_groups[][3] = {{1, 3, 32},   {2, 32, 32}, {8, 32, 32}, {4, 32, 32}, {2, 48, 48},
                                    {12, 96, 96}, {1, 1, 64},  {2, 32, 2},  {2, 32, 6}};
  const size_t first_thin = problems.size();
  for (int64_t stride : {1, 2}) {
    for (const auto& [groups, c, outputs] : thin_groups) {
      for (FilterFormat ff : {FilterFormat::kHWIO, FilterFormat::kOIHW}) {
        for (int64_t batch : {1, 2}) {
          test::Problem p;
          p.desc.groups = groups;
          p.desc.strides = {{stride, stride}};
          p.desc.padding = Padding::kSame;
          p.geometry = Resolve(&p.desc, DataFormat::kNHWC, ff, batch, c, 7, 6, outputs, 3, 3);
          p.src_shape = p.geometry.src_shape();
          p.weights_shape = p.geometry.weights_shape();
          problems.push_back(p);
        }
      }
    }
  }
  // Groups of 16, 32 and 64 channels on images 14 and 28 pixels wide, whose tiles cover a row exactly: on 16-lane
  // targets forward and backprop-input read their input in place (src/kernels/direct.h: DirectReadsInPlace), the
  // 64-channel groups one group per kernel call, whose band would be a row run.
  for (const auto& [c, w] : {std::pair<int64_t, int64_t>{32, 14}, {64, 14}, {128, 28}}) {
    test::Problem p;
    p.desc.groups = 2;
    p.desc.padding = Padding::kSame;
    p.geometry = Resolve(&p.desc, DataFormat::kNHWC, FilterFormat::kHWIO, 1, c, 5, w, c, 3, 3);
    p.src_shape = p.geometry.src_shape();
    p.weights_shape = p.geometry.weights_shape();
    problems.push_back(p);
  }
  std::map<std::string, int> ran;
  int staged = 0, reduced = 0, edges = 0, in_place = 0;
  for (size_t i = 0; i < problems.size(); ++i) {
    const test::Problem& p = problems[i];
    for (Direction d : kDirections) {
      for (const std::string& algorithm : Algorithms()) {
        PlanOptions options;
        options.algorithm = algorithm;
        Conv2dPlan plan;
        const Status s = check::PlanOf(d, p.desc, p.geometry, &plan, options);
        if (!s.ok()) {
          // It declined, and said so; any other failure is a defect.
          CHECK_MESSAGE(s.message().find("does not compute this problem") != std::string::npos, s.message());
          continue;
        }
        ++ran[algorithm];
        staged += plan.description().find("each task packing its weights") != std::string::npos ? 1 : 0;
        edges += plan.description().find("edge tiles skipping") != std::string::npos ? 1 : 0;
        in_place += plan.description().find(" in place") != std::string::npos ? 1 : 0;
        const bool reduces = plan.description().find("vectors over their input channels") != std::string::npos;
        reduced += i >= first_thin && reduces ? 1 : 0;
        const Run r = Prepare(d, p.desc, p.geometry, rng(), options);
        CHECK_MESSAGE(CompareAll(d, p.geometry, r, RunGuarded(r), p.Describe() + " " + OpName(d) + " via " + r.plan.description()) == 0,
                      p.Describe());
      }
    }
  }
  // The grid reaches every algorithm but the extreme-offset reference, direct_nhwc's tasks that pack weights, and
  // its reduce mode where vectors have lanes to reduce: among the thin problems, 4 x strides 1, 2 x 2 filter
  // layouts x 2 batches (the stem's and the 1-channel image's backprop-input, the groups' forward); the random
  // problems add more where a vector divides their few channels, 4 lanes more often than 8. On 16-lane targets the
  // groups of 16 and 24 channels run the forward kernel whose rows' edge tiles skip the padding columns, and on the
  // 14-wide image read their input in place.
  for (const std::string& algorithm : Algorithms()) {
    if (algorithm != "reference") CHECK_MESSAGE(ran[algorithm] > 0, algorithm);
  }
  CHECK(staged > 0);
  if (kernels::ChooseKernels().lanes > 1) CHECK(reduced == 32);
  if (kernels::ChooseKernels().lanes >= 16) CHECK(edges > 0);
  if (kernels::ChooseKernels().lanes >= 16) CHECK(in_place > 0);
}

TEST_CASE("forcing an algorithm: unknown names and algorithms that do not apply are clear errors") {
  Conv2dPlan plan;
  PlanOptions options;
  options.algorithm = "winograd";
  Status s = Conv2dPlan::CreateForward(Conv2dDesc(), {1, 5, 5, 3}, {3, 3, 3, 4}, &plan, options);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("PlanOptions::algorithm is 'winograd', which is not an algorithm (they are: empty,") !=
        std::string::npos);
  options.algorithm = "depthwise";
  s = Conv2dPlan::CreateForward(Conv2dDesc(), {1, 5, 5, 3}, {3, 3, 3, 4}, &plan, options);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("the algorithm depthwise (forced by PlanOptions::algorithm) does not compute this problem: "
                         "not depthwise: 3 input channels per group") != std::string::npos);
  CHECK(!plan.valid());
  // The process's choice, and the C API's; the one-shot ops run what is forced, or refuse.
  CHECK(SetForcedAlgorithm("nope").code() == StatusCode::kInvalidArgument);
  colconv_conv2d_attrs attrs;
  colconv_conv2d_attrs_init(&attrs);
  // 65 output channels: too many for direct_nhwc at any vector length.
  const int64_t in[4] = {1, 5, 5, 3}, f[4] = {3, 3, 3, 65}, dy[4] = {1, 3, 3, 65};
  CHECK(std::string(colconv_conv2d_algorithm(COLCONV_FORWARD, &attrs, in, f, nullptr)) == "im2col_gemm");
  CHECK(colconv_set_algorithm("nope") == COLCONV_INVALID_ARGUMENT);
  // Forcing a known algorithm is fine; running it on a problem it does not compute is the error.
  REQUIRE(colconv_set_algorithm("pointwise_gemm") == COLCONV_OK);
  std::vector<float> x(75, 1.0f), w(1755, 1.0f), y(585, -2.0f);
  CHECK(colconv_conv2d(&attrs, in, x.data(), f, w.data(), y.data()) == COLCONV_INVALID_ARGUMENT);
  CHECK(std::string(colconv_last_error()).find("pointwise_gemm (forced by SetForcedAlgorithm) does not compute "
                                               "this problem: the filter is not 1x1") != std::string::npos);
  CHECK(y == std::vector<float>(585, -2.0f));
  CHECK(colconv_conv2d_algorithm(COLCONV_FORWARD, &attrs, in, f, nullptr) == nullptr);
  REQUIRE(colconv_set_algorithm(nullptr) == COLCONV_OK);
  CHECK(colconv_conv2d(&attrs, in, x.data(), f, w.data(), y.data()) == COLCONV_OK);
  CHECK(std::string(colconv_conv2d_algorithm(COLCONV_BACKPROP_FILTER, &attrs, in, f, dy)) == "im2col_gemm");
  CHECK(colconv_conv2d_algorithm(static_cast<colconv_direction>(7), &attrs, in, f, dy) == nullptr);
  CHECK(std::string(colconv_last_error()).find("direction is 7") != std::string::npos);
  attrs.groups = 3;
  const int64_t dw[4] = {3, 3, 1, 3};
  CHECK(std::string(colconv_conv2d_algorithm(COLCONV_FORWARD, &attrs, in, dw, nullptr)) == "depthwise");
}

TEST_CASE("empty tensors: empty outputs stay untouched, empty reductions give zeros") {
  struct Empty {
    int64_t n, c, h, w, o;
  };
  for (const Empty& e : {Empty{0, 3, 5, 5, 4}, Empty{2, 3, 5, 5, 0}, Empty{2, 3, 2, 5, 4}}) {
    for (DataFormat df : {DataFormat::kNHWC, DataFormat::kNCHW}) {
      Conv2dDesc desc;
      desc.strides = {2, 1};
      const Conv2dGeometry g = Resolve(&desc, df, FilterFormat::kOIHW, e.n, e.c, e.h, e.w, e.o, 3, 3);
      const std::string what = test::Problem{desc, g.src_shape(), g.weights_shape(), g}.Describe();
      CAPTURE(what);
      for (Direction d : kDirections) {
        const Run r = Prepare(d, desc, g, 3);
        const std::vector<float> out = RunGuarded(r);
        for (float v : out) CHECK(v == 0.0f);  // every element written, and written as zero
      }
    }
  }
}

TEST_CASE("one plan runs from 8 concurrent TBB tasks with separate workspaces, bit for bit") {
  Conv2dDesc desc;
  desc.padding = Padding::kSame;
  desc.strides = {2, 1};
  const Conv2dGeometry g = Resolve(&desc, DataFormat::kNHWC, FilterFormat::kOIHW, 2, 12, 17, 15, 10, 3, 3);
  for (Direction d : kDirections) {
    const Run r = Prepare(d, desc, g, 11);
    const std::vector<float> want = RunGuarded(r);
    std::vector<std::vector<float>> got(8, std::vector<float>(r.out_count));
    std::vector<std::vector<unsigned char>> workspaces(8, std::vector<unsigned char>(r.plan.workspace_bytes() + 1));
    std::vector<int> ok(8, 0);
    tbb::parallel_for(0, 8, [&](int i) {
      for (int rep = 0; rep < 5; ++rep) {
        // Odd runs pass no workspace: they borrow the plan's own or allocate one while it is lent.
        void* ws = i % 2 == 0 ? workspaces[i].data() : nullptr;
        ok[i] += Execute(r, got[i].data(), ws).ok() ? 1 : 0;
      }
    });
    for (int i = 0; i < 8; ++i) {
      CHECK(ok[i] == 5);
      CHECK(test::SameBits(got[i], want));
    }
  }
}

TEST_CASE("the workspace stays within its budget, independent of the batch, and a too-small budget is an error") {
  Conv2dDesc desc;
  desc.padding = Padding::kSame;
  const size_t l2 = L2CacheBytes();
  for (DataFormat df : {DataFormat::kNHWC, DataFormat::kNCHW}) {
    for (Direction d : kDirections) {
      PlanOptions options;
      options.num_threads = 2;
      options.algorithm = "im2col_gemm";  // the column tiles' budget (the direct kernels take this shape otherwise)
      Conv2dPlan small, large, larger;
      const Conv2dGeometry g1 = Resolve(&desc, df, FilterFormat::kHWIO, 1, 64, 56, 56, 64, 3, 3);
      const Conv2dGeometry g64 = Resolve(&desc, df, FilterFormat::kHWIO, 64, 64, 56, 56, 64, 3, 3);
      const Conv2dGeometry g256 = Resolve(&desc, df, FilterFormat::kHWIO, 256, 64, 56, 56, 64, 3, 3);
      REQUIRE(check::PlanOf(d, desc, g1, &small, options).ok());
      REQUIRE(check::PlanOf(d, desc, g64, &large, options).ok());
      REQUIRE(check::PlanOf(d, desc, g256, &larger, options).ok());
      CAPTURE(large.description());
      // The default budget is about threads x 2 x L2; the batch changes the task count, never the workspace.
      CHECK(small.workspace_bytes() > 0);
      CHECK(large.workspace_bytes() <= 2 * 2 * l2);
      CHECK(larger.workspace_bytes() == large.workspace_bytes());
      CHECK(small.workspace_bytes() <= large.workspace_bytes());

      options.workspace_budget = 4096;
      Conv2dPlan tight;
      const Status s = check::PlanOf(d, desc, g1, &tight, options);
      CHECK(s.code() == StatusCode::kResourceExhausted);
      CHECK(s.message().find("workspace budget of 4096 bytes is below the") != std::string::npos);
      CHECK(s.message().find("one column tile of") != std::string::npos);
      CHECK(!tight.valid());

      // Half the two-worker workspace leaves room for one worker: the plan fits it, and gives the same bits at
      // any thread count (a budget the caller sets may change the partial sums, never the thread count).
      options.workspace_budget = large.workspace_bytes() / 2 + 64;
      Conv2dPlan one;
      REQUIRE(check::PlanOf(d, desc, g64, &one, options).ok());
      CHECK(one.workspace_bytes() <= options.workspace_budget);
      CHECK(one.description().find("1 worker,") != std::string::npos);
      const Conv2dGeometry g2 = Resolve(&desc, df, FilterFormat::kHWIO, 2, 64, 56, 56, 64, 3, 3);
      PlanOptions three = options;
      three.num_threads = 3;
      const Run a = Prepare(d, desc, g2, 9, options), b = Prepare(d, desc, g2, 9, three);
      const std::vector<float> x = RunGuarded(a), y = RunGuarded(b);
      CHECK(test::SameBits(x, y));
    }
  }
}

}  // namespace
}  // namespace colconv
