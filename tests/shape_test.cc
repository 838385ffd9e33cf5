// The semantics module against brute force and against the facts the original question needs.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "src/shape.h"

namespace colconv {
namespace {

struct PadCase {
  Padding padding;
  int64_t before, after;
};

// Number of window starts j*s - pb (j >= 0) whose effective filter fits inside the padded input: the forward
// output size by definition, for VALID and EXPLICIT.
int64_t CountWindows(int64_t n, int64_t eff, int64_t s, int64_t pads) {
  int64_t count = 0;
  while (count * s + eff <= n + pads) ++count;
  return count;
}

TEST_CASE("output size, pads and admissible input range agree with brute force for n in 0..64") {
  const PadCase pad_cases[] = {{Padding::kValid, 0, 0},    {Padding::kSame, 0, 0},     {Padding::kExplicit, 0, 0},
                               {Padding::kExplicit, 1, 2}, {Padding::kExplicit, 3, 0}, {Padding::kExplicit, 2, 2}};
  int checked = 0;
  for (const PadCase& pc : pad_cases) {
    for (int64_t k = 1; k <= 5; ++k) {
      for (int64_t s = 1; s <= 4; ++s) {
        for (int64_t d = 1; d <= 3; ++d) {
          const int64_t eff = (k - 1) * d + 1;
          std::vector<int64_t> output_of(65, -1);  // -1: the forward formula rejects n
          for (int64_t n = 0; n <= 64; ++n) {
            SpatialDim dim;
            const Status st = ComputeSpatialDim("test", "height", n, k, s, d, pc.padding, pc.before, pc.after, &dim);
            if (pc.padding == Padding::kSame) {
              REQUIRE(st.ok());
              CHECK(dim.output == (n + s - 1) / s);
              const int64_t total = std::max<int64_t>(0, (dim.output - 1) * s + eff - n);
              CHECK(dim.pad_before == total / 2);
              CHECK(dim.pad_after == total - total / 2);
              // Every window lies inside the padded input; where padding was needed, the last one reaches its end.
              if (dim.output > 0) CHECK((dim.output - 1) * s + eff <= n + total);
              if (total > 0) CHECK((dim.output - 1) * s + eff == n + total);
            } else {
              const int64_t pads = pc.padding == Padding::kValid ? 0 : pc.before + pc.after;
              if (st.ok()) {
                CHECK(dim.output == CountWindows(n, eff, s, pads));
              } else {
                // TensorFlow's truncating division goes negative only when n + pads <= eff - 2s.
                CHECK(n + pads <= eff - 2 * s);
                CHECK(st.message().find("negative") != std::string::npos);
              }
            }
            if (st.ok()) output_of[n] = dim.output;
          }
          for (int64_t o = 0; o <= 64; ++o) {
            const SizeRange r = AdmissibleInputSizes(pc.padding, o, k, s, d, pc.before, pc.after);
            for (int64_t n = 0; n <= 64; ++n) {
              const bool in_range = !r.empty() && n >= r.lo && n <= r.hi;
              CAPTURE(o);
              CAPTURE(n);
              CAPTURE(k);
              CAPTURE(s);
              CAPTURE(d);
              CHECK(in_range == (output_of[n] == o));
            }
            // Exactly s sizes give each output >= 1 (o = 0 under VALID/EXPLICIT may have up to 2s - 1).
            if (o >= 1 && !r.empty() && r.hi <= 64 && r.lo > 0) CHECK(r.hi - r.lo + 1 == s);
            ++checked;
          }
        }
      }
    }
  }
  CHECK(checked == 6 * 5 * 4 * 3 * 65);
}

TEST_CASE("PyTorch's symmetric padding and output_padding agree with the EXPLICIT formula") {
  for (int64_t k = 1; k <= 5; ++k)
    for (int64_t s = 1; s <= 4; ++s)
      for (int64_t d = 1; d <= 3; ++d)
        for (int64_t p = 0; p <= 3; ++p)
          for (int64_t n = 0; n <= 40; ++n) {
            const int64_t eff = (k - 1) * d + 1;
            if (n + 2 * p < eff) continue;  // PyTorch rejects these
            SpatialDim dim;
            REQUIRE(ComputeSpatialDim("t", "height", n, k, s, d, Padding::kExplicit, p, p, &dim).ok());
            CHECK(TorchOutputSize(n, k, s, d, p) == dim.output);
            // conv_transpose2d back from o reaches every admissible n with output_padding in [0, s - 1].
            const int64_t op = TorchOutputPadding(n, dim.output, k, s, d, p);
            CHECK(op >= 0);
            CHECK(op <= s - 1);
          }
}

TEST_CASE("the original question: out_backprop 3, filter 3, stride 3, SAME, input_sizes 10") {
  Conv2dDesc desc;
  desc.strides = {3, 3};
  desc.padding = Padding::kSame;
  const int64_t input_sizes[4] = {1, 10, 9, 3};
  Conv2dGeometry g;
  const Status s = ResolveBackpropInput(desc, input_sizes, 4, {3, 3, 3, 4}, {1, 3, 3, 4}, &g);
  REQUIRE(s.code() == StatusCode::kInvalidArgument);
  const std::string m = s.message();
  CHECK(m.find("conv2d_backprop_input: input_sizes height 10 gives out_backprop height ceil(10/3) = 4 under SAME "
               "padding") != std::string::npos);
  CHECK(m.find("but out_backprop has height 3") != std::string::npos);
  CHECK(m.find("with stride 3, input heights 7, 8 and 9 give 3") != std::string::npos);
  CHECK(m.find("pads top 1, bottom 1") != std::string::npos);
  CHECK(m.find("1/1, 0/1, 0/0") != std::string::npos);
  CHECK(m.find("Size of out_backprop doesn't match computed: actual = 3, computed = 4 spatial_dim: 1 input: 10 "
               "filter: 3 output: 3 stride: 3 dilation: 1") != std::string::npos);
}

TEST_CASE("mismatch messages give the formula of each padding and the admissible range") {
  Conv2dDesc desc;
  desc.strides = {2, 2};
  Conv2dGeometry g;
  SUBCASE("VALID") {
    const int64_t sizes[4] = {1, 8, 5, 3};
    const Status s = ResolveBackpropInput(desc, sizes, 4, {3, 3, 3, 4}, {1, 2, 2, 4}, &g);
    CHECK(s.message().find("input_sizes height 8 gives out_backprop height (8 - 3 + 2) / 2 = 3 under VALID") !=
          std::string::npos);
    CHECK(s.message().find("input heights 5 and 6 give 2") != std::string::npos);
  }
  SUBCASE("EXPLICIT, width, dilation") {
    desc.padding = Padding::kExplicit;
    desc.explicit_paddings = {0, 0, 1, 2};
    desc.dilations = {1, 2};
    const int64_t sizes[4] = {1, 5, 9, 3};  // width: (9 + 1 + 2 - 5 + 2) / 2 = 4
    const Status s = ResolveBackpropInput(desc, sizes, 4, {3, 3, 3, 4}, {1, 2, 3, 4}, &g);
    CHECK(s.message().find("input_sizes width 9 gives out_backprop width (9 + 1 + 2 - 5 + 2) / 2 = 4 under "
                           "EXPLICIT padding (pads left 1, right 2)") != std::string::npos);
    CHECK(s.message().find("input widths 6 and 7 give 3") != std::string::npos);
    CHECK(s.message().find("effective filter 5") != std::string::npos);
  }
  SUBCASE("a long range is given by its ends") {
    desc.strides = {8, 8};
    desc.padding = Padding::kSame;
    const int64_t sizes[4] = {1, 100, 64, 3};
    const Status s = ResolveBackpropInput(desc, sizes, 4, {3, 3, 3, 4}, {1, 8, 8, 4}, &g);
    CHECK(s.message().find("input heights 57 to 64 give 8") != std::string::npos);
  }
  SUBCASE("backprop_filter names its own argument") {
    const Status s = ResolveBackpropFilter(desc, {1, 9, 9, 3}, {3, 3, 3, 4}, {1, 3, 3, 4}, &g);
    CHECK(s.message().find("conv2d_backprop_filter: input_shape height 9 gives out_backprop height") !=
          std::string::npos);
  }
}

TEST_CASE("TensorFlow's 2-value input_sizes takes batch from out_backprop and depth from the filter") {
  Conv2dDesc desc;
  desc.groups = 2;
  const int64_t sizes[2] = {4, 5};
  Conv2dGeometry g;
  REQUIRE(ResolveBackpropInput(desc, sizes, 2, {2, 2, 3, 6}, {7, 3, 4, 6}, &g).ok());
  CHECK(g.src_shape() == Shape4{7, 4, 5, 6});
  CHECK(ResolveBackpropInput(desc, sizes, 3, {2, 2, 3, 6}, {7, 3, 4, 6}, &g).message().find("has 3 values") !=
        std::string::npos);
}

TEST_CASE("VALID outputs of size 0 are valid, negative ones are errors") {
  Conv2dDesc desc;
  desc.strides = {2, 1};
  Shape4 out{};
  // (2 - 3 + 2) / 2 = 0 by truncation: an empty output, as TensorFlow computes it.
  REQUIRE(InferConv2dOutputShape(desc, {1, 2, 5, 1}, {3, 1, 1, 1}, &out).ok());
  CHECK(out == Shape4{1, 0, 5, 1});
  const Status s = InferConv2dOutputShape(desc, {1, 1, 5, 1}, {5, 1, 1, 1}, &out);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("must be at least 2") != std::string::npos);
}

TEST_CASE("shapes of every layout pair") {
  Conv2dDesc desc;
  desc.data_format = DataFormat::kNCHW;
  desc.filter_format = FilterFormat::kOIHW;
  desc.groups = 3;
  desc.padding = Padding::kSame;
  Conv2dGeometry g;
  REQUIRE(ResolveForward(desc, {2, 6, 7, 9}, {9, 2, 3, 1}, &g).ok());
  CHECK(g.dst_shape() == Shape4{2, 9, 7, 9});
  CHECK(g.weights_shape() == Shape4{9, 2, 3, 1});
  CHECK(g.in_channels_per_group() == 2);
  CHECK(g.out_channels_per_group() == 3);
}

}  // namespace
}  // namespace colconv
