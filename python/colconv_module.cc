// _colconv: colconv's three ops for Python, on float32 numpy arrays (colconv.torch hands torch tensors over as
// zero-copy numpy views). Runs go through the C API, so they reuse its cached plans and per-thread workspace;
// every colconv error becomes a ValueError carrying colconv's message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "colconv/colconv.h"
#include "colconv/conv2d.h"

namespace py = pybind11;

namespace {

// C-contiguous float32; anything else is converted into a temporary copy.
using Array = py::array_t<float, py::array::c_style | py::array::forcecast>;
using Pair = std::array<int64_t, 2>;

void Check(colconv_status status) {
  if (status != COLCONV_OK) throw py::value_error(colconv_last_error());
}

// The attributes from Python's keywords: padding is "VALID", "SAME" or (top, bottom, left, right).
colconv_conv2d_attrs Attrs(const std::string& data_format, const std::string& filter_format, Pair strides,
                           Pair dilations, const py::object& padding, int64_t groups) {
  colconv_conv2d_attrs a;
  colconv_conv2d_attrs_init(&a);
  if (data_format != "NHWC" && data_format != "NCHW") {
    throw py::value_error("data_format '" + data_format + "' must be 'NHWC' or 'NCHW'");
  }
  if (filter_format != "HWIO" && filter_format != "OIHW") {
    throw py::value_error("filter_format '" + filter_format + "' must be 'HWIO' or 'OIHW'");
  }
  a.data_format = data_format == "NHWC" ? COLCONV_NHWC : COLCONV_NCHW;
  a.filter_format = filter_format == "HWIO" ? COLCONV_HWIO : COLCONV_OIHW;
  a.strides[0] = strides[0], a.strides[1] = strides[1];
  a.dilations[0] = dilations[0], a.dilations[1] = dilations[1];
  a.groups = groups;
  if (py::isinstance<py::str>(padding)) {
    const std::string p = padding.cast<std::string>();
    if (p != "VALID" && p != "SAME") throw py::value_error("padding '" + p + "' must be 'VALID', 'SAME' or 4 sizes");
    a.padding = p == "VALID" ? COLCONV_VALID : COLCONV_SAME;
  } else {
    const std::vector<int64_t> pads = padding.cast<std::vector<int64_t>>();
    if (pads.size() != 4) throw py::value_error("explicit padding takes 4 sizes: top, bottom, left, right");
    a.padding = COLCONV_EXPLICIT;
    for (int i = 0; i < 4; ++i) a.explicit_paddings[i] = pads[static_cast<size_t>(i)];
  }
  return a;
}

std::array<int64_t, 4> ShapeOf(const Array& a, const char* name) {
  if (a.ndim() != 4) {
    throw py::value_error(std::string(name) + " must have 4 dimensions, not " + std::to_string(a.ndim()));
  }
  return {a.shape(0), a.shape(1), a.shape(2), a.shape(3)};
}

std::array<int64_t, 4> Sizes(const std::vector<int64_t>& sizes, const char* name) {
  if (sizes.size() != 4) throw py::value_error(std::string(name) + " must have 4 sizes");
  return {sizes[0], sizes[1], sizes[2], sizes[3]};
}

py::array_t<float> NewArray(const std::array<int64_t, 4>& shape) {
  return py::array_t<float>(std::vector<py::ssize_t>(shape.begin(), shape.end()));
}

py::array_t<float> Conv2d(const Array& input, const Array& filter, Pair strides, const py::object& padding,
                          Pair dilations, int64_t groups, const std::string& data_format,
                          const std::string& filter_format) {
  const colconv_conv2d_attrs attrs = Attrs(data_format, filter_format, strides, dilations, padding, groups);
  const auto in = ShapeOf(input, "input"), f = ShapeOf(filter, "filter");
  std::array<int64_t, 4> out{};
  Check(colconv_conv2d_output_shape(&attrs, in.data(), f.data(), out.data()));
  py::array_t<float> result = NewArray(out);
  float* result_data = result.mutable_data();
  colconv_status status;
  {
    py::gil_scoped_release release;
    status = colconv_conv2d(&attrs, in.data(), input.data(), f.data(), filter.data(), result_data);
  }
  Check(status);
  return result;
}

// input_sizes: 4 sizes in data_format order, or TensorFlow's 2 ([H, W]), which colconv's C++ API resolves.
py::array_t<float> BackpropInput(const std::vector<int64_t>& input_sizes, const Array& filter,
                                 const Array& out_backprop, Pair strides, const py::object& padding, Pair dilations,
                                 int64_t groups, const std::string& data_format, const std::string& filter_format) {
  const colconv_conv2d_attrs attrs = Attrs(data_format, filter_format, strides, dilations, padding, groups);
  const auto f = ShapeOf(filter, "filter"), dy = ShapeOf(out_backprop, "out_backprop");
  std::array<int64_t, 4> sizes{};
  if (input_sizes.size() == 2) {
    colconv::Conv2dDesc desc;
    desc.data_format = static_cast<colconv::DataFormat>(attrs.data_format);
    desc.filter_format = static_cast<colconv::FilterFormat>(attrs.filter_format);
    desc.strides = strides;
    desc.dilations = dilations;
    desc.padding = static_cast<colconv::Padding>(attrs.padding);
    desc.explicit_paddings = {attrs.explicit_paddings[0], attrs.explicit_paddings[1], attrs.explicit_paddings[2],
                              attrs.explicit_paddings[3]};
    desc.groups = groups;
    colconv::Conv2dPlan plan;
    const colconv::Status s = colconv::Conv2dPlan::CreateBackpropInput(desc, input_sizes, f, dy, &plan);
    if (!s.ok()) throw py::value_error(s.message());
    sizes = plan.geometry().src_shape();
  } else {
    sizes = Sizes(input_sizes, "input_sizes");
  }
  py::array_t<float> result = NewArray(sizes);
  float* result_data = result.mutable_data();
  colconv_status status;
  {
    py::gil_scoped_release release;
    status = colconv_conv2d_backprop_input(&attrs, sizes.data(), f.data(), filter.data(), dy.data(),
                                           out_backprop.data(), result_data);
  }
  Check(status);
  return result;
}

py::array_t<float> BackpropFilter(const Array& input, const std::vector<int64_t>& filter_sizes,
                                  const Array& out_backprop, Pair strides, const py::object& padding, Pair dilations,
                                  int64_t groups, const std::string& data_format, const std::string& filter_format) {
  const colconv_conv2d_attrs attrs = Attrs(data_format, filter_format, strides, dilations, padding, groups);
  const auto in = ShapeOf(input, "input"), dy = ShapeOf(out_backprop, "out_backprop");
  const auto sizes = Sizes(filter_sizes, "filter_sizes");
  py::array_t<float> result = NewArray(sizes);
  float* result_data = result.mutable_data();
  colconv_status status;
  {
    py::gil_scoped_release release;
    status = colconv_conv2d_backprop_filter(&attrs, in.data(), input.data(), sizes.data(), dy.data(),
                                            out_backprop.data(), result_data);
  }
  Check(status);
  return result;
}

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
  m.def("set_num_threads", [](int n) { Check(colconv_set_num_threads(n)); }, py::arg("num_threads"));
  m.def("get_num_threads", &colconv_get_num_threads);
  m.attr("__version__") = colconv_version();
}
