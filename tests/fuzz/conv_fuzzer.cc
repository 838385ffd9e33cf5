// libFuzzer target: colconv's C API with attributes and shapes chosen by the fuzzer.
//
// colconv's own shape resolution is the oracle for which arguments are valid. Valid problems small enough to
// hold (kMaxElements per tensor) run in exactly-sized buffers, so ASan sees any overrun, and are compared with
// the reference; invalid ones must fail with a message and leave the sentinel-filled outputs untouched; valid
// but huge ones get NULL data, which must be refused before anything is allocated.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "colconv/colconv.h"
#include "src/layout.h"
#include "src/reference/reference.h"
#include "src/shape.h"

namespace {

constexpr int64_t kMaxElements = 1 << 13;
constexpr int64_t kMaxWork = 1 << 20;  // products the reference may sum, so that one input stays fast
constexpr float kSentinel = 31337.25f;

void Fail(const char* what, const char* detail) {
  std::fprintf(stderr, "conv_fuzzer: %s: %s\n", what, detail);
  std::abort();
}

// Reads the fuzzer's bytes as small numbers, mostly, with the edges of int64 now and then.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  int64_t Size() {
    static const int64_t kEdges[8] = {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                                      std::numeric_limits<int64_t>::max() / 2 + 1, int64_t{1} << 31,
                                      int64_t{1} << 32, int64_t{1} << 62, 3037000500, int64_t{1} << 20};
    const uint8_t b = Byte();
    switch (b >> 5) {
      case 0: case 1: case 2: case 3:
        return b & 15;
      case 4:
        return (b & 31) + 1;
      case 5:
        return -static_cast<int64_t>(b & 3);
      case 6:
        return kEdges[b & 7];
      default: {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | Byte();
        return static_cast<int64_t>(v);
      }
    }
  }
  float Value() { return static_cast<float>(static_cast<int>(Byte()) - 128) / 32.0f; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

template <typename Enum>
void SetEnum(Enum* field, int value) {
  std::memcpy(field, &value, sizeof value);
}

// Whether a shape's element count is at most kMaxElements (false for negative sizes).
bool Small(const colconv::Shape4& s) {
  for (int64_t v : s) {
    if (v == 0) return true;  // empty, whatever the other sizes
  }
  int64_t p = 1;
  for (int64_t v : s) {
    if (v < 0 || (v != 0 && p > kMaxElements / v)) return false;
    p *= v;
  }
  return p <= kMaxElements;
}

struct Buffer {
  std::vector<float> data;
  float* ptr(bool null) { return null ? nullptr : data.data(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace colconv;
  Bytes in(data, size);
  const int op = in.Byte() % 4;  // 0 output_shape, 1 forward, 2 backprop-input, 3 backprop-filter
  colconv_conv2d_attrs attrs;
  colconv_conv2d_attrs_init(&attrs);
  SetEnum(&attrs.data_format, static_cast<int>(in.Byte() % 5) - 1);
  SetEnum(&attrs.filter_format, static_cast<int>(in.Byte() % 5) - 1);
  SetEnum(&attrs.padding, static_cast<int>(in.Byte() % 5) - 1);
  for (int64_t& v : attrs.strides) v = in.Size();
  for (int64_t& v : attrs.dilations) v = in.Size();
  for (int64_t& v : attrs.explicit_paddings) v = in.Size();
  attrs.groups = in.Size();
  Shape4 a{}, f{}, dy{};
  for (int64_t& v : a) v = in.Size();
  for (int64_t& v : f) v = in.Size();
  for (int64_t& v : dy) v = in.Size();
  const uint8_t nulls = in.Byte();
  const bool null_attrs = (nulls & 0x80) != 0 && (nulls & 0x40) != 0;

  // The oracle: what colconv's semantics module says about these arguments.
  Conv2dDesc desc;
  int v;
  std::memcpy(&v, &attrs.data_format, sizeof v);
  desc.data_format = static_cast<DataFormat>(v);
  std::memcpy(&v, &attrs.filter_format, sizeof v);
  desc.filter_format = static_cast<FilterFormat>(v);
  std::memcpy(&v, &attrs.padding, sizeof v);
  desc.padding = static_cast<Padding>(v);
  desc.strides = {attrs.strides[0], attrs.strides[1]};
  desc.dilations = {attrs.dilations[0], attrs.dilations[1]};
  desc.explicit_paddings = {attrs.explicit_paddings[0], attrs.explicit_paddings[1], attrs.explicit_paddings[2],
                            attrs.explicit_paddings[3]};
  desc.groups = attrs.groups;
  Conv2dGeometry g;
  Status valid;
  switch (op) {
    case 0:
    case 1:
      valid = ResolveForward(desc, a, f, &g);
      break;
    case 2:
      valid = ResolveBackpropInput(desc, a.data(), 4, f, dy, &g);
      break;
    default:
      valid = ResolveBackpropFilter(desc, a, f, dy, &g);
      break;
  }
  if (null_attrs) valid = Status(StatusCode::kInvalidArgument, "attrs is NULL");
  const colconv_conv2d_attrs* attrs_ptr = null_attrs ? nullptr : &attrs;

  if (op == 0) {
    int64_t out[4] = {-5, -5, -5, -5};
    const colconv_status s = colconv_conv2d_output_shape(attrs_ptr, a.data(), f.data(), out);
    if (valid.ok() != (s == COLCONV_OK)) Fail("output_shape disagrees with the semantics", colconv_last_error());
    if (s == COLCONV_OK && Shape4{out[0], out[1], out[2], out[3]} != g.dst_shape()) Fail("output_shape", "wrong");
    if (s != COLCONV_OK && (out[0] != -5 || out[3] != -5)) Fail("output_shape", "wrote on error");
    if (s != COLCONV_OK && colconv_last_error()[0] == '\0') Fail("output_shape", "no message");
    return 0;
  }

  // Shapes of the op's two inputs and its result, in the op's argument order.
  Shape4 in0{}, in1{}, out{};
  if (valid.ok()) {
    const std::array<Shape4, 3> operands = OperandShapes(g, static_cast<Direction>(op - 1));
    in0 = operands[0], in1 = operands[1], out = operands[2];
  }
  bool small = valid.ok() && Small(in0) && Small(in1) && Small(out);
  if (small) {
    const int64_t taps = g.height.filter * g.width.filter;
    const int64_t terms = op == 1 ? g.in_channels_per_group() * taps
                                  : op == 2 ? g.out_channels_per_group() * taps : g.batch * g.height.output * g.width.output;
    small = NumElements(out) == 0 || terms <= kMaxWork / NumElements(out);
  }
  const int64_t n0 = small ? NumElements(in0) : 16, n1 = small ? NumElements(in1) : 16;
  const int64_t n_out = small ? NumElements(out) : 16;
  Buffer x{std::vector<float>(static_cast<size_t>(n0))}, y{std::vector<float>(static_cast<size_t>(n1))};
  for (float& e : x.data) e = in.Value();
  for (float& e : y.data) e = in.Value();
  Buffer result{std::vector<float>(static_cast<size_t>(n_out), kSentinel)};
  // A valid problem too big to hold gets NULL data, which colconv must refuse (its tensors are not empty).
  const bool null_data = valid.ok() && !small;
  const bool null0 = null_data || (nulls & 1) != 0, null1 = null_data || (nulls & 2) != 0;
  const bool null_out = null_data || (nulls & 4) != 0;
  colconv_status s;
  switch (op) {
    case 1:
      s = colconv_conv2d(attrs_ptr, a.data(), x.ptr(null0), f.data(), y.ptr(null1), result.ptr(null_out));
      break;
    case 2:
      s = colconv_conv2d_backprop_input(attrs_ptr, a.data(), f.data(), x.ptr(null0), dy.data(), y.ptr(null1),
                                        result.ptr(null_out));
      break;
    default:
      s = colconv_conv2d_backprop_filter(attrs_ptr, a.data(), x.ptr(null0), f.data(), dy.data(), y.ptr(null1),
                                         result.ptr(null_out));
      break;
  }
  const bool null_with_data = (null0 && (!small || n0 > 0)) || (null1 && (!small || n1 > 0)) ||
                              (null_out && (!small || n_out > 0));
  const bool should_pass = valid.ok() && !null_with_data;
  if (should_pass != (s == COLCONV_OK)) {
    char detail[1024];
    std::snprintf(detail, sizeof detail,
                  "op %d; semantics say: %s; shapes [%lld %lld %lld %lld] [%lld %lld %lld %lld] "
                  "[%lld %lld %lld %lld]; small %d; NULL data %d %d %d; colconv says: %s",
                  op, valid.ok() ? "valid" : valid.message().c_str(), static_cast<long long>(in0[0]),
                  static_cast<long long>(in0[1]), static_cast<long long>(in0[2]), static_cast<long long>(in0[3]),
                  static_cast<long long>(in1[0]), static_cast<long long>(in1[1]), static_cast<long long>(in1[2]),
                  static_cast<long long>(in1[3]), static_cast<long long>(out[0]), static_cast<long long>(out[1]),
                  static_cast<long long>(out[2]), static_cast<long long>(out[3]), small, null0, null1, null_out,
                  colconv_last_error());
    Fail(should_pass ? "refused a valid call" : "accepted an invalid call", detail);
  }
  if (s != COLCONV_OK) {
    if (colconv_last_error()[0] == '\0') Fail("error", "no message");
    for (float e : result.data) {
      if (e != kSentinel) Fail("error", "wrote to the output");
    }
    return 0;
  }
  // A valid run: every element against the reference, within the rounding of its own sum. The reference run
  // on |x| and |y| gives each element's sum of |products|, the scale of that rounding.
  std::vector<float> want(static_cast<size_t>(n_out)), scale(static_cast<size_t>(n_out));
  std::vector<float> abs_x(x.data), abs_y(y.data);
  for (float& e : abs_x) e = std::fabs(e);
  for (float& e : abs_y) e = std::fabs(e);
  auto reference_run = [&](const float* p0, const float* p1, float* o) {
    if (op == 1) reference::Forward(g, p0, p1, o);
    if (op == 2) reference::BackpropInput(g, p0, p1, o);
    if (op == 3) reference::BackpropFilter(g, p0, p1, o);
  };
  reference_run(x.data.data(), y.data.data(), want.data());
  reference_run(abs_x.data(), abs_y.data(), scale.data());
  for (size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(double(result.data[i]) - double(want[i]));
    if (!(err <= 1e-4 * double(scale[i]) + 1e-6)) Fail("result", "differs from the reference");
  }
  return 0;
}
