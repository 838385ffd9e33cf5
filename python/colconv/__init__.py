"""colconv: 2-D convolution forward, backprop-input and backprop-filter on the CPU, from Python.

The ops take float32 numpy arrays or torch tensors (CPU) and return the same kind. Attributes follow
TensorFlow: data_format 'NHWC' (default) or 'NCHW', filter_format 'HWIO' (default) or 'OIHW', strides and
dilations as (h, w), padding 'VALID', 'SAME' (TensorFlow's: the odd pixel goes bottom/right, any stride) or
(top, bottom, left, right). Errors are ValueError with colconv's message. colconv.torch has a Conv2d module.
"""
import numpy as np

import _colconv as _lib

__version__ = _lib.__version__
set_num_threads = _lib.set_num_threads
get_num_threads = _lib.get_num_threads
set_parallel_runner = _lib.set_parallel_runner
get_gemm_backend = _lib.get_gemm_backend
gemm_backends = _lib.gemm_backends
_gemm_chosen = False  # whether set_gemm_backend named one (colconv.torch's choice defers to it)


def set_gemm_backend(name):
    """The GEMM backend of operators and calls planned from now on ('openblas', 'onednn' where built; '' returns
    to COLCONV_GEMM or the default), as colconv::SetGemmBackend: an operator keeps the one it was made with."""
    global _gemm_chosen
    _lib.set_gemm_backend(name)
    _gemm_chosen = bool(name)


def _is_torch(x):
    return type(x).__module__.startswith("torch")


def _array(x, name):
    """A float32 C-contiguous numpy view of x (torch tensors are shared, not copied, when already so)."""
    if _is_torch(x):
        if x.dtype.is_floating_point and str(x.dtype) != "torch.float32":
            raise ValueError(f"colconv works on float32; {name} is {x.dtype}")
        return x.detach().contiguous().cpu().numpy()
    a = np.asarray(x)
    if a.dtype != np.float32:
        raise ValueError(f"colconv works on float32; {name} is {a.dtype}")
    return np.ascontiguousarray(a)


def _result(values, *inputs):
    if any(_is_torch(x) for x in inputs):
        import torch
        return torch.from_numpy(values)
    return values


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _attrs(strides, padding, dilations, groups, data_format, filter_format):
    return dict(strides=_pair(strides), padding=padding if isinstance(padding, str) else tuple(padding),
                dilations=_pair(dilations), groups=groups, data_format=data_format, filter_format=filter_format)


def conv2d(input, filter, strides=1, padding="VALID", dilations=1, groups=1, data_format="NHWC",
           filter_format="HWIO"):
    """The forward convolution of input by filter."""
    out = _lib.conv2d(_array(input, "input"), _array(filter, "filter"),
                      **_attrs(strides, padding, dilations, groups, data_format, filter_format))
    return _result(out, input, filter)


def conv2d_backprop_input(input_sizes, filter, out_backprop, strides=1, padding="VALID", dilations=1, groups=1,
                          data_format="NHWC", filter_format="HWIO"):
    """The gradient with respect to the input; input_sizes has 4 sizes or TensorFlow's 2 ([H, W])."""
    out = _lib.conv2d_backprop_input([int(s) for s in input_sizes], _array(filter, "filter"),
                                     _array(out_backprop, "out_backprop"),
                                     **_attrs(strides, padding, dilations, groups, data_format, filter_format))
    return _result(out, filter, out_backprop)


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides=1, padding="VALID", dilations=1, groups=1,
                           data_format="NHWC", filter_format="HWIO"):
    """The gradient with respect to the filter, of shape filter_sizes."""
    out = _lib.conv2d_backprop_filter(_array(input, "input"), [int(s) for s in filter_sizes],
                                      _array(out_backprop, "out_backprop"),
                                      **_attrs(strides, padding, dilations, groups, data_format, filter_format))
    return _result(out, input, out_backprop)


def output_shape(input_shape, filter_shape, strides=1, padding="VALID", dilations=1, groups=1, data_format="NHWC",
                 filter_format="HWIO"):
    """The forward result's shape for these shapes, in data_format; ValueError with colconv's explanation where
    they do not make a convolution."""
    return _lib.output_shape([int(s) for s in input_shape], [int(s) for s in filter_shape],
                             **_attrs(strides, padding, dilations, groups, data_format, filter_format))


def algorithm(op, input_shape, filter_shape, strides=1, padding="VALID", dilations=1, groups=1, data_format="NHWC",
              filter_format="HWIO", gemm=""):
    """The algorithm colconv runs for op ('forward', 'backprop_input' or 'backprop_filter') on these shapes:
    'depthwise', 'direct_nhwc', 'im2col_gemm', ... (the C++ Conv2dPlan::algorithm()), planned on GEMM backend
    gemm ('': the process's, get_gemm_backend())."""
    return _lib.algorithm(op, [int(s) for s in input_shape], [int(s) for s in filter_shape],
                          **_attrs(strides, padding, dilations, groups, data_format, filter_format), gemm=gemm)
