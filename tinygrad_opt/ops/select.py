"""Elementwise selection between tensors: where, maximum, minimum."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .arithmetic import broadcast_error, operands
from .dtypes import is_scalar, scalar_operand


def _pair(op: str, x, y) -> tuple[np.ndarray, np.ndarray, Tensor, Tensor | None]:
    """Arrays for x and y; a scalar y stays a constant (no parent)."""
    if not isinstance(x, Tensor):
        if is_scalar(x) and isinstance(y, Tensor):
            b, s = scalar_operand(y.data, x)
            return np.asarray(s, dtype=b.dtype), b, None, y
        x = Tensor(x)
    if is_scalar(y):
        a, s = scalar_operand(x.data, y)
        return a, np.asarray(s, dtype=a.dtype), x, None
    a, b, y = operands(op, x, y)
    return a, b, x, y


def where(condition, x, y) -> Tensor:
    """`x` where condition is true, else `y` (torch.where); x and y may be scalars."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    a, b, tx, ty = _pair("where", x, y)
    try:
        out = np.where(cond, a, b)
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape}, {a.shape} and {b.shape} cannot broadcast"
        ) from None
    parents = tuple(t for t in (tx, ty) if t is not None)

    def backward(g):
        grads = []
        if tx is not None:
            grads.append(np.where(cond, g, 0) if tx.requires_grad else None)
        if ty is not None:
            grads.append(np.where(cond, 0, g) if ty.requires_grad else None)
        return grads

    return Tensor.make(out, parents, backward)


def _extremum(op: str, fn, loses, x, y) -> Tensor:
    """`fn(x, y)`; `loses(a, b)` is true where a is not chosen because b is."""
    a, b, tx, ty = _pair(op, x, y)
    try:
        out = fn(a, b)
    except ValueError:
        raise broadcast_error(op, a, b) from None
    parents = tuple(t for t in (tx, ty) if t is not None)

    def backward(g):
        # as PyTorch: the gradient goes to the chosen input, halved between equal inputs;
        # where one is NaN neither loses, so both get all of it
        share = np.where(a == b, g * 0.5, g)
        grads = []
        if tx is not None:
            grads.append(np.where(loses(a, b), 0, share) if tx.requires_grad else None)
        if ty is not None:
            grads.append(np.where(loses(b, a), 0, share) if ty.requires_grad else None)
        return grads

    return Tensor.make(out, parents, backward)


def maximum(x, y) -> Tensor:
    """Elementwise larger of x and y; at ties each gets half the gradient (as PyTorch)."""
    return _extremum("maximum", np.maximum, np.less, x, y)


def minimum(x, y) -> Tensor:
    """Elementwise smaller of x and y; at ties each gets half the gradient (as PyTorch)."""
    return _extremum("minimum", np.minimum, np.greater, x, y)
