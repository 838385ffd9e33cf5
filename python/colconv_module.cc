// _colconv: colconv's three ops for Python, on float32 numpy arrays (colconv.torch hands torch tensors over as
// zero-copy numpy views). Runs go through the C++ API's one-shot ops, so they reuse its cached plans and
// per-thread workspace; every colconv error becomes a ValueError carrying colconv's message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "colconv/conv2d.h"
#include "colconv/operator.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;

namespace {

// C-contiguous float32; anything else is converted into a temporary copy.
using Array = py::array_t<float, py::array::c_style | py::array::forcecast>;
using Pair = std::array<int64_t, 2>;

void Check(const colconv::Status& status) {
  if (!status.ok()) throw py::value_error(status.message());
}

#ifdef _OPENMP
// colconv's workers as one OpenMP parallel region: on the calling thread's OpenMP pool, which is PyTorch's own
// (Debian's PyTorch runs GNU OpenMP, the libgomp this module links), instead of TBB's threads beside it.
void OpenMpRun(void*, int count, colconv::ParallelWorkFn work, void* work_context) {
#pragma omp parallel for num_threads(count) schedule(static, 1)
  for (int i = 0; i < count; ++i) work(work_context, i);
}
#endif

// "tbb" (colconv's default) or "openmp" with num_threads threads (0: the calling thread's OpenMP setting, which
// torch.set_num_threads sets).
void SetParallelRunner(const std::string& pool, int num_threads) {
  if (pool == "tbb") return Check(colconv::SetParallelRunner(nullptr, nullptr, 0));
  if (pool != "openmp") throw py::value_error("set_parallel_runner: pool '" + pool + "' must be 'tbb' or 'openmp'");
#ifdef _OPENMP
  Check(colconv::SetParallelRunner(&OpenMpRun, nullptr, num_threads != 0 ? num_threads : omp_get_max_threads()));
#else
  throw py::value_error("set_parallel_runner: this colconv module was built without OpenMP");
#endif
}

// The descriptor from Python's keywords: padding is "VALID", "SAME" or (top, bottom, left, right).
colconv::Conv2dDesc Desc(const std::string& data_format, const std::string& filter_format, Pair strides,
                         Pair dilations, const py::object& padding, int64_t groups) {
  colconv::Conv2dDesc d;
  if (data_format != "NHWC" && data_format != "NCHW") {
    throw py::value_error("data_format '" + data_format + "' must be 'NHWC' or 'NCHW'");
  }
  if (filter_format != "HWIO" && filter_format != "OIHW") {
    throw py::value_error("filter_format '" + filter_format + "' must be 'HWIO' or 'OIHW'");
  }
  d.data_format = data_format == "NHWC" ? colconv::DataFormat::kNHWC : colconv::DataFormat::kNCHW;
  d.filter_format = filter_format == "HWIO" ? colconv::FilterFormat::kHWIO : colconv::FilterFormat::kOIHW;
  d.strides = strides;
  d.dilations = dilations;
  d.groups = groups;
  if (py::isinstance<py::str>(padding)) {
    const std::string p = padding.cast<std::string>();
    if (p != "VALID" && p != "SAME") throw py::value_error("padding '" + p + "' must be 'VALID', 'SAME' or 4 sizes");
    d.padding = p == "VALID" ? colconv::Padding::kValid : colconv::Padding::kSame;
  } else {
    const std::vector<int64_t> pads = padding.cast<std::vector<int64_t>>();
    if (pads.size() != 4) throw py::value_error("explicit padding takes 4 sizes: top, bottom, left, right");
    d.padding = colconv::Padding::kExplicit;
    for (size_t i = 0; i < 4; ++i) d.explicit_paddings[i] = pads[i];
  }
  return d;
}

colconv::Shape4 ShapeOf(const Array& a, const char* name) {
  if (a.ndim() != 4) {
    throw py::value_error(std::string(name) + " must have 4 dimensions, not " + std::to_string(a.ndim()));
  }
  return {a.shape(0), a.shape(1), a.shape(2), a.shape(3)};
}

colconv::Shape4 Sizes(const std::vector<int64_t>& sizes, const char* name) {
  if (sizes.size() != 4) throw py::value_error(std::string(name) + " must have 4 sizes");
  return {sizes[0], sizes[1], sizes[2], sizes[3]};
}

py::array_t<float> NewArray(const colconv::Shape4& shape) {
  return py::array_t<float>(std::vector<py::ssize_t>(shape.begin(), shape.end()));
}

// Runs op without the GIL into a new array of `shape`.
template <typename Op>
py::array_t<float> Into(const colconv::Shape4& shape, Op&& op) {
  py::array_t<float> result = NewArray(shape);
  float* data = result.mutable_data();
  colconv::Status status;
  {
    py::gil_scoped_release release;
    status = op(data);
  }
  Check(status);
  return result;
}

py::array_t<float> Conv2d(const Array& input, const Array& filter, Pair strides, const py::object& padding,
                          Pair dilations, int64_t groups, const std::string& data_format,
                          const std::string& filter_format) {
  const colconv::Conv2dDesc desc = Desc(data_format, filter_format, strides, dilations, padding, groups);
  const colconv::Shape4 in = ShapeOf(input, "input"), f = ShapeOf(filter, "filter");
  colconv::Shape4 out{};
  Check(colconv::InferConv2dOutputShape(desc, in, f, &out));
  return Into(out, [&](float* y) { return colconv::Conv2dForward(desc, in, input.data(), f, filter.data(), y); });
}

// input_sizes: 4 sizes in data_format order, or TensorFlow's 2 ([H, W]).
py::array_t<float> BackpropInput(const std::vector<int64_t>& input_sizes, const Array& filter,
                                 const Array& out_backprop, Pair strides, const py::object& padding, Pair dilations,
                                 int64_t groups, const std::string& data_format, const std::string& filter_format) {
  const colconv::Conv2dDesc desc = Desc(data_format, filter_format, strides, dilations, padding, groups);
  const colconv::Shape4 f = ShapeOf(filter, "filter"), dy = ShapeOf(out_backprop, "out_backprop");
  colconv::Shape4 sizes{};
  Check(colconv::InferConv2dBackpropInputShape(desc, input_sizes, f, dy, &sizes));
  return Into(sizes, [&](float* dx) {
    return colconv::Conv2dBackpropInput(desc, input_sizes, f, filter.data(), dy, out_backprop.data(), dx);
  });
}

py::array_t<float> BackpropFilter(const Array& input, const std::vector<int64_t>& filter_sizes,
                                  const Array& out_backprop, Pair strides, const py::object& padding, Pair dilations,
                                  int64_t groups, const std::string& data_format, const std::string& filter_format) {
  const colconv::Conv2dDesc desc = Desc(data_format, filter_format, strides, dilations, padding, groups);
  const colconv::Shape4 in = ShapeOf(input, "input"), dy = ShapeOf(out_backprop, "out_backprop");
  const colconv::Shape4 sizes = Sizes(filter_sizes, "filter_sizes");
  return Into(sizes, [&](float* dw) {
    return colconv::Conv2dBackpropFilter(desc, in, input.data(), sizes, dy, out_backprop.data(), dw);
  });
}

// The algorithm the planner picks for `op` on these shapes (out_backprop: the forward output's shape).
std::vector<int64_t> OutputShape(const std::vector<int64_t>& input_shape, const std::vector<int64_t>& filter_shape,
                                 Pair strides, const py::object& padding, Pair dilations, int64_t groups,
                                 const std::string& data_format, const std::string& filter_format) {
  const colconv::Conv2dDesc desc = Desc(data_format, filter_format, strides, dilations, padding, groups);
  colconv::Shape4 out{};
  Check(colconv::InferConv2dOutputShape(desc, Sizes(input_shape, "input_shape"), Sizes(filter_shape, "filter_shape"),
                                        &out));
  return {out.begin(), out.end()};
}

std::string Algorithm(const std::string& op, const std::vector<int64_t>& input_shape,
                      const std::vector<int64_t>& filter_shape, Pair strides, const py::object& padding,
                      Pair dilations, int64_t groups, const std::string& data_format,
                      const std::string& filter_format, const std::string& gemm) {
  const colconv::Conv2dDesc desc = Desc(data_format, filter_format, strides, dilations, padding, groups);
  const colconv::Shape4 in = Sizes(input_shape, "input_shape"), f = Sizes(filter_shape, "filter_shape");
  colconv::Shape4 out{};
  Check(colconv::InferConv2dOutputShape(desc, in, f, &out));
  colconv::PlanOptions options;
  options.gemm = gemm;
  colconv::Conv2dPlan plan;
  if (op == "forward") {
    Check(colconv::Conv2dPlan::CreateForward(desc, in, f, &plan, options));
  } else if (op == "backprop_input") {
    Check(colconv::Conv2dPlan::CreateBackpropInput(desc, input_shape, f, out, &plan, options));
  } else if (op == "backprop_filter") {
    Check(colconv::Conv2dPlan::CreateBackpropFilter(desc, in, f, out, &plan, options));
  } else {
    throw py::value_error("op is '" + op + "'; it must be 'forward', 'backprop_input' or 'backprop_filter'");
  }
  return plan.algorithm();
}

colconv::PostOps PostOpsOf(const std::string& activation, float clamp_min, float clamp_max, bool accumulate) {
  colconv::PostOps ops;
  if (activation == "relu") {
    ops.activation = colconv::Activation::kRelu;
  } else if (activation == "relu6") {
    ops.activation = colconv::Activation::kRelu6;
  } else if (activation == "clamp") {
    ops.activation = colconv::Activation::kClamp;
  } else if (activation != "none") {
    throw py::value_error("activation '" + activation + "' must be 'none', 'relu', 'relu6' or 'clamp'");
  }
  ops.clamp_min = clamp_min, ops.clamp_max = clamp_max, ops.accumulate = accumulate;
  return ops;
}

// A writable C-contiguous float32 array of exactly `shape`: where a run writes its result.
float* ResultData(py::array_t<float>& out, const colconv::Shape4& shape, const char* name) {
  if (out.ndim() != 4 || !(out.flags() & py::array::c_style)) {
    throw py::value_error(std::string(name) + " must be a C-contiguous float32 array with 4 dimensions");
  }
  for (int i = 0; i < 4; ++i) {
    if (out.shape(i) != shape[static_cast<size_t>(i)]) {
      throw py::value_error(std::string(name) + " has the wrong shape: dimension " + std::to_string(i) + " is " +
                            std::to_string(out.shape(i)) + ", the result's is " + std::to_string(shape[static_cast<size_t>(i)]));
    }
  }
  return out.mutable_data();
}

// colconv::Conv2dOperator for Python: made for one direction and input shape, with the filter (and forward's
// bias) packed once; runs write into a result array the caller may pass (colconv.torch passes torch's storage).
class Operator {
 public:
  Operator(const std::string& op, const std::vector<int64_t>& input_shape, const std::vector<int64_t>& filter_shape,
           const std::vector<int64_t>& out_backprop_shape, const py::object& filter, const py::object& bias,
           Pair strides, const py::object& padding, Pair dilations, int64_t groups, const std::string& data_format,
           const std::string& filter_format, const std::string& activation, float clamp_min, float clamp_max,
           bool accumulate, const std::string& gemm) {
    const colconv::Conv2dDesc desc = Desc(data_format, filter_format, strides, dilations, padding, groups);
    colconv::PlanOptions options;
    options.post_ops = PostOpsOf(activation, clamp_min, clamp_max, accumulate);
    options.gemm = gemm;
    const colconv::Shape4 in = Sizes(input_shape, "input_shape"), f = Sizes(filter_shape, "filter_shape");
    Array weights, bias_values;
    const float* w = Weights(filter, f, &weights);
    const float* b = Bias(bias, &bias_values);
    colconv::Shape4 dy{};
    if (op != "forward") dy = Sizes(out_backprop_shape, "out_backprop_shape");
    if (op != "forward" && op != "backprop_input" && op != "backprop_filter") {
      throw py::value_error("op is '" + op + "'; it must be 'forward', 'backprop_input' or 'backprop_filter'");
    }
    colconv::Status s;
    {
      py::gil_scoped_release release;
      if (op == "forward") s = colconv::Conv2dOperator::CreateForward(desc, in, f, w, b, &op_, options);
      if (op == "backprop_input") s = colconv::Conv2dOperator::CreateBackpropInput(desc, input_shape, f, w, dy, &op_, options);
      if (op == "backprop_filter") s = colconv::Conv2dOperator::CreateBackpropFilter(desc, in, f, dy, &op_, options);
    }
    Check(s);
  }

  void Repack(const py::object& filter, const py::object& bias) {
    Array weights, bias_values;
    const float* w = Weights(filter, op_.geometry().weights_shape(), &weights);
    const float* b = Bias(bias, &bias_values);
    colconv::Status s;
    {
      py::gil_scoped_release release;
      s = op_.Repack(w, b);
    }
    Check(s);
  }

  // The shape of a run's result: forward's output, backprop-input's input, backprop-filter's filter.
  colconv::Shape4 result_shape() const {
    const colconv::Conv2dGeometry& g = op_.geometry();
    switch (op_.direction()) {
      case colconv::Direction::kForward:
        return g.dst_shape();
      case colconv::Direction::kBackpropInput:
        return g.src_shape();
      case colconv::Direction::kBackpropFilter:
        break;
    }
    return g.weights_shape();
  }

  // forward(input), backprop_input(out_backprop), backprop_filter(input, out_backprop); out: None or the result.
  py::array_t<float> Run(const py::object& a, const py::object& b, py::object out) {
    const colconv::Shape4 shape = result_shape();
    py::array_t<float> result = out.is_none() ? NewArray(shape) : out.cast<py::array_t<float>>();
    float* data = ResultData(result, shape, "out");
    const Array first = a.is_none() ? Array() : Array::ensure(a), second = b.is_none() ? Array() : Array::ensure(b);
    if ((!a.is_none() && !first) || (!b.is_none() && !second)) throw py::value_error("inputs must be float32 arrays");
    Execute(a.is_none() ? nullptr : first.data(), b.is_none() ? nullptr : second.data(), data);
    return result;
  }

  // run() on raw addresses, for colconv.torch, which has checked the tensors' dtype, shapes and memory formats
  // against the operator (result_shape) and keeps them alive across the call: it saves the numpy views' cost,
  // about 5 us per call. Not for other callers: nothing here can check an address.
  void RunAddresses(uintptr_t a, uintptr_t b, uintptr_t out) {
    Execute(reinterpret_cast<const float*>(a), reinterpret_cast<const float*>(b), reinterpret_cast<float*>(out));
  }

  std::string algorithm() const { return op_.algorithm(); }
  size_t workspace_bytes() const { return op_.workspace_bytes(); }
  py::dict counters() const {
    const colconv::Conv2dOperator::Counters c = op_.counters();
    py::dict d;
    d["packs"] = c.packs;
    d["temporary_workspaces"] = c.temporary_workspaces;
    return d;
  }

 private:
  // The run of the operator's direction (x: forward's input or backprop-input's out_backprop; y: backprop-filter's
  // out_backprop), without the GIL.
  void Execute(const float* x, const float* y, float* out) {
    const colconv::Direction d = op_.direction();
    colconv::Status s;
    {
      py::gil_scoped_release release;
      if (d == colconv::Direction::kForward) s = op_.Forward(x, out);
      if (d == colconv::Direction::kBackpropInput) s = op_.BackpropInput(x, out);
      if (d == colconv::Direction::kBackpropFilter) s = op_.BackpropFilter(x, y, out);
    }
    Check(s);
  }

  static const float* Weights(const py::object& filter, const colconv::Shape4& shape, Array* keep) {
    if (filter.is_none()) return nullptr;
    *keep = Array::ensure(filter);
    if (!*keep) throw py::value_error("filter must be a float32 array");
    if (ShapeOf(*keep, "filter") != shape) throw py::value_error("filter does not have the operator's filter shape");
    return keep->data();
  }
  const float* Bias(const py::object& bias, Array* keep) const {
    if (bias.is_none()) return nullptr;
    *keep = Array::ensure(bias);
    if (!*keep || keep->ndim() != 1) throw py::value_error("bias must be a 1-D float32 array");
    return keep->data();
  }

  colconv::Conv2dOperator op_;
};

}  // namespace

PYBIND11_MODULE(_colconv, m) {
  m.doc() = "colconv's 2-D convolution ops on float32 numpy arrays";
  m.def("conv2d", &Conv2d, py::arg("input"), py::arg("filter"), py::arg("strides") = Pair{1, 1},
        py::arg("padding") = py::str("VALID"), py::arg("dilations") = Pair{1, 1}, py::arg("groups") = 1,
        py::arg("data_format") = "NHWC", py::arg("filter_format") = "HWIO");
  m.def("conv2d_backprop_input", &BackpropInput, py::arg("input_sizes"), py::arg("filter"), py::arg("out_backprop"),
        py::arg("strides") = Pair{1, 1}, py::arg("padding") = py::str("VALID"), py::arg("dilations") = Pair{1, 1},
        py::arg("groups") = 1, py::arg("data_format") = "NHWC", py::arg("filter_format") = "HWIO");
  m.def("conv2d_backprop_filter", &BackpropFilter, py::arg("input"), py::arg("filter_sizes"), py::arg("out_backprop"),
        py::arg("strides") = Pair{1, 1}, py::arg("padding") = py::str("VALID"), py::arg("dilations") = Pair{1, 1},
        py::arg("groups") = 1, py::arg("data_format") = "NHWC", py::arg("filter_format") = "HWIO");
  m.def("output_shape", &OutputShape, py::arg("input_shape"), py::arg("filter_shape"), py::arg("strides") = Pair{1, 1},
        py::arg("padding") = py::str("VALID"), py::arg("dilations") = Pair{1, 1}, py::arg("groups") = 1,
        py::arg("data_format") = "NHWC", py::arg("filter_format") = "HWIO");
  m.def("algorithm", &Algorithm, py::arg("op"), py::arg("input_shape"), py::arg("filter_shape"),
        py::arg("strides") = Pair{1, 1}, py::arg("padding") = py::str("VALID"), py::arg("dilations") = Pair{1, 1},
        py::arg("groups") = 1, py::arg("data_format") = "NHWC", py::arg("filter_format") = "HWIO",
        py::arg("gemm") = "");
  py::class_<Operator>(m, "Operator", "colconv::Conv2dOperator: one problem planned once, its filter packed once")
      .def(py::init<const std::string&, const std::vector<int64_t>&, const std::vector<int64_t>&,
                    const std::vector<int64_t>&, const py::object&, const py::object&, Pair, const py::object&, Pair,
                    int64_t, const std::string&, const std::string&, const std::string&, float, float, bool,
                    const std::string&>(),
           py::arg("op"), py::arg("input_shape"), py::arg("filter_shape"), py::arg("out_backprop_shape") = std::vector<int64_t>{},
           py::arg("filter") = py::none(), py::arg("bias") = py::none(), py::arg("strides") = Pair{1, 1},
           py::arg("padding") = py::str("VALID"), py::arg("dilations") = Pair{1, 1}, py::arg("groups") = 1,
           py::arg("data_format") = "NHWC", py::arg("filter_format") = "HWIO", py::arg("activation") = "none",
           py::arg("clamp_min") = 0.0f, py::arg("clamp_max") = 0.0f, py::arg("accumulate") = false,
           py::arg("gemm") = "")
      .def("repack", &Operator::Repack, py::arg("filter"), py::arg("bias") = py::none())
      .def("run", &Operator::Run, py::arg("a"), py::arg("b") = py::none(), py::arg("out") = py::none())
      .def("_run_addresses", &Operator::RunAddresses, py::arg("a"), py::arg("b"), py::arg("out"))
      .def_property_readonly("result_shape", &Operator::result_shape)
      .def_property_readonly("algorithm", &Operator::algorithm)
      .def_property_readonly("workspace_bytes", &Operator::workspace_bytes)
      .def_property_readonly("counters", &Operator::counters);
  m.def("set_num_threads", [](int n) { Check(colconv::SetNumThreads(n)); }, py::arg("num_threads"));
  m.def("get_num_threads", &colconv::GetNumThreads);
  m.def("set_parallel_runner", &SetParallelRunner,
        "Where colconv's ops run their tasks: 'tbb' (the default: TBB's threads) or 'openmp' (the calling thread's "
        "OpenMP threads, which in PyTorch are its own), with num_threads threads (0: the OpenMP setting "
        "torch.set_num_threads made), as colconv::SetParallelRunner.",
        py::arg("pool"), py::arg("num_threads") = 0);
  m.def("set_gemm_backend", [](const std::string& name) { Check(colconv::SetGemmBackend(name)); }, py::arg("name"));
  m.def("get_gemm_backend", [] {
    std::string name;
    Check(colconv::GetGemmBackend(&name));
    return name;
  });
  m.def("gemm_backends", &colconv::GemmBackends);
  m.attr("__version__") = colconv::Version();
}
