#include "tests/test_util.h"

#include <cfloat>
#include <cmath>
#include <cstring>

#include "src/layout.h"
#include "src/shape.h"
#include "src/str_cat.h"

namespace colconv {
namespace test {

std::vector<float> RandomFloats(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> v(count);
  // Built from the raw 64-bit stream: std::uniform_real_distribution differs between standard libraries.
  for (float& x : v) x = static_cast<float>(static_cast<double>(rng() >> 11) * 0x1p-53 * 2.0 - 1.0);
  return v;
}

GuardedBuffer::GuardedBuffer(size_t count, float fill) : storage_(count + 2 * kGuard, kGuardValue), count_(count) {
  std::fill(data(), data() + count_, fill);
}

bool GuardedBuffer::GuardsIntact() const {
  for (size_t i = 0; i < kGuard; ++i) {
    if (storage_[i] != kGuardValue || storage_[kGuard + count_ + i] != kGuardValue) return false;
  }
  return true;
}

bool GuardedBuffer::AllEqual(float value) const {
  for (size_t i = 0; i < count_; ++i) {
    const float x = data()[i];
    if (!(x == value || (std::isnan(x) && std::isnan(value)))) return false;
  }
  return true;
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

std::vector<float> ConvertData(const std::vector<float>& v, DataFormat from, DataFormat to, int64_t n, int64_t c,
                               int64_t h, int64_t w) {
  const TensorIndex a = IndexOf(from, c, h, w), b = IndexOf(to, c, h, w);
  std::vector<float> out(v.size());
  ForEachIndex({n, c, h, w}, [&](int64_t in, int64_t ic, int64_t ih, int64_t iw) { out[b(in, ic, ih, iw)] = v[a(in, ic, ih, iw)]; });
  return out;
}

std::vector<float> ConvertFilter(const std::vector<float>& v, FilterFormat from, FilterFormat to, int64_t o,
                                 int64_t i, int64_t kh, int64_t kw) {
  const FilterIndex a = IndexOf(from, o, i, kh, kw), b = IndexOf(to, o, i, kh, kw);
  std::vector<float> out(v.size());
  ForEachIndex({o, i, kh, kw}, [&](int64_t io, int64_t ii, int64_t ih, int64_t iw) { out[b(io, ii, ih, iw)] = v[a(io, ii, ih, iw)]; });
  return out;
}

Shape4 DataShape(DataFormat format, int64_t n, int64_t c, int64_t h, int64_t w) {
  return format == DataFormat::kNHWC ? Shape4{n, h, w, c} : Shape4{n, c, h, w};
}

Shape4 FilterShape(FilterFormat format, int64_t o, int64_t i, int64_t kh, int64_t kw) {
  return format == FilterFormat::kHWIO ? Shape4{kh, kw, i, o} : Shape4{o, i, kh, kw};
}

std::string Problem::Describe() const {
  const Conv2dGeometry& g = geometry;
  return StrCat(DataFormatName(g.data_format), "/", FilterFormatName(g.filter_format), " mb", g.batch, " g",
                g.groups, " ic", g.in_channels, " ih", g.height.input, " iw", g.width.input, " oc", g.out_channels,
                " kh", g.height.filter, " kw", g.width.filter, " s", g.height.stride, "x", g.width.stride, " d",
                g.height.dilation, "x", g.width.dilation, " ", PaddingName(desc.padding), " pads ",
                g.height.pad_before, ",", g.height.pad_after, ",", g.width.pad_before, ",", g.width.pad_after,
                " -> oh", g.height.output, " ow", g.width.output);
}

Problem RandomProblem(std::mt19937_64& rng, int64_t max_spatial) {
  auto pick = [&rng](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  static const int64_t kKernels[] = {1, 2, 3, 5, 7};
  for (;;) {
    Problem p;
    p.desc.data_format = pick(0, 1) ? DataFormat::kNHWC : DataFormat::kNCHW;
    p.desc.filter_format = pick(0, 1) ? FilterFormat::kHWIO : FilterFormat::kOIHW;
    p.desc.groups = pick(0, 3) == 0 ? pick(2, 3) : 1;
    const int64_t icg = pick(1, 5), ocg = pick(1, 4);
    const int64_t kh = kKernels[pick(0, 4)], kw = pick(0, 2) == 0 ? kKernels[pick(0, 4)] : kh;
    p.desc.strides = {pick(1, 4), pick(1, 4)};
    p.desc.dilations = {pick(0, 2) == 0 ? pick(2, 3) : 1, pick(0, 2) == 0 ? pick(2, 3) : 1};
    p.desc.padding = static_cast<Padding>(pick(0, 2));
    p.desc.explicit_paddings = {pick(0, 3), pick(0, 3), pick(0, 3), pick(0, 3)};
    const int64_t batch = pick(0, 7) == 0 ? 0 : pick(1, 2);
    const int64_t h = pick(1, max_spatial), w = pick(1, max_spatial);
    const int64_t c = icg * p.desc.groups, o = ocg * p.desc.groups;
    p.src_shape = DataShape(p.desc.data_format, batch, c, h, w);
    p.weights_shape = FilterShape(p.desc.filter_format, o, icg, kh, kw);
    if (ResolveForward(p.desc, p.src_shape, p.weights_shape, &p.geometry).ok()) return p;
  }
}

double Tolerance(double magnitude, int64_t terms) {
  return 4.0 * std::sqrt(static_cast<double>(terms) + 1.0) * FLT_EPSILON * magnitude + 1e-30;
}

}  // namespace test
}  // namespace colconv
