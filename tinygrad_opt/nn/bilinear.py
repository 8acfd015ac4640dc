"""`Bilinear`: y_k = x1^T A_k x2 + b_k, one graph node over numpy einsums."""

from __future__ import annotations

import math

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..tensor import Tensor
from . import init
from ._layout import float_data
from .module import Module, Parameter


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., k] = sum_ij input1[..., i] weight[k, i, j] input2[..., j] + bias[k], as
    torch.nn.functional.bilinear: input1 (*, in1), input2 (*, in2) with the same leading
    shape, weight (out, in1, in2), bias (out,)."""
    x1 = float_data(input1, "bilinear")
    x2 = float_data(input2, "bilinear")
    w = float_data(weight, "bilinear (weight)")
    if w.ndim != 3:
        raise ValueError(f"bilinear: weight must be 3-D (out, in1, in2), got shape {w.shape}")
    out_features, in1, in2 = w.shape
    if x1.ndim == 0 or x1.shape[-1] != in1 or x2.ndim == 0 or x2.shape[-1] != in2:
        raise ValueError(
            f"bilinear: expected inputs of shape (*, {in1}) and (*, {in2}), got {x1.shape} "
            f"and {x2.shape}"
        )
    if x1.shape[:-1] != x2.shape[:-1]:
        raise ValueError(
            f"bilinear: the inputs' leading dimensions must match, got {x1.shape} and {x2.shape}"
        )
    if bias is not None and bias.data.shape != (out_features,):
        raise ValueError(
            f"bilinear: expected bias of shape ({out_features},), got {bias.data.shape}"
        )
    rows = math.prod(x1.shape[:-1])  # not -1: numpy cannot infer it when a size is 0
    a = x1.reshape(rows, in1)
    b = x2.reshape(rows, in2)
    # (n, in1) @ (in1, out * in2): one BLAS product, then a row-wise contraction with x2
    left = (a @ w.transpose(1, 0, 2).reshape(in1, out_features * in2)).reshape(
        rows, out_features, in2
    )
    out = np.einsum("nkj,nj->nk", left, b)
    if bias is not None:
        out += bias.data

    def backward(g):
        g2 = g.reshape(rows, out_features)
        ga = gb = gw = None
        if input1.requires_grad:
            ga = np.einsum("nk,kij,nj->ni", g2, w, b, optimize=True).reshape(x1.shape)
        if input2.requires_grad:
            gb = np.einsum("nkj,nk->nj", left, g2).reshape(x2.shape)
        if weight.requires_grad:
            gw = np.einsum("nk,ni,nj->kij", g2, a, b, optimize=True)
        if bias is None:
            return ga, gb, gw
        return ga, gb, gw, (g2.sum(axis=0) if bias.requires_grad else None)

    parents = (input1, input2, weight) if bias is None else (input1, input2, weight, bias)
    return Tensor.make(out.reshape(*x1.shape[:-1], out_features), parents, backward)


class Bilinear(Module):
    """Bilinear(in1_features, in2_features, out_features, bias=True) as torch.nn.Bilinear:
    weight (out, in1, in2) and bias (out,) both ~ U(-1/sqrt(in1), 1/sqrt(in1))."""

    def __init__(
        self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, *,
        device=None,
        dtype=None,
    ) -> None:  # fmt: skip
        check_cpu("Bilinear", device)
        super().__init__()
        for name, value in (("in1_features", in1_features), ("in2_features", in2_features),
                            ("out_features", out_features)):  # fmt: skip
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Bilinear: {name} must be a non-negative int, got {value!r}")
        self.in1_features = int(in1_features)
        self.in2_features = int(in2_features)
        self.out_features = int(out_features)
        dtype = default_float(dtype)
        shape = (self.out_features, self.in1_features, self.in2_features)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
