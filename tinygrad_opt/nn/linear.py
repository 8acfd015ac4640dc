"""`Linear` (y = x W^T + b) as one fused graph node, plus `Identity`."""

from __future__ import annotations

import math

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..tensor import Tensor, gradient_buffer
from . import init
from ._layout import float_data
from .activation import ReLU, behind_relu, relu_in_place
from .module import Module, Parameter, is_plain


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias over the last axis; weight is (out_features, in_features)."""
    return _linear(input, weight, bias, relu=False)


def _linear(input: Tensor, weight: Tensor, bias: Tensor | None, relu: bool) -> Tensor:
    """`linear`, then max(y, 0) on its fresh output in place when `relu` (one node)."""
    x = float_data(input, "linear")
    w = weight.data
    if w.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got {w.shape}")
    out_features, in_features = w.shape
    if x.ndim == 0 or x.shape[-1] != in_features:
        raise ValueError(f"linear: expected input of shape (*, {in_features}), got {x.shape}")
    if bias is not None and bias.data.shape not in ((out_features,), (1,), ()):
        # one per output feature, or one for all; PyTorch also takes any bias that
        # broadcasts to the output (e.g. one per sample), which Linear never has
        raise ValueError(
            f"linear: expected bias of shape ({out_features},) for a weight of "
            f"{out_features} output features, got {bias.data.shape}"
        )
    rows = math.prod(x.shape[:-1])  # not -1: numpy cannot infer it when a size is 0
    x2 = x.reshape(rows, in_features)
    out2 = x2 @ w.T
    if bias is not None:
        out2 += bias.data  # in place: the product is a fresh array
    out = out2.reshape(*x.shape[:-1], out_features)

    def backward(g: np.ndarray):
        g2 = g.reshape(rows, out_features)
        gx = (g2 @ w).reshape(x.shape) if input.requires_grad else None
        gw = np.matmul(g2.T, x2, out=gradient_buffer(weight)) if weight.requires_grad else None
        if bias is None:
            return gx, gw
        gb = g2.sum(axis=0, out=gradient_buffer(bias)) if bias.requires_grad else None
        return gx, gw, gb

    if relu:
        relu_in_place(out2)
        backward = behind_relu(out, backward)
    parents = (input, weight) if bias is None else (input, weight, bias)
    return Tensor.make(out, parents, backward)


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), as torch.nn.Linear.

    Init as PyTorch: W ~ kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and
    b ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, *, device=None, dtype=None
    ) -> None:
        check_cpu("Linear", device)
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = default_float(dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return self._forward(x, relu=False)

    def _forward(self, x: Tensor, relu: bool) -> Tensor:
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: expected input of shape (*, {self.in_features}), got {tuple(x.shape)}"
            )
        return _linear(x, self.weight, self.bias, relu)

    def _takes_relu(self, following: Module) -> bool:
        return is_plain(self, Linear) and is_plain(following, ReLU)

    def _forward_relu(self, x: Tensor) -> Tensor:
        return self._forward(x, relu=True)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x
