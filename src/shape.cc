#include "src/shape.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "src/checked_math.h"
#include "src/str_cat.h"

namespace colconv {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

Status Invalid(std::string message) { return Status(StatusCode::kInvalidArgument, std::move(message)); }

// Names of the two spatial dimensions, their pads, and the letters of each format's axes.
constexpr const char* kDimNames[2] = {"height", "width"};
constexpr const char* kPadNames[2][2] = {{"top", "bottom"}, {"left", "right"}};
const char* AxisLetters(DataFormat format) { return format == DataFormat::kNHWC ? "NHWC" : "NCHW"; }
const char* AxisLetters(FilterFormat format) { return format == FilterFormat::kHWIO ? "HWIO" : "OIHW"; }

// Division rounding toward minus infinity (PyTorch's floor); C++ division truncates toward zero.
Int128 FloorDiv(Int128 a, Int128 b) {
  Int128 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string FormulaText(Padding padding, int64_t n, int64_t eff, int64_t s, int64_t pb, int64_t pa,
                        Int128 o) {
  const int64_t shown = static_cast<int64_t>(o);
  switch (padding) {
    case Padding::kSame:
      return StrCat("ceil(", n, "/", s, ") = ", shown);
    case Padding::kValid:
      return StrCat("(", n, " - ", eff, " + ", s, ") / ", s, " = ", shown);
    case Padding::kExplicit:
      break;
  }
  return StrCat("(", n, " + ", pb, " + ", pa, " - ", eff, " + ", s, ") / ", s, " = ", shown);
}

// The explanation TensorFlow leaves out: which size was computed, how, and which inputs would have fitted.
Status SizeMismatch(const char* op, const char* input_arg, int dim_index, int tf_spatial_dim,
                    const SpatialDim& computed, Padding padding, int64_t actual) {
  const char* dim = kDimNames[dim_index];
  const char* before = kPadNames[dim_index][0];
  const char* after = kPadNames[dim_index][1];
  std::string pads;
  if (padding != Padding::kValid) {
    pads = StrCat(" (pads ", before, " ", computed.pad_before, ", ", after, " ", computed.pad_after, ")");
  }
  const SizeRange fits = AdmissibleInputSizes(padding, actual, computed.filter, computed.stride,
                                              computed.dilation, computed.pad_before, computed.pad_after);
  std::string which;
  if (fits.empty()) {
    which = StrCat("no input ", dim, " gives ", actual, " with these pads");
  } else if (fits.lo == fits.hi) {
    which = StrCat("input ", dim, " ", fits.lo, " gives ", actual);
  } else {
    which = StrCat("input ", dim, "s ", ListRange(fits), " give ", actual);
  }
  if (padding == Padding::kSame) which += SamePadsNote(dim_index, actual, computed, fits);
  return Invalid(StrCat(
      op, ": ", input_arg, " ", dim, " ", computed.input, " gives out_backprop ", dim, " ",
      OutputSizeFormula(padding, computed), " under ", PaddingName(padding), " padding", pads,
      ", but out_backprop has ", dim, " ", actual, "; with stride ", computed.stride, ", ", which,
      ". Filter ", dim, " ", computed.filter, ", dilation ", computed.dilation, ", effective filter ",
      computed.effective_filter, ". (TensorFlow: Size of out_backprop doesn't match computed: actual = ",
      actual, ", computed = ", computed.output, " spatial_dim: ", tf_spatial_dim, " input: ", computed.input,
      " filter: ", computed.filter, " output: ", actual, " stride: ", computed.stride,
      " dilation: ", computed.dilation, ")"));
}

template <typename Format>
Status CheckNonNegative(const char* op, const char* arg, const int64_t* values, int count, Format format) {
  const char* letters = AxisLetters(format);
  for (int i = 0; i < count; ++i) {
    if (values[i] < 0) {
      return Invalid(StrCat(op, ": ", arg, "[", i, "] (", letters[i], ") is ", values[i],
                            "; sizes must be >= 0"));
    }
  }
  return Status();
}

// A tensor of this shape must be addressable: elements and float32 bytes fit int64 and size_t. Zero sizes count
// as 1, so that an empty tensor's other sizes (a per-image size, say, which plans multiply) are bounded too.
Status CheckAddressable(const char* op, const char* what, const Shape4& shape) {
  int64_t elements = 0, bytes = 0;
  auto nonzero = [](int64_t v) { return v == 0 ? int64_t{1} : v; };
  if (!CheckedProduct({nonzero(shape[0]), nonzero(shape[1]), nonzero(shape[2]), nonzero(shape[3])}, &elements) ||
      !CheckedMul(elements, static_cast<int64_t>(sizeof(float)), &bytes) ||
      static_cast<uint64_t>(bytes) > std::numeric_limits<size_t>::max()) {
    return Invalid(StrCat(op, ": ", what, " [", shape[0], ", ", shape[1], ", ", shape[2], ", ", shape[3],
                          "] has more float32 bytes than fit int64 (", kInt64Max, ")"));
  }
  return Status();
}

// Filter depth, divisibility, groups: TensorFlow's channel checks plus the explicit-groups rules.
Status CheckChannels(const char* op, const Conv2dDesc& desc, int64_t in_depth, const char* in_depth_from,
                     const char* filter_arg, const Shape4& filter) {
  const FilterAxes fa = AxesOf(desc.filter_format);
  const int64_t filter_in = filter[fa.i];
  if (filter_in <= 0) {
    return Invalid(StrCat(op, ": ", filter_arg, "[", fa.i, "] (filter input depth) is ", filter_in,
                          "; filter input depth must be >= 1"));
  }
  if (in_depth % filter_in != 0) {
    return Invalid(StrCat(op, ": input depth ", in_depth, " (", in_depth_from,
                          ") is not divisible by filter input depth ", filter_in, " (", filter_arg, "[", fa.i,
                          "]); input depth must be groups * filter input depth"));
  }
  int64_t expected = 0;
  if (!CheckedMul(desc.groups, filter_in, &expected) || expected != in_depth) {
    return Invalid(StrCat(op, ": input depth ", in_depth, " (", in_depth_from, ") must equal attrs.groups ",
                          desc.groups, " * filter input depth ", filter_in, " (", filter_arg, "[", fa.i,
                          "]); these shapes need attrs.groups = ", in_depth / filter_in));
  }
  if (filter[fa.o] % desc.groups != 0) {
    return Invalid(StrCat(op, ": filter output depth ", filter[fa.o], " (", filter_arg, "[", fa.o,
                          "]) is not divisible by attrs.groups ", desc.groups));
  }
  return Status();
}

Status CheckFilterSpatial(const char* op, const char* filter_arg, FilterFormat format, const Shape4& filter) {
  const FilterAxes fa = AxesOf(format);
  for (int d = 0; d < 2; ++d) {
    const int axis = d == 0 ? fa.h : fa.w;
    if (filter[axis] < 1) {
      return Invalid(StrCat(op, ": ", filter_arg, "[", axis, "] (filter ", kDimNames[d], ") is ", filter[axis],
                            "; filter sizes must be >= 1"));
    }
  }
  return Status();
}

// Resolves both spatial dimensions of `input` against `filter`.
Status ComputeSpatialDims(const char* op, const Conv2dDesc& desc, const Shape4& input, const Shape4& filter,
                          SpatialDim dims[2]) {
  const TensorAxes ta = AxesOf(desc.data_format);
  const FilterAxes fa = AxesOf(desc.filter_format);
  const int in_axis[2] = {ta.h, ta.w};
  const int filter_axis[2] = {fa.h, fa.w};
  for (int d = 0; d < 2; ++d) {
    Status s = ComputeSpatialDim(op, kDimNames[d], input[in_axis[d]], filter[filter_axis[d]], desc.strides[d],
                                 desc.dilations[d], desc.padding, desc.explicit_paddings[2 * d],
                                 desc.explicit_paddings[2 * d + 1], &dims[d]);
    if (!s.ok()) return s;
  }
  return Status();
}

Conv2dGeometry MakeGeometry(const Conv2dDesc& desc, const Shape4& input, const Shape4& filter,
                            const SpatialDim dims[2]) {
  const TensorAxes ta = AxesOf(desc.data_format);
  const FilterAxes fa = AxesOf(desc.filter_format);
  Conv2dGeometry g;
  g.data_format = desc.data_format;
  g.filter_format = desc.filter_format;
  g.batch = input[ta.n];
  g.in_channels = input[ta.c];
  g.out_channels = filter[fa.o];
  g.groups = desc.groups;
  g.height = dims[0];
  g.width = dims[1];
  return g;
}

Status CheckAllAddressable(const char* op, const char* input_what, const char* filter_what,
                           const char* output_what, const Conv2dGeometry& g) {
  Status s = CheckAddressable(op, input_what, g.src_shape());
  if (s.ok()) s = CheckAddressable(op, filter_what, g.weights_shape());
  if (s.ok()) s = CheckAddressable(op, output_what, g.dst_shape());
  return s;
}

// Shared by both backprops, in TensorFlow's order (ConvBackpropComputeDimensionsV2): batch, filter depth,
// divisibility, out depth, then each spatial dimension against out_backprop.
Status ResolveBackprop(const char* op, const Conv2dDesc& desc, const char* input_arg, const Shape4& input,
                       const char* filter_arg, const Shape4& filter, const Shape4& out_backprop,
                       bool input_depth_given, Conv2dGeometry* geometry) {
  const TensorAxes ta = AxesOf(desc.data_format);
  const FilterAxes fa = AxesOf(desc.filter_format);
  if (input[ta.n] != out_backprop[ta.n]) {
    return Invalid(StrCat(op, ": ", input_arg, " batch ", input[ta.n], " (", input_arg, "[", ta.n,
                          "]) differs from out_backprop batch ", out_backprop[ta.n], " (out_backprop_shape[",
                          ta.n, "]); they must be equal"));
  }
  const std::string depth_from =
      input_depth_given ? StrCat(input_arg, "[", ta.c, "]") : StrCat("attrs.groups * ", filter_arg, "[", fa.i, "]");
  Status s = CheckChannels(op, desc, input[ta.c], depth_from.c_str(), filter_arg, filter);
  if (!s.ok()) return s;
  if (filter[fa.o] != out_backprop[ta.c]) {
    return Invalid(StrCat(op, ": filter output depth ", filter[fa.o], " (", filter_arg, "[", fa.o,
                          "]) differs from out_backprop depth ", out_backprop[ta.c], " (out_backprop_shape[", ta.c,
                          "]); they must be equal"));
  }
  s = CheckFilterSpatial(op, filter_arg, desc.filter_format, filter);
  if (!s.ok()) return s;
  SpatialDim dims[2];
  s = ComputeSpatialDims(op, desc, input, filter, dims);
  if (!s.ok()) return s;
  const int out_axis[2] = {ta.h, ta.w};
  for (int d = 0; d < 2; ++d) {
    if (dims[d].output != out_backprop[out_axis[d]]) {
      return SizeMismatch(op, input_arg, d, out_axis[d], dims[d], desc.padding, out_backprop[out_axis[d]]);
    }
  }
  const Conv2dGeometry g = MakeGeometry(desc, input, filter, dims);
  s = CheckAllAddressable(op, input_arg, filter_arg, "out_backprop_shape", g);
  if (!s.ok()) return s;
  *geometry = g;
  return Status();
}

}  // namespace

TensorAxes AxesOf(DataFormat format) {
  return format == DataFormat::kNHWC ? TensorAxes{0, 3, 1, 2} : TensorAxes{0, 1, 2, 3};
}

FilterAxes AxesOf(FilterFormat format) {
  return format == FilterFormat::kHWIO ? FilterAxes{3, 2, 0, 1} : FilterAxes{0, 1, 2, 3};
}

const char* OpName(Direction direction) {
  switch (direction) {
    case Direction::kForward:
      break;
    case Direction::kBackpropInput:
      return "conv2d_backprop_input";
    case Direction::kBackpropFilter:
      return "conv2d_backprop_filter";
  }
  return "conv2d";
}

const char* PaddingName(Padding padding) {
  switch (padding) {
    case Padding::kValid:
      return "VALID";
    case Padding::kSame:
      return "SAME";
    case Padding::kExplicit:
      return "EXPLICIT";
  }
  return "?";
}

const char* DataFormatName(DataFormat format) { return AxisLetters(format); }
const char* FilterFormatName(FilterFormat format) { return AxisLetters(format); }

Status ValidateDesc(const char* op, const Conv2dDesc& desc) {
  if (desc.data_format != DataFormat::kNHWC && desc.data_format != DataFormat::kNCHW) {
    return Invalid(StrCat(op, ": attrs.data_format is ", static_cast<int>(desc.data_format),
                          "; must be NHWC (0) or NCHW (1)"));
  }
  if (desc.filter_format != FilterFormat::kHWIO && desc.filter_format != FilterFormat::kOIHW) {
    return Invalid(StrCat(op, ": attrs.filter_format is ", static_cast<int>(desc.filter_format),
                          "; must be HWIO (0) or OIHW (1)"));
  }
  for (int d = 0; d < 2; ++d) {
    if (desc.strides[d] < 1) {
      return Invalid(StrCat(op, ": attrs.strides[", d, "] (", kDimNames[d], ") is ", desc.strides[d],
                            "; strides must be >= 1"));
    }
  }
  for (int d = 0; d < 2; ++d) {
    if (desc.dilations[d] < 1) {
      return Invalid(StrCat(op, ": attrs.dilations[", d, "] (", kDimNames[d], ") is ", desc.dilations[d],
                            "; dilations must be >= 1 (1 = dense)"));
    }
  }
  if (desc.padding != Padding::kValid && desc.padding != Padding::kSame && desc.padding != Padding::kExplicit) {
    return Invalid(StrCat(op, ": attrs.padding is ", static_cast<int>(desc.padding),
                          "; must be VALID (0), SAME (1) or EXPLICIT (2)"));
  }
  if (desc.padding == Padding::kExplicit) {
    for (int i = 0; i < 4; ++i) {
      if (desc.explicit_paddings[i] < 0) {
        return Invalid(StrCat(op, ": attrs.explicit_paddings[", i, "] (", kPadNames[i / 2][i % 2], ") is ",
                              desc.explicit_paddings[i], "; explicit paddings must be >= 0"));
      }
    }
  }
  if (desc.groups < 1) {
    return Invalid(StrCat(op, ": attrs.groups is ", desc.groups, "; groups must be >= 1"));
  }
  return Status();
}

Status ComputeSpatialDim(const char* op, const char* dim, int64_t input, int64_t filter, int64_t stride,
                         int64_t dilation, Padding padding, int64_t pad_before, int64_t pad_after,
                         SpatialDim* out) {
  const Int128 eff = Int128(filter - 1) * dilation + 1;
  if (eff > kInt64Max) {
    return Invalid(StrCat(op, ": the effective filter ", dim, " (", filter, " - 1) * ", dilation,
                          " + 1 (filter ", dim, " ", filter, ", dilation ", dilation, ") does not fit int64"));
  }
  const int64_t effective = static_cast<int64_t>(eff);
  Int128 output = 0;
  switch (padding) {
    case Padding::kValid:
      pad_before = pad_after = 0;
      output = (Int128(input) - eff + stride) / stride;
      break;
    case Padding::kSame: {
      output = (Int128(input) + stride - 1) / stride;
      const Int128 total = std::max<Int128>(0, (output - 1) * stride + eff - input);
      pad_before = static_cast<int64_t>(total / 2);
      pad_after = static_cast<int64_t>(total - total / 2);
      break;
    }
    case Padding::kExplicit:
      output = (Int128(input) + pad_before + pad_after - eff + stride) / stride;
      break;
  }
  if (output < 0) {
    const SizeRange zero = AdmissibleInputSizes(padding, 0, filter, stride, dilation, pad_before, pad_after);
    return Invalid(StrCat(op, ": input ", dim, " ", input, " gives a negative output ", dim, ": ",
                          FormulaText(padding, input, effective, stride, pad_before, pad_after, output),
                          " under ", PaddingName(padding), " padding (filter ", filter, ", dilation ", dilation,
                          ", effective filter ", effective, "); the input ", dim, " must be at least ", zero.lo,
                          ". (TensorFlow: Computed output size would be negative: ",
                          static_cast<int64_t>(output), " [input_size: ", input,
                          ", effective_filter_size: ", effective, ", stride: ", stride, "])"));
  }
  if (output > kInt64Max) {
    return Invalid(StrCat(op, ": the output ", dim, " for input ", input, " with pads ", pad_before, " and ",
                          pad_after, " does not fit int64"));
  }
  out->input = input;
  out->filter = filter;
  out->stride = stride;
  out->dilation = dilation;
  out->effective_filter = effective;
  out->output = static_cast<int64_t>(output);
  out->pad_before = pad_before;
  out->pad_after = pad_after;
  return Status();
}

std::string ListRange(const SizeRange& range) {
  if (range.hi - range.lo >= 5) return StrCat(range.lo, " to ", range.hi);
  std::string text = StrCat(range.lo);
  // Counted, not compared with hi: hi may be INT64_MAX.
  for (int64_t i = 1; i <= range.hi - range.lo; ++i) {
    text += StrCat(i == range.hi - range.lo ? " and " : ", ", range.lo + i);
  }
  return text;
}

std::string SamePadsNote(int dim_index, int64_t output, const SpatialDim& dim, const SizeRange& inputs) {
  if (inputs.empty() || inputs.hi - inputs.lo >= 5) return "";
  std::string note = StrCat(" (SAME pads ", kPadNames[dim_index][0], "/", kPadNames[dim_index][1], ":");
  for (int64_t i = 0; i <= inputs.hi - inputs.lo; ++i) {
    const Int128 total = std::max<Int128>(0, (Int128(output) - 1) * dim.stride + dim.effective_filter - inputs.lo - i);
    note += StrCat(i == 0 ? " " : ", ", static_cast<int64_t>(total / 2), "/", static_cast<int64_t>(total - total / 2));
  }
  return note + ")";
}

std::string OutputSizeFormula(Padding padding, const SpatialDim& dim) {
  return FormulaText(padding, dim.input, dim.effective_filter, dim.stride, dim.pad_before, dim.pad_after,
                     dim.output);
}

SizeRange AdmissibleInputSizes(Padding padding, int64_t output, int64_t filter, int64_t stride,
                               int64_t dilation, int64_t pad_before, int64_t pad_after) {
  SizeRange range;  // empty
  if (output < 0 || filter < 1 || stride < 1 || dilation < 1) return range;
  const Int128 eff = Int128(filter - 1) * dilation + 1;
  Int128 lo = 0, hi = 0;
  if (padding == Padding::kSame) {
    // ceil(n / s) = o
    lo = output == 0 ? 0 : (Int128(output) - 1) * stride + 1;
    hi = Int128(output) * stride;
  } else {
    // trunc((n + pads - eff + s) / s) = o: numerator in [o*s, o*s + s - 1], or (-s, s) for o = 0.
    const Int128 pads = padding == Padding::kValid ? 0 : Int128(pad_before) + pad_after;
    if (output == 0) {
      lo = eff - 2 * Int128(stride) + 1;
      hi = eff - 1;
    } else {
      lo = (Int128(output) - 1) * stride + eff;
      hi = lo + stride - 1;
    }
    lo -= pads;
    hi -= pads;
  }
  lo = std::max<Int128>(lo, 0);
  hi = std::min<Int128>(hi, kInt64Max);
  if (lo > hi) return range;
  range.lo = static_cast<int64_t>(lo);
  range.hi = static_cast<int64_t>(hi);
  return range;
}

int64_t NumElements(const Shape4& shape) { return shape[0] * shape[1] * shape[2] * shape[3]; }

std::array<Shape4, 3> OperandShapes(const Conv2dGeometry& g, Direction direction) {
  switch (direction) {
    case Direction::kForward:
      break;
    case Direction::kBackpropInput:
      return {g.weights_shape(), g.dst_shape(), g.src_shape()};
    case Direction::kBackpropFilter:
      return {g.src_shape(), g.dst_shape(), g.weights_shape()};
  }
  return {g.src_shape(), g.weights_shape(), g.dst_shape()};
}

Status ResolveForward(const Conv2dDesc& desc, const Shape4& input_shape, const Shape4& filter_shape,
                      Conv2dGeometry* geometry) {
  const char* op = "conv2d";
  Status s = ValidateDesc(op, desc);
  if (s.ok()) s = CheckNonNegative(op, "input_shape", input_shape.data(), 4, desc.data_format);
  if (s.ok()) s = CheckNonNegative(op, "filter_shape", filter_shape.data(), 4, desc.filter_format);
  if (!s.ok()) return s;
  const TensorAxes ta = AxesOf(desc.data_format);
  const std::string depth_from = StrCat("input_shape[", ta.c, "]");
  s = CheckChannels(op, desc, input_shape[ta.c], depth_from.c_str(), "filter_shape", filter_shape);
  if (s.ok()) s = CheckFilterSpatial(op, "filter_shape", desc.filter_format, filter_shape);
  if (!s.ok()) return s;
  SpatialDim dims[2];
  s = ComputeSpatialDims(op, desc, input_shape, filter_shape, dims);
  if (!s.ok()) return s;
  const Conv2dGeometry g = MakeGeometry(desc, input_shape, filter_shape, dims);
  s = CheckAllAddressable(op, "input_shape", "filter_shape", "the output", g);
  if (!s.ok()) return s;
  *geometry = g;
  return Status();
}

Status ResolveBackpropInput(const Conv2dDesc& desc, const int64_t* input_sizes, size_t num_input_sizes,
                            const Shape4& filter_shape, const Shape4& out_backprop_shape,
                            Conv2dGeometry* geometry) {
  const char* op = "conv2d_backprop_input";
  Status s = ValidateDesc(op, desc);
  if (!s.ok()) return s;
  if (num_input_sizes != 4 && num_input_sizes != 2) {
    return Invalid(StrCat(op, ": input_sizes has ", num_input_sizes,
                          " values; it must have 4 (in data_format order) or 2 ([H, W])"));
  }
  const TensorAxes ta = AxesOf(desc.data_format);
  const FilterAxes fa = AxesOf(desc.filter_format);
  if (num_input_sizes == 4) {
    s = CheckNonNegative(op, "input_sizes", input_sizes, 4, desc.data_format);
  } else {
    for (int i = 0; i < 2 && s.ok(); ++i) {
      if (input_sizes[i] < 0) {
        s = Invalid(StrCat(op, ": input_sizes[", i, "] (", kDimNames[i], ") is ", input_sizes[i],
                           "; sizes must be >= 0"));
      }
    }
  }
  if (s.ok()) s = CheckNonNegative(op, "filter_shape", filter_shape.data(), 4, desc.filter_format);
  if (s.ok()) s = CheckNonNegative(op, "out_backprop_shape", out_backprop_shape.data(), 4, desc.data_format);
  if (!s.ok()) return s;
  Shape4 input{};
  if (num_input_sizes == 4) {
    std::copy(input_sizes, input_sizes + 4, input.begin());
  } else {
    // TensorFlow's 2-value form: batch from out_backprop, depth from the filter (times groups).
    int64_t depth = 0;
    if (!CheckedMul(desc.groups, filter_shape[fa.i], &depth)) {
      return Invalid(StrCat(op, ": attrs.groups ", desc.groups, " * filter input depth ", filter_shape[fa.i],
                            " does not fit int64"));
    }
    input[ta.n] = out_backprop_shape[ta.n];
    input[ta.h] = input_sizes[0];
    input[ta.w] = input_sizes[1];
    input[ta.c] = depth;
  }
  return ResolveBackprop(op, desc, "input_sizes", input, "filter_shape", filter_shape, out_backprop_shape,
                         num_input_sizes == 4, geometry);
}

Status ResolveBackpropFilter(const Conv2dDesc& desc, const Shape4& input_shape, const Shape4& filter_sizes,
                             const Shape4& out_backprop_shape, Conv2dGeometry* geometry) {
  const char* op = "conv2d_backprop_filter";
  Status s = ValidateDesc(op, desc);
  if (s.ok()) s = CheckNonNegative(op, "input_shape", input_shape.data(), 4, desc.data_format);
  if (s.ok()) s = CheckNonNegative(op, "filter_sizes", filter_sizes.data(), 4, desc.filter_format);
  if (s.ok()) s = CheckNonNegative(op, "out_backprop_shape", out_backprop_shape.data(), 4, desc.data_format);
  if (!s.ok()) return s;
  return ResolveBackprop(op, desc, "input_shape", input_shape, "filter_sizes", filter_sizes, out_backprop_shape,
                         true, geometry);
}

int64_t TorchOutputSize(int64_t input, int64_t filter, int64_t stride, int64_t dilation, int64_t pad) {
  const Int128 eff = Int128(filter - 1) * dilation + 1;
  return static_cast<int64_t>(FloorDiv(Int128(input) + 2 * Int128(pad) - eff, stride) + 1);
}

int64_t TorchOutputPadding(int64_t input, int64_t output, int64_t filter, int64_t stride, int64_t dilation,
                           int64_t pad) {
  const Int128 eff = Int128(filter - 1) * dilation + 1;
  return static_cast<int64_t>(Int128(input) - ((Int128(output) - 1) * stride - 2 * Int128(pad) + eff));
}

// ---- Public C++ API pieces that are pure semantics -------------------------------------------------------

Shape4 Conv2dGeometry::src_shape() const {
  return data_format == DataFormat::kNHWC ? Shape4{batch, height.input, width.input, in_channels}
                                          : Shape4{batch, in_channels, height.input, width.input};
}

Shape4 Conv2dGeometry::weights_shape() const {
  const int64_t icg = in_channels_per_group();
  return filter_format == FilterFormat::kHWIO ? Shape4{height.filter, width.filter, icg, out_channels}
                                              : Shape4{out_channels, icg, height.filter, width.filter};
}

Shape4 Conv2dGeometry::dst_shape() const {
  return data_format == DataFormat::kNHWC ? Shape4{batch, height.output, width.output, out_channels}
                                          : Shape4{batch, out_channels, height.output, width.output};
}

Status InferConv2dOutputShape(const Conv2dDesc& desc, const Shape4& src_shape, const Shape4& weights_shape,
                              Shape4* dst_shape) {
  Conv2dGeometry g;
  Status s = ResolveForward(desc, src_shape, weights_shape, &g);
  if (s.ok()) *dst_shape = g.dst_shape();
  return s;
}

}  // namespace colconv
