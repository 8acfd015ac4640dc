"""softmax and log_softmax along one axis, computed after subtracting the maximum so that
large inputs neither overflow nor lose precision."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .axes import normalize_axis


def _axis(op: str, x: Tensor, axis, dim) -> int:
    if dim is not None:
        axis = dim
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point tensor, got {x.data.dtype}")
    return normalize_axis(op, axis, x.data.ndim) if x.data.ndim else 0


def softmax(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x - max) / sum(exp(x - max)) along `axis`; backward s * (g - sum(g * s))."""
    ax = _axis("softmax", x, axis, dim)
    a = x.data
    if a.ndim == 0:
        a = a.reshape(1)
    e = np.exp(a - np.max(a, axis=ax, keepdims=True))
    out = (e / np.sum(e, axis=ax, keepdims=True)).reshape(x.data.shape)

    def backward(g):
        return (out * (g - np.sum(g * out, axis=ax if out.ndim else None, keepdims=True)),)

    return Tensor.make(out, (x,), backward)


def log_softmax(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """x - max - log(sum(exp(x - max))) along `axis`; backward g - softmax * sum(g)."""
    ax = _axis("log_softmax", x, axis, dim)
    a = x.data
    if a.ndim == 0:
        a = a.reshape(1)
    shifted = a - np.max(a, axis=ax, keepdims=True)
    out = (shifted - np.log(np.sum(np.exp(shifted), axis=ax, keepdims=True))).reshape(x.data.shape)

    def backward(g):
        total = np.sum(g, axis=ax if out.ndim else None, keepdims=True)
        return (g - np.exp(out) * total,)

    return Tensor.make(out, (x,), backward)
