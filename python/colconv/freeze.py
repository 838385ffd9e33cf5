"""colconv.torch.freeze: a model in eval mode rewritten for inference, as engines do when they load one.

The model is traced with torch.fx, and each convolution (nn.Conv2d with zero padding, or colconv's Conv2d) becomes
one colconv operator with:
  - the BatchNorm2d that alone reads its output folded into its weights and bias (running statistics, eval mode);
  - a ReLU or ReLU6 (module, functional or method) that alone reads the result fused as its activation;
  - a residual add (`out + identity`, `out += identity`) that alone reads the result, and the ReLU after it,
    fused through accumulate mode: the identity tensor is the output the operator adds into, so the block's
    add and ReLU are not separate passes. The identity tensor is written in place when nothing later in the
    graph reads it and it is the model's own (not its input); otherwise it is copied first.
Everything else stays as it was. The result is an fx.GraphModule that computes without autograd (its outputs
carry no gradient history): freeze a copy of a model to serve it, keep the original to train. A model that
torch.fx cannot trace is converted with colconv.torch.convert instead, with a warning.
"""
import copy
import operator
import warnings

import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F

import _colconv as _lib

_RELU_FUNCTIONS = {F.relu: "relu", torch.relu: "relu", F.relu6: "relu6"}
_RELU_METHODS = {"relu": "relu", "relu_": "relu"}
_ADDS = {operator.add, operator.iadd, torch.add}


def _module(gm, node, kind):
    if node.op != "call_module":
        return None
    m = gm.get_submodule(node.target)
    return m if isinstance(m, kind) else None


def _activation_of(gm, node):
    """'relu' or 'relu6' when node applies one to its only input, else None."""
    if node.op == "call_module":
        m = gm.get_submodule(node.target)
        return {nn.ReLU: "relu", nn.ReLU6: "relu6"}.get(type(m))
    if node.op == "call_function" and node.target in _RELU_FUNCTIONS and len(node.args) == 1:
        return _RELU_FUNCTIONS[node.target]
    if node.op == "call_method" and node.target in _RELU_METHODS and len(node.args) == 1:
        return _RELU_METHODS[node.target]
    return None


def _only_user(node):
    return next(iter(node.users)) if len(node.users) == 1 else None


class FusedConv2d(nn.Module):
    """One frozen convolution: folded weight and bias, an activation, and optionally a residual input that the
    result is added into (accumulate mode). Inference only."""

    def __init__(self, conv, weight, bias, activation, residual, in_place):
        super().__init__()
        self.register_buffer("weight", weight.detach().contiguous().clone())
        self.register_buffer("bias", None if bias is None else bias.detach().contiguous().clone())
        self.attrs = dict(strides=tuple(conv.stride), dilations=tuple(conv.dilation), groups=conv.groups,
                          padding=_padding_of(conv))
        self.activation, self.residual, self.in_place = activation, residual, in_place
        self._operators = {}

    def forward(self, x, identity=None):
        from colconv.torch import _channels_last, _check_inputs, _forward_filter, _storage_shape, _stored
        _check_inputs(x, identity)
        nhwc = _channels_last(x)
        key = (tuple(x.shape), nhwc)
        op = self._operators.get(key)
        if op is None:
            shape = _storage_shape(x, nhwc)
            filter_array, filter_shape, attrs = _forward_filter(shape, self.weight, dict(
                self.attrs, filter_format="OIHW", data_format="NHWC" if nhwc else "NCHW"))
            op = self._operators[key] = _lib.Operator(
                "forward", shape, filter_shape, filter=filter_array(self.weight),
                bias=None if self.bias is None else self.bias.numpy(), activation=self.activation or "none",
                accumulate=identity is not None, **attrs)
        shape = op.result_shape
        shape = (shape[0], shape[3], shape[1], shape[2]) if nhwc else tuple(shape)
        memory_format = torch.channels_last if nhwc else torch.contiguous_format
        if identity is None:
            y = torch.empty(shape, memory_format=memory_format)
        elif self.in_place and identity.shape == shape and identity.is_contiguous(memory_format=memory_format) \
                and not identity.requires_grad:
            y = identity
        else:
            y = identity.detach().clone(memory_format=memory_format)
        if tuple(y.shape) != shape:
            raise ValueError(f"freeze: the residual's shape {tuple(y.shape)} is not the convolution's {shape}")
        op._run_addresses(_stored(x, nhwc).data_ptr(), 0, y.data_ptr())
        return y

    def extra_repr(self):
        return (f"weight={tuple(self.weight.shape)}, {self.attrs}, activation={self.activation}, "
                f"residual={self.residual}, in_place={self.in_place}")


def _padding_of(conv):
    if isinstance(conv.padding, str):
        return conv.padding.upper()
    ph, pw = (conv.padding, conv.padding) if isinstance(conv.padding, int) else conv.padding
    return (ph, ph, pw, pw)


def _fold(conv, bn):
    """conv's weight and bias with bn (eval: running statistics) folded in."""
    weight, bias = conv.weight.detach(), None if conv.bias is None else conv.bias.detach()
    if bn is None:
        return weight, bias
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps) if bn.affine else \
        1 / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias.detach() if bn.affine else torch.zeros_like(bn.running_mean)
    base = bias if bias is not None else torch.zeros_like(bn.running_mean)
    return weight * scale.view(-1, 1, 1, 1), (base - bn.running_mean) * scale + shift


def _is_conv(gm, node):
    from colconv.torch import Conv2d as ColconvConv2d
    m = _module(gm, node, (nn.Conv2d, ColconvConv2d))
    if m is None:
        return None
    if isinstance(m, nn.Conv2d) and (type(m) is not nn.Conv2d or m.padding_mode != "zeros"):
        return None
    if getattr(m, "activation", None):
        return None
    return m


def _fresh(gm, node):
    """Whether node's tensor is a new one that aliases nothing: the output of a convolution, a BatchNorm or a
    pooling layer (not of an in-place ReLU, an Identity, a view, or the model's input)."""
    from colconv.torch import Conv2d as ColconvConv2d
    fresh = (FusedConv2d, nn.BatchNorm2d, nn.Conv2d, ColconvConv2d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)
    return _module(gm, node, fresh) is not None


def _later_readers(node, add):
    """Whether anything after `add` in the graph reads node."""
    order = {n: i for i, n in enumerate(node.graph.nodes)}
    return any(order[u] > order[add] for u in node.users if u is not add)


def freeze(model):
    """The model (in eval mode) as an fx.GraphModule of fused colconv convolutions; see the module's docstring."""
    from colconv.torch import convert
    if model.training:
        raise ValueError("freeze: the model is in training mode; call model.eval() first (freezing folds "
                         "BatchNorm's running statistics)")
    try:
        gm = fx.symbolic_trace(copy.deepcopy(model))
    except Exception as e:  # noqa: BLE001  (any tracing failure means: convert instead)
        warnings.warn(f"freeze: torch.fx cannot trace {type(model).__name__} ({e}); converting it instead")
        return convert(copy.deepcopy(model))
    graph = gm.graph
    fused = 0
    for node in list(graph.nodes):
        conv = _is_conv(gm, node)
        if conv is None:
            continue
        last, bn = node, None
        user = _only_user(last)
        if user is not None and _module(gm, user, nn.BatchNorm2d) is not None:
            candidate = gm.get_submodule(user.target)
            if candidate.track_running_stats and candidate.running_mean is not None:
                bn, last = candidate, user
        activation, identity, add = None, None, None
        user = _only_user(last)
        if user is not None and user.op in ("call_function", "call_method") and \
                (user.target in _ADDS or user.target in ("add", "add_", "__iadd__")) and len(user.args) == 2 and \
                not user.kwargs and all(isinstance(a, fx.Node) for a in user.args):
            add = user
            identity = user.args[1] if user.args[0] is last else user.args[0]
            last = add
        user = _only_user(last)
        if user is not None and _activation_of(gm, user) is not None:
            activation, last = _activation_of(gm, user), user
        weight, bias = _fold(conv, bn)
        in_place = identity is not None and _fresh(gm, identity) and not _later_readers(identity, add)
        name = f"colconv_fused_{fused}"
        gm.add_submodule(name, FusedConv2d(conv, weight, bias, activation, identity is not None, in_place))
        with graph.inserting_after(last):
            args = (node.args[0],) if identity is None else (node.args[0], identity)
            new = graph.call_module(name, args)
        last.replace_all_uses_with(new)
        new.args = args  # replace_all_uses_with also rewrote new's own reference to `last`, if any
        fused += 1
    graph.eliminate_dead_code()
    gm.delete_all_unused_submodules()
    gm.recompile()
    gm.eval()
    return gm
