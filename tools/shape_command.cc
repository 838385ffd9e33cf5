// colconv shape: resolve one convolution's shapes and pads, or explain why its sizes do not fit together.
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "src/shape.h"
#include "tools/cli_args.h"
#include "tools/commands.h"
#include "tools/describe.h"

namespace colconv {
namespace cli {
namespace {

constexpr const char* kUsage =
    "usage: colconv shape --op forward|backprop_input|backprop_filter --input N,H,W,C --filter H,W,I,O\n"
    "                     [--out-backprop N,H,W,C] [--data-format NHWC|NCHW] [--filter-format HWIO|OIHW]\n"
    "                     [--strides h,w] [--dilations h,w] [--padding VALID|SAME|top,bottom,left,right]\n"
    "                     [--groups g] [--torch] [--algorithm NAME]\n"
    "  Shapes follow --data-format and --filter-format. For backprop_input, --input is input_sizes and may\n"
    "  be TensorFlow's 2 values H,W. Without --out-backprop a backprop uses the forward output.\n";

int UsageError(const std::string& message) {
  std::cerr << "colconv shape: " << message << "\n" << kUsage;
  return 2;
}

bool ParsePair(const Args& args, const std::string& name, std::array<int64_t, 2>* out, std::string* error) {
  if (!args.Has(name)) return true;
  std::vector<int64_t> v;
  if (!args.Ints(name, &v, error)) return false;
  if (v.size() == 1) v.push_back(v[0]);
  if (v.size() != 2) {
    *error = "--" + name + " takes h,w or one value for both";
    return false;
  }
  *out = {v[0], v[1]};
  return true;
}

bool ParseDesc(const Args& args, Conv2dDesc* desc, std::string* error) {
  const std::string data = args.Get("data-format", "NHWC"), filter = args.Get("filter-format", "HWIO");
  if (data != "NHWC" && data != "NCHW") {
    *error = "--data-format '" + data + "' must be NHWC or NCHW";
    return false;
  }
  if (filter != "HWIO" && filter != "OIHW") {
    *error = "--filter-format '" + filter + "' must be HWIO or OIHW";
    return false;
  }
  desc->data_format = data == "NHWC" ? DataFormat::kNHWC : DataFormat::kNCHW;
  desc->filter_format = filter == "HWIO" ? FilterFormat::kHWIO : FilterFormat::kOIHW;
  if (!ParsePair(args, "strides", &desc->strides, error)) return false;
  if (!ParsePair(args, "dilations", &desc->dilations, error)) return false;
  const std::string padding = args.Get("padding", "VALID");
  std::vector<int64_t> pads;
  if (padding == "VALID") {
    desc->padding = Padding::kValid;
  } else if (padding == "SAME") {
    desc->padding = Padding::kSame;
  } else if (ParseInts(padding, &pads) && pads.size() == 4) {
    desc->padding = Padding::kExplicit;
    desc->explicit_paddings = {pads[0], pads[1], pads[2], pads[3]};
  } else {
    *error = "--padding '" + padding + "' must be VALID, SAME or top,bottom,left,right";
    return false;
  }
  if (args.Has("groups")) {
    std::vector<int64_t> g;
    if (!args.Ints("groups", &g, error)) return false;
    if (g.size() != 1) {
      *error = "--groups takes one value";
      return false;
    }
    desc->groups = g[0];
  }
  return true;
}

bool ParseShape4(const Args& args, const std::string& name, Shape4* shape, std::string* error) {
  std::vector<int64_t> v;
  if (!args.Ints(name, &v, error)) return false;
  if (v.size() != 4) {
    *error = "--" + name + " needs 4 values";
    return false;
  }
  *shape = {v[0], v[1], v[2], v[3]};
  return true;
}

}  // namespace

int ShapeCommand(int argc, char** argv) {
  Args args;
  std::string error;
  if (!args.Parse(argc, argv, {"torch", "help"}, &error)) return UsageError(error);
  if (args.Has("help")) {
    std::cout << kUsage;
    return 0;
  }
  const auto unknown = args.Unknown({"op", "data-format", "filter-format", "input", "filter", "out-backprop",
                                     "strides", "dilations", "padding", "groups", "torch", "algorithm", "help"});
  if (!unknown.empty()) return UsageError("unknown option --" + unknown[0]);
  if (!args.Has("input") || !args.Has("filter")) return UsageError("--input and --filter are required");
  if (args.Has("algorithm")) {
    const Status s = SetForcedAlgorithm(args.Get("algorithm"));
    if (!s.ok()) return UsageError(s.message());
  }
  const std::string op = args.Get("op", "forward");
  Direction direction;
  if (op == "forward") {
    direction = Direction::kForward;
  } else if (op == "backprop_input") {
    direction = Direction::kBackpropInput;
  } else if (op == "backprop_filter") {
    direction = Direction::kBackpropFilter;
  } else {
    return UsageError("--op '" + op + "' must be forward, backprop_input or backprop_filter");
  }
  Conv2dDesc desc;
  std::vector<int64_t> input;
  Shape4 filter{}, out_backprop{};
  if (!ParseDesc(args, &desc, &error) || !args.Ints("input", &input, &error) ||
      !ParseShape4(args, "filter", &filter, &error)) {
    return UsageError(error);
  }
  const bool two_value_sizes = direction == Direction::kBackpropInput && input.size() == 2;
  if (input.size() != 4 && !two_value_sizes) {
    return UsageError(direction == Direction::kBackpropInput ? "--input (input_sizes) needs 4 values or 2 (H,W)"
                                                              : "--input needs 4 values");
  }
  const bool given_out_backprop = args.Has("out-backprop");
  if (given_out_backprop && !ParseShape4(args, "out-backprop", &out_backprop, &error)) return UsageError(error);
  if (given_out_backprop && direction == Direction::kForward) {
    return UsageError("--out-backprop goes with the backprop ops");
  }
  if (!given_out_backprop && two_value_sizes) {
    return UsageError("TensorFlow's 2-value input_sizes needs --out-backprop for the batch");
  }

  Conv2dGeometry g;
  Status s;
  if (direction == Direction::kForward || !given_out_backprop) {
    s = ResolveForward(desc, {input[0], input[1], input[2], input[3]}, filter, &g);
    if (s.ok()) out_backprop = g.dst_shape();
  }
  if (s.ok() && direction == Direction::kBackpropInput) {
    s = ResolveBackpropInput(desc, input.data(), input.size(), filter, out_backprop, &g);
  } else if (s.ok() && direction == Direction::kBackpropFilter) {
    s = ResolveBackpropFilter(desc, {input[0], input[1], input[2], input[3]}, filter, out_backprop, &g);
  }
  if (!s.ok()) {
    std::cout << s.message() << "\n";
    return 1;
  }
  std::cout << op << "\n";
  DescribeGeometry(std::cout, direction, desc, g);
  DescribeAlgorithm(std::cout, direction, desc, g);
  if (args.Has("torch")) std::cout << "  PyTorch: " << TorchEquivalent(direction, g) << "\n";
  return 0;
}

}  // namespace cli
}  // namespace colconv
