#include "tools/describe.h"

#include <sstream>

#include "src/shape.h"
#include "src/str_cat.h"
#include "tools/plan_of.h"

namespace colconv {
namespace cli {
namespace {

constexpr const char* kDims[2] = {"height", "width"};
constexpr const char* kPads[2][2] = {{"top", "bottom"}, {"left", "right"}};

const SpatialDim& Dim(const Conv2dGeometry& g, int d) { return d == 0 ? g.height : g.width; }

std::string Pair(int64_t h, int64_t w) { return StrCat("(", h, ", ", w, ")"); }

}  // namespace

std::string FormatShape(const Shape4& s) { return StrCat("[", s[0], ", ", s[1], ", ", s[2], ", ", s[3], "]"); }

void DescribeGeometry(std::ostream& os, Direction direction, const Conv2dDesc& desc, const Conv2dGeometry& g) {
  const char* data = DataFormatName(g.data_format);
  const char* filter = FilterFormatName(g.filter_format);
  os << "  input   " << FormatShape(g.src_shape()) << " " << data << "\n"
     << "  filter  " << FormatShape(g.weights_shape()) << " " << filter << (g.groups > 1 ? StrCat(", groups ", g.groups) : "")
     << "\n"
     << "  output  " << FormatShape(g.dst_shape()) << " " << data << "\n";
  for (int d = 0; d < 2; ++d) {
    const SpatialDim& s = Dim(g, d);
    os << "  " << kDims[d] << ": input " << s.input << ", filter " << s.filter << ", dilation " << s.dilation
       << " (effective filter " << s.effective_filter << "), stride " << s.stride << ", "
       << PaddingName(desc.padding) << ": output " << OutputSizeFormula(desc.padding, s) << ", pads "
       << kPads[d][0] << " " << s.pad_before << ", " << kPads[d][1] << " " << s.pad_after << "\n";
  }
  if (direction != Direction::kBackpropInput) return;
  for (int d = 0; d < 2; ++d) {
    const SpatialDim& s = Dim(g, d);
    const SizeRange fits =
        AdmissibleInputSizes(desc.padding, s.output, s.filter, s.stride, s.dilation, s.pad_before, s.pad_after);
    os << "  input " << kDims[d] << "s that give out_backprop " << kDims[d] << " " << s.output << ": "
       << (fits.empty() ? "none" : ListRange(fits))
       << (desc.padding == Padding::kSame ? SamePadsNote(d, s.output, s, fits) : "") << "\n";
  }
}

void DescribeAlgorithm(std::ostream& os, Direction direction, const Conv2dDesc& desc, const Conv2dGeometry& g) {
  PlanOptions options;
  options.own_workspace = false;
  Conv2dPlan plan;
  const Status s = check::PlanOf(direction, desc, g, &plan, options);
  if (!s.ok()) {
    os << "  algorithm: none: " << s.message() << "\n";
    return;
  }
  const std::string why = plan.declined_algorithms();
  os << "  algorithm: " << plan.algorithm() << (why.rfind("forced", 0) == 0 ? " (" : " (the planner asked first: ")
     << why << ")\n"
     << "  plan: " << plan.description() << "\n";
}

std::string TorchEquivalent(Direction direction, const Conv2dGeometry& g) {
  std::ostringstream os;
  for (int d = 0; d < 2; ++d) {
    const SpatialDim& s = Dim(g, d);
    if (s.pad_before != s.pad_after) {
      os << "no PyTorch call matches: the " << kDims[d] << " pads are " << kPads[d][0] << " " << s.pad_before
         << ", " << kPads[d][1] << " " << s.pad_after
         << " (TensorFlow's SAME puts the extra row or column at the bottom/right), and PyTorch's conv2d pads "
            "both sides alike. Pad explicitly instead: F.conv2d(F.pad(x, ("
         << g.width.pad_before << ", " << g.width.pad_after << ", " << g.height.pad_before << ", "
         << g.height.pad_after << ")), w, stride=" << Pair(g.height.stride, g.width.stride)
         << ", padding=0, dilation=" << Pair(g.height.dilation, g.width.dilation) << ", groups=" << g.groups << ")";
      return os.str();
    }
  }
  if (g.height.output < 1 || g.width.output < 1) {
    return "no PyTorch call matches: the output is empty, which PyTorch's conv2d rejects";
  }
  const std::string x = g.data_format == DataFormat::kNHWC ? "x.permute(0, 3, 1, 2)" : "x";
  const std::string dy = g.data_format == DataFormat::kNHWC ? "dy.permute(0, 3, 1, 2)" : "dy";
  const std::string w = g.filter_format == FilterFormat::kHWIO ? "w.permute(3, 2, 0, 1)" : "w";
  const std::string common = StrCat("stride=", Pair(g.height.stride, g.width.stride), ", padding=",
                                    Pair(g.height.pad_before, g.width.pad_before));
  const std::string tail = StrCat("dilation=", Pair(g.height.dilation, g.width.dilation), ", groups=", g.groups, ")");
  switch (direction) {
    case Direction::kForward:
      os << "torch.nn.functional.conv2d(" << x << ", " << w << ", " << common << ", " << tail;
      break;
    case Direction::kBackpropInput: {
      int64_t op[2];
      for (int d = 0; d < 2; ++d) {
        const SpatialDim& s = Dim(g, d);
        op[d] = TorchOutputPadding(s.input, s.output, s.filter, s.stride, s.dilation, s.pad_before);
        const int64_t limit = s.stride > s.dilation ? s.stride : s.dilation;
        if (op[d] < 0 || op[d] >= limit) {
          return StrCat("no PyTorch call matches: conv_transpose2d would need output_padding ", op[d], " in ",
                        kDims[d], ", and PyTorch accepts only 0 to ", limit - 1, " (max(stride, dilation) - 1)");
        }
      }
      os << "torch.nn.functional.conv_transpose2d(" << dy << ", " << w << ", " << common
         << ", output_padding=" << Pair(op[0], op[1]) << ", " << tail;
      break;
    }
    case Direction::kBackpropFilter:
      os << "torch.nn.grad.conv2d_weight(" << x << ", " << FormatShape(
                Shape4{g.out_channels, g.in_channels_per_group(), g.height.filter, g.width.filter})
         << ", " << dy << ", " << common << ", " << tail;
      break;
  }
  return os.str();
}

}  // namespace cli
}  // namespace colconv
