"""Matrix product `@` with numpy's rules: batched over leading dimensions (which broadcast),
1-D operands promoted to a row (left) or column (right) vector and that dimension removed
from the result."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, unbroadcast
from .arithmetic import operands


def matmul(x: Tensor, other) -> Tensor:
    a, b, other = operands("matmul", x, other)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}"
        )
    try:
        out = np.matmul(a, b)
    except ValueError:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not match: the last dimension of the first "
            f"({a.shape[-1]}) must equal the {'only' if b.ndim == 1 else 'second-to-last'} "
            f"dimension of the second ({b.shape[0] if b.ndim == 1 else b.shape[-2]}) and batch "
            "dimensions must broadcast"
        ) from None
    need_a = x.requires_grad
    need_b = other.requires_grad

    def backward(g):
        a2 = a if a.ndim > 1 else a[None, :]
        b2 = b if b.ndim > 1 else b[:, None]
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2 if b.ndim > 1 else 0)
        if b.ndim == 1:
            g2 = g2[..., None]
        ga = gb = None
        if need_a:
            ga = unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if need_b:
            gb = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
        return ga, gb

    return Tensor.make(out, (x, other), backward)


def rmatmul(x: Tensor, other) -> Tensor:
    """`other @ x`."""
    return matmul(Tensor(other), x)
