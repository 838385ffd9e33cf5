// Human-readable accounts of a resolved convolution, shared by `colconv shape` and `colconv demo`.
#ifndef COLCONV_TOOLS_DESCRIBE_H_
#define COLCONV_TOOLS_DESCRIBE_H_

#include <ostream>
#include <string>

#include "colconv/conv2d.h"

namespace colconv {
namespace cli {

std::string FormatShape(const Shape4& shape);

// Shapes, and per spatial dimension the formula, pads and effective filter size; for backprop-input also the
// input sizes that give the same out_backprop.
void DescribeGeometry(std::ostream& os, Direction direction, const Conv2dDesc& desc, const Conv2dGeometry& g);

// The algorithm a plan of this problem runs, and why the ones the planner asked before it declined.
void DescribeAlgorithm(std::ostream& os, Direction direction, const Conv2dDesc& desc, const Conv2dGeometry& g);

// The equivalent PyTorch call, or why there is none.
std::string TorchEquivalent(Direction direction, const Conv2dGeometry& g);

}  // namespace cli
}  // namespace colconv

#endif  // COLCONV_TOOLS_DESCRIBE_H_
