// Convolution semantics, in one place: output sizes, pads, admissible input sizes, and the validation of every
// argument in TensorFlow's order, with messages that name the argument, its value and the rule it broke.
// Everything else in colconv (plans, reference, CLI) resolves its problem through here.
#ifndef COLCONV_SRC_SHAPE_H_
#define COLCONV_SRC_SHAPE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "colconv/conv2d.h"

namespace colconv {

// Positions of N, C, H, W in a tensor shape and of O, I, H, W in a filter shape.
struct TensorAxes {
  int n, c, h, w;
};
struct FilterAxes {
  int o, i, h, w;
};
TensorAxes AxesOf(DataFormat format);
FilterAxes AxesOf(FilterFormat format);

// Checks the attributes alone (enums, strides, dilations, explicit pads, groups).
Status ValidateDesc(const char* op, const Conv2dDesc& desc);

// One spatial dimension's output size and pads, TensorFlow's GetWindowedOutputSizeVerbose with overflow
// checks. `dim` is "height" or "width"; stride, dilation and filter must already be >= 1.
Status ComputeSpatialDim(const char* op, const char* dim, int64_t input, int64_t filter, int64_t stride,
                         int64_t dilation, Padding padding, int64_t pad_before, int64_t pad_after,
                         SpatialDim* out);

// "ceil(10/3) = 4", "(10 - 3 + 3) / 3 = 3": the formula that gave out.output, with the numbers filled in.
std::string OutputSizeFormula(Padding padding, const SpatialDim& dim);

// "7, 8 and 9" for up to 5 values, "57 to 64" beyond.
std::string ListRange(const SizeRange& range);
// " (SAME pads top/bottom: 1/1, 0/1, 0/0)": the SAME pads each of `inputs` gets for output size `output`
// along dimension dim_index (0 height, 1 width); "" for more than 5 inputs.
std::string SamePadsNote(int dim_index, int64_t output, const SpatialDim& dim, const SizeRange& inputs);

// The three directions resolve their arguments into one geometry. Each validates in TensorFlow's order and
// fails with kInvalidArgument and a message naming the argument.
Status ResolveForward(const Conv2dDesc& desc, const Shape4& input_shape, const Shape4& filter_shape,
                      Conv2dGeometry* geometry);
// input_sizes has 4 values (data_format order) or 2 ([H, W]).
Status ResolveBackpropInput(const Conv2dDesc& desc, const int64_t* input_sizes, size_t num_input_sizes,
                            const Shape4& filter_shape, const Shape4& out_backprop_shape,
                            Conv2dGeometry* geometry);
Status ResolveBackpropFilter(const Conv2dDesc& desc, const Shape4& input_shape, const Shape4& filter_sizes,
                             const Shape4& out_backprop_shape, Conv2dGeometry* geometry);

// The shapes of an op's two inputs and its result, in the order of its arguments: forward (src, weights, dst),
// backprop-input (weights, diff_dst, diff_src), backprop-filter (src, diff_dst, diff_weights).
std::array<Shape4, 3> OperandShapes(const Conv2dGeometry& g, Direction direction);

// Element counts of a resolved geometry's tensors (checked to fit int64 and size_t bytes when resolved).
int64_t NumElements(const Shape4& shape);

// PyTorch's convention: symmetric pad p, output floor((n + 2p - eff) / s) + 1 (PyTorch rejects results < 1;
// this returns them as they are). A transposed conv (PyTorch's conv_transpose2d) from size o back to n needs
// output_padding = n - ((o - 1) * s - 2p + eff), which PyTorch accepts in [0, max(s, d) - 1].
int64_t TorchOutputSize(int64_t input, int64_t filter, int64_t stride, int64_t dilation, int64_t pad);
int64_t TorchOutputPadding(int64_t input, int64_t output, int64_t filter, int64_t stride, int64_t dilation,
                           int64_t pad);

// "conv2d", "conv2d_backprop_input", "conv2d_backprop_filter": how messages name the three ops.
const char* OpName(Direction direction);
const char* PaddingName(Padding padding);
const char* DataFormatName(DataFormat format);
const char* FilterFormatName(FilterFormat format);

}  // namespace colconv

#endif  // COLCONV_SRC_SHAPE_H_
