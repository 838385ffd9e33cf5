"""colconv layers for PyTorch: Conv2d, whose forward is colconv's conv2d and whose backward is colconv's
backprop-input and backprop-filter.

Conv2d takes nn.Conv2d's arguments: stride, padding (int, pair, 'valid' or 'same'), dilation, groups, bias.
padding='same' is TensorFlow's SAME, so unlike PyTorch's it works at any stride (the odd pixel goes
bottom/right). Inputs in torch.channels_last memory format run as NHWC without a copy; others as NCHW.
"""
import math

import torch

import colconv as _ops


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


class _Conv2dFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        if x.dtype != torch.float32 or weight.dtype != torch.float32:
            raise ValueError(f"colconv works on float32; got {x.dtype} input and {weight.dtype} weight")
        # A channels_last tensor is an NHWC array already: permuting it is a view, not a copy.
        nhwc = x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)
        data = x.permute(0, 2, 3, 1) if nhwc else x.contiguous()
        weight = weight.contiguous()
        attrs = dict(strides=stride, padding=padding, dilations=dilation, groups=groups,
                     data_format="NHWC" if nhwc else "NCHW", filter_format="OIHW")
        y = _ops.conv2d(data, weight, **attrs)
        if nhwc:
            y = y.permute(0, 3, 1, 2)
        if bias is not None:
            y = y + bias.view(1, -1, 1, 1)
        ctx.save_for_backward(data, weight)
        ctx.attrs, ctx.nhwc, ctx.has_bias = attrs, nhwc, bias is not None
        return y

    @staticmethod
    def backward(ctx, grad):
        data, weight = ctx.saved_tensors
        g = grad.permute(0, 2, 3, 1).contiguous() if ctx.nhwc else grad.contiguous()
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = _ops.conv2d_backprop_input(list(data.shape), weight, g, **ctx.attrs)
            if ctx.nhwc:
                grad_x = grad_x.permute(0, 3, 1, 2)
        if ctx.needs_input_grad[1]:
            grad_w = _ops.conv2d_backprop_filter(data, list(weight.shape), g, **ctx.attrs)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None, None


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv2d's signature, computed by colconv (padding='same' works at any stride)."""
    return _Conv2dFunction.apply(input, weight, bias, _pair(stride), _padding(padding), _pair(dilation), groups)


class Conv2d(torch.nn.Module):
    """torch.nn.Conv2d computed by colconv, initialised as nn.Conv2d is."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels {in_channels} and out_channels {out_channels} must divide by groups {groups}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        self.padding = padding
        self.weight = torch.nn.Parameter(torch.empty(out_channels, in_channels // groups, *self.kernel_size))
        self.bias = torch.nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        torch.nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.weight[0].numel())
            torch.nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, bias={self.bias is not None}")
