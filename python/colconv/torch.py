"""colconv layers for PyTorch: Conv2d and ConvTranspose2d computed by colconv's forward, backprop-input and
backprop-filter, and convert(model), which swaps a model's nn.Conv2d and nn.ConvTranspose2d layers for colconv's in
place.

The modules keep colconv operators (colconv::Conv2dOperator): one per direction, input shape and memory format,
each holding the filter packed once into the layout its algorithm reads, the bias and activation fused into the
forward pass, and its own workspace. An operator packs again only when the weight or bias changes: PyTorch counts
in-place updates (optimizer steps included) in a tensor's _version, and a new Parameter has a new identity.

Conv2d takes nn.Conv2d's arguments (padding: int, pair, 'valid' or 'same'), plus activation: None, 'relu' or
'relu6'. padding='same' is TensorFlow's SAME, so unlike PyTorch's it works at any stride (the odd pixel goes
bottom/right). Inputs in torch.channels_last memory format run as NHWC without a copy and give channels_last
results; others run as NCHW, but for forward on small images (_NHWC_COPY_MAX_PIXELS), which runs on a
channels_last copy and gives a contiguous result.
"""
import math
import os

import torch

import _colconv as _lib
import colconv

_ONEDNN_BUILT = "onednn" in _lib.gemm_backends()


def gemm_backend():
    """The GEMM backend the modules plan their operators on: oneDNN's sgemm where this build has it, unless
    COLCONV_GEMM or colconv.set_gemm_backend chose one. PyTorch already runs oneDNN and GNU OpenMP, and with it
    torchvision's models ran 1.04x faster end to end than on OpenBLAS (README), which stays the library's default."""
    if os.environ.get("COLCONV_GEMM") or colconv._gemm_chosen or not _ONEDNN_BUILT:
        return colconv.get_gemm_backend()
    return "onednn"


def _make_operator(*args, **kwargs):
    """_lib.Operator on the modules' GEMM backend, asked when the operator is made, not on every call."""
    return _lib.Operator(*args, gemm=gemm_backend(), **kwargs)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(int(x) for x in v)


def _padding(padding):
    """colconv's padding for PyTorch's argument."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"padding '{padding}' must be 'valid', 'same', an int or a pair")
        return padding.upper()
    ph, pw = _pair(padding)
    return (ph, ph, pw, pw)


def _attrs(stride, padding, dilation, groups):
    return dict(strides=_pair(stride), padding=_padding(padding), dilations=_pair(dilation), groups=groups,
                filter_format="OIHW")


def _channels_last(x):
    """Whether x is a 4-D channels_last tensor (an NHWC array already: permuting it is a view, not a copy)."""
    return x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)


def _stored(x, nhwc):
    """x as colconv reads it: the tensor itself when its memory is NHWC (nhwc) or NCHW already, else a copy."""
    memory_format = torch.channels_last if nhwc else torch.contiguous_format
    return x if x.is_contiguous(memory_format=memory_format) else x.contiguous(memory_format=memory_format)


# NCHW forward inputs whose images and results have at most this many pixels run on channels_last copies: both
# GEMM backends multiply NHWC's pixels x K by K x channels (the filter packed once by the operator) faster than
# NCHW's channels x K by K x pixels when the pixels are few (ResNet-50's 7x7 layers through operators: 100-111
# GFLOP/s against 73-78), which pays for the two copies. (The library cannot make that choice itself: its one-shot
# calls would pack the filter on every call, and an operator must give the one-shot call's bits.)
_NHWC_COPY_MAX_PIXELS = 64


def _output_pixels(x, weight, attrs):
    """The forward result's pixels per image and channel for input x under attrs; 0 where colconv refuses them."""
    try:
        _, _, h, w = _lib.output_shape(list(x.shape), list(weight.shape), **dict(attrs, data_format="NCHW"))
    except ValueError:
        return 0
    return h * w


def _storage_shape(x, nhwc):
    n, c, h, w = x.shape
    return [n, h, w, c] if nhwc else [n, c, h, w]


def _numpy(t):
    return None if t is None else t.detach().contiguous().numpy()


def _hwio(weight):
    """An OIHW weight as an HWIO array, the filter layout some forward operators take (_forward_filter)."""
    return weight.detach().permute(2, 3, 1, 0).contiguous().numpy()


def _forward_takes_hwio(storage_shape, weight_shape, attrs):
    """Whether a forward operator should take the filter as HWIO: where that turns colconv's choice into its direct
    kernels. On small images they split an image's rows into two tasks only for HWIO filters (OIHW ones would be
    packed by every one-shot call; src/algorithms/direct_nhwc.cc); elsewhere OIHW stays, as HWIO changed nothing or
    ran the same GEMM path slower in NCHW (ResNet-50, one thread: 3x3 layers on 14x14 and 7x7 images 1.17x and
    1.30x in NCHW, 1.12x and 1.25x in channels_last, but NCHW's 1x1 and strided layers 0.87-0.93x)."""
    o, i, kh, kw = weight_shape
    try:
        hwio = _lib.algorithm("forward", list(storage_shape), [kh, kw, i, o], **dict(attrs, filter_format="HWIO"))
        oihw = _lib.algorithm("forward", list(storage_shape), list(weight_shape), **attrs)
    except ValueError:  # invalid arguments, or a forced algorithm that declines: the OIHW operator says why
        return False
    return hwio == "direct_nhwc" and oihw != hwio


def _forward_filter(storage_shape, weight, attrs):
    """(filter array function, filter shape, attrs) of a forward operator for weight, as _forward_takes_hwio says;
    the attrs name the modules' GEMM backend, on which the choice was asked."""
    attrs = dict(attrs, gemm=gemm_backend())
    if _forward_takes_hwio(storage_shape, weight.shape, attrs):
        o, i, kh, kw = weight.shape
        return _hwio, [kh, kw, i, o], dict(attrs, filter_format="HWIO")
    return _numpy, list(weight.shape), attrs


def _run(entry, a, b=None):
    """Runs an operator entry of Operators on a (and b), stored as _stored gives them, into a new logical-NCHW
    tensor in the operator's memory format. The operator was made for these shapes (its cache key holds them) and
    _check_inputs checked the tensors, so they go to colconv by address, without numpy views."""
    op, _, shape, memory_format, _ = entry
    y = torch.empty(shape, memory_format=memory_format)
    op._run_addresses(a.data_ptr(), 0 if b is None else b.data_ptr(), y.data_ptr())
    return y


def _check_inputs(*tensors):
    for t in tensors:
        if t is not None and (t.dtype != torch.float32 or t.device.type != "cpu"):
            raise ValueError(f"colconv works on float32 CPU tensors; got {t.dtype} on {t.device}")


class Operators:
    """A module's colconv operators by (op, input shape, layout), each packed again only when its weight or bias
    has changed since it was packed."""

    def __init__(self):
        self._entries = {}

    def get(self, op, key, weight, bias, make, nhwc):
        """The entry [operator, weights' version, result's logical shape, memory format, filter array function] for
        op and key; make() returns the operator, made with the current weight and bias packed, and the function that
        gives the weight's array as the operator takes it (for repacks). nhwc: the result is channels_last."""
        version = (id(weight), weight._version, None if bias is None else (id(bias), bias._version))
        entry = self._entries.get((op, key))
        if entry is None:
            made, filter_array = make()
            shape = tuple(made.result_shape)
            if nhwc:
                shape = (shape[0], shape[3], shape[1], shape[2])
            entry = self._entries[(op, key)] = [made, version, shape,
                                                torch.channels_last if nhwc else torch.contiguous_format, filter_array]
        elif entry[1] != version and op != "backprop_filter":
            entry[0].repack(entry[4](weight), _numpy(bias))
            entry[1] = version
        return entry

    def counters(self):
        """Packs and temporary workspaces summed over the operators, and their number: what tests check to prove
        that a second call on the same shape repeats nothing."""
        total = {"packs": 0, "temporary_workspaces": 0, "operators": len(self._entries)}
        for entry in self._entries.values():
            for name, value in entry[0].counters.items():
                total[name] += value
        return total


def _activation_grad(grad, y, activation):
    """The gradient before a fused activation, from its output y (PyTorch's relu backward also reads y > 0)."""
    if activation == "relu":
        return grad * (y > 0)
    if activation == "relu6":
        return grad * ((y > 0) & (y < 6))
    return grad


def _conv2d_forward(x, weight, bias, attrs, activation, operators):
    """The forward convolution through the module's operator: (result, whether it ran NHWC, the attributes)."""
    _check_inputs(x, weight, bias)
    if x.dim() != 4:
        raise ValueError(f"colconv convolutions take 4-D inputs (N, C, H, W); got shape {tuple(x.shape)}")
    nhwc = _channels_last(x)
    # Whether this NCHW input runs on a channels_last copy (_NHWC_COPY_MAX_PIXELS), its result copied back. A
    # problem without output pixels (or an invalid one) stays NCHW, so that errors name the shapes as given.
    copies = (not nhwc and x.shape[2] * x.shape[3] <= _NHWC_COPY_MAX_PIXELS and
              0 < _output_pixels(x, weight, attrs) <= _NHWC_COPY_MAX_PIXELS)
    runs_nhwc = nhwc or copies
    run_attrs = dict(attrs, data_format="NHWC" if runs_nhwc else "NCHW")

    def make():
        shape = _storage_shape(x, runs_nhwc)
        filter_array, filter_shape, forward_attrs = _forward_filter(shape, weight, run_attrs)
        return _lib.Operator("forward", shape, filter_shape, filter=filter_array(weight), bias=_numpy(bias),
                             activation=activation or "none", **forward_attrs), filter_array

    entry = operators.get("forward", (tuple(x.shape), runs_nhwc), weight, bias, make, runs_nhwc)
    y = _run(entry, _stored(x, runs_nhwc))
    return (y.contiguous() if copies else y), nhwc, dict(attrs, data_format="NHWC" if nhwc else "NCHW")


class _Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, attrs, activation, operators):
        y, nhwc, attrs = _conv2d_forward(x, weight, bias, attrs, activation, operators)
        ctx.save_for_backward(x, weight, y if activation else None)
        ctx.attrs, ctx.nhwc, ctx.activation, ctx.operators = attrs, nhwc, activation, operators
        ctx.has_bias = bias is not None
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight, y = ctx.saved_tensors
        grad = _activation_grad(grad, y, ctx.activation)
        nhwc, key = ctx.nhwc, (tuple(x.shape), ctx.nhwc)
        _check_inputs(grad)
        g = _stored(grad, nhwc)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            entry = ctx.operators.get("backprop_input", key, weight, None, lambda: (_make_operator(
                "backprop_input", _storage_shape(x, nhwc), list(weight.shape), _storage_shape(g, nhwc),
                filter=_numpy(weight), **ctx.attrs), _numpy), nhwc)
            grad_x = _run(entry, g)
        if ctx.needs_input_grad[1]:
            entry = ctx.operators.get("backprop_filter", key, weight, None, lambda: (_make_operator(
                "backprop_filter", _storage_shape(x, nhwc), list(weight.shape), _storage_shape(g, nhwc), **ctx.attrs),
                _numpy), False)
            grad_w = _run(entry, _stored(x, nhwc), g)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, activation=None):
    """torch.nn.functional.conv2d's signature, computed by colconv (padding='same' works at any stride), with an
    optional fused activation ('relu' or 'relu6'). Each call plans and packs afresh; the modules keep operators."""
    _check_activation(activation)
    return _Conv2dFunction.apply(input, weight, bias, _attrs(stride, padding, dilation, groups), activation,
                                 Operators())


def _check_activation(activation):
    if activation not in (None, "relu", "relu6"):
        raise ValueError(f"activation '{activation}' must be None, 'relu' or 'relu6'")


def _init_layer(module, in_channels, out_channels, kernel_size, stride, dilation, groups, bias, weight_channels):
    """What Conv2d and ConvTranspose2d set up alike: sizes, Parameters (weight of weight_channels x the kernel) and
    the operators."""
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"in_channels {in_channels} and out_channels {out_channels} must divide by groups {groups}")
    module.in_channels, module.out_channels, module.groups = in_channels, out_channels, groups
    module.kernel_size, module.stride, module.dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
    module.weight = torch.nn.Parameter(torch.empty(*weight_channels, *module.kernel_size))
    module.bias = torch.nn.Parameter(torch.empty(out_channels)) if bias else None
    module.operators = Operators()


class Conv2d(torch.nn.Module):
    """torch.nn.Conv2d computed by colconv, initialised as nn.Conv2d is, with an optional fused activation. Its
    attributes (stride, padding, dilation, groups) are read once, when it is made."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, activation=None):
        super().__init__()
        _check_activation(activation)
        _init_layer(self, in_channels, out_channels, kernel_size, stride, dilation, groups, bias,
                    (out_channels, in_channels // groups))
        self.padding, self.activation = padding, activation
        self.attrs = _attrs(self.stride, padding, self.dilation, groups)
        self.reset_parameters()

    def reset_parameters(self):
        torch.nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.weight[0].numel())
            torch.nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        attrs = self.attrs
        needs_grad = torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad or
                                                  (self.bias is not None and self.bias.requires_grad))
        if not needs_grad:  # inference: no autograd node (saves its cost, a few microseconds per call)
            return _conv2d_forward(x, self.weight, self.bias, attrs, self.activation, self.operators)[0]
        return _Conv2dFunction.apply(x, self.weight, self.bias, attrs, self.activation, self.operators)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, bias={self.bias is not None}"
                + (f", activation={self.activation}" if self.activation else ""))


class _ConvTranspose2dFunction(torch.autograd.Function):
    """conv_transpose2d(x, W) is backprop-input of the convolution by W (OIHW: O = x's channels) whose input has
    the transposed convolution's output size; its gradients are that convolution's forward and backprop-filter."""

    @staticmethod
    def forward(ctx, x, weight, bias, attrs, output_size, operators):
        _check_inputs(x, weight, bias)
        nhwc = _channels_last(x)
        attrs = dict(attrs, data_format="NHWC" if nhwc else "NCHW")
        n, c, h, w = output_size
        sizes = [n, h, w, c] if nhwc else [n, c, h, w]
        try:
            entry = operators.get("backprop_input", (tuple(x.shape), nhwc), weight, None, lambda: (_make_operator(
                "backprop_input", sizes, list(weight.shape), _storage_shape(x, nhwc), filter=_numpy(weight), **attrs),
                _numpy), nhwc)
        except ValueError as e:
            raise ValueError(f"ConvTranspose2d: an output of {h}x{w} (from output_padding or output_size) is not "
                             f"one the convolution it transposes maps onto a {x.shape[2]}x{x.shape[3]} input. "
                             f"colconv: {e}") from None
        y = _run(entry, _stored(x, nhwc))
        if bias is not None:
            y += bias.view(1, -1, 1, 1)
        ctx.save_for_backward(x, weight)
        ctx.attrs, ctx.nhwc, ctx.operators, ctx.has_bias = attrs, nhwc, operators, bias is not None
        ctx.output_size = output_size
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        nhwc = ctx.nhwc
        _check_inputs(grad)
        g = _stored(grad, nhwc)
        key = (tuple(grad.shape), nhwc)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            entry = ctx.operators.get("forward", key, weight, None, lambda: (_make_operator(
                "forward", _storage_shape(g, nhwc), list(weight.shape), filter=_numpy(weight), **ctx.attrs), _numpy),
                nhwc)
            grad_x = _run(entry, g)
        if ctx.needs_input_grad[1]:
            entry = ctx.operators.get("backprop_filter", key, weight, None, lambda: (_make_operator(
                "backprop_filter", _storage_shape(g, nhwc), list(weight.shape), _storage_shape(x, nhwc), **ctx.attrs),
                _numpy), False)
            grad_w = _run(entry, g, _stored(x, nhwc))
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None


class ConvTranspose2d(torch.nn.Module):
    """torch.nn.ConvTranspose2d (zero padding) computed by colconv's backprop-input, initialised as PyTorch's is.
    An output_padding (or output_size) that no input of the convolution it transposes has is a ValueError carrying
    colconv's explanation: the size it computed, by which formula, and the sizes that would be consistent."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1):
        super().__init__()
        _init_layer(self, in_channels, out_channels, kernel_size, stride, dilation, groups, bias,
                    (in_channels, out_channels // groups))
        self.padding, self.output_padding = _pair(padding), _pair(output_padding)
        self.reset_parameters()

    def reset_parameters(self):
        torch.nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in)
            torch.nn.init.uniform_(self.bias, -bound, bound)

    def output_size(self, x, output_size=None):
        """PyTorch's output size: (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1,
        or the last two entries of output_size."""
        if output_size is not None:
            h, w = list(output_size)[-2:]
        else:
            h, w = ((x.shape[2 + i] - 1) * self.stride[i] - 2 * self.padding[i] +
                    self.dilation[i] * (self.kernel_size[i] - 1) + self.output_padding[i] + 1 for i in range(2))
        return (x.shape[0], self.out_channels, int(h), int(w))

    def forward(self, x, output_size=None):
        attrs = _attrs(self.stride, self.padding, self.dilation, self.groups)
        return _ConvTranspose2dFunction.apply(x, self.weight, self.bias, attrs, self.output_size(x, output_size),
                                              self.operators)


def _converted(module, activation):
    """colconv's module for an nn.Conv2d or nn.ConvTranspose2d with zero padding, sharing its Parameters (so an
    optimizer made before convert() still updates them), or None."""
    if type(module) not in (torch.nn.Conv2d, torch.nn.ConvTranspose2d) or module.padding_mode != "zeros":
        return None
    bias = module.bias is not None
    if type(module) is torch.nn.Conv2d:
        new = Conv2d(module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding,
                     module.dilation, module.groups, bias, activation)
    elif type(module) is torch.nn.ConvTranspose2d and activation is None:
        new = ConvTranspose2d(module.in_channels, module.out_channels, module.kernel_size, module.stride,
                              module.padding, module.output_padding, module.groups, bias, module.dilation)
    else:
        return None
    new.weight = module.weight
    new.bias = module.bias
    new.train(module.training)
    return new


_ACTIVATIONS = {torch.nn.ReLU: "relu", torch.nn.ReLU6: "relu6"}


def convert(model, fuse_activations=True):
    """Swaps every nn.Conv2d and nn.ConvTranspose2d (zero padding) of model for colconv's, in place, and returns
    model. With fuse_activations, an nn.Conv2d followed by nn.ReLU or nn.ReLU6 inside an nn.Sequential (where the
    convolution's output goes to the activation alone) becomes one colconv Conv2d with the activation fused, and
    the activation an nn.Identity."""
    for parent in list(model.modules()):
        names = list(parent._modules.keys())
        for i, name in enumerate(names):
            child = parent._modules[name]
            activation = None
            following = parent._modules[names[i + 1]] if i + 1 < len(names) else None
            if fuse_activations and isinstance(parent, torch.nn.Sequential) and type(following) in _ACTIVATIONS:
                activation = _ACTIVATIONS[type(following)]
            new = _converted(child, activation)
            if new is None and activation is not None:
                new = _converted(child, None)
                activation = None
            if new is None:
                continue
            parent._modules[name] = new
            if activation is not None:
                parent._modules[names[i + 1]] = torch.nn.Identity()
    return model


def freeze(model):
    """An inference copy of model (eval mode) with BatchNorm folded and ReLU and residual adds fused into colconv
    operators: see colconv/freeze.py."""
    from colconv.freeze import freeze as _freeze
    return _freeze(model)
