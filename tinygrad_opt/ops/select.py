"""Elementwise selection between tensors: where, maximum, minimum, masked_fill."""

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


def where_method(x: Tensor, condition, other) -> Tensor:
    """`x.where(condition, other)` == `where(condition, x, other)` (torch.Tensor.where)."""
    return where(condition, x, other)


def masked_fill(x: Tensor, mask, value) -> Tensor:
    """`value` where the bool `mask` is true, else x (the two broadcast, as the out-of-place
    torch.Tensor.masked_fill); x's dtype is kept. The gradient passes to x where the mask is
    false; a 0-d Tensor `value` gets the sum of the gradient where it is true."""
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: the mask must be a bool tensor, got dtype {m.dtype}")
    a = x.data
    try:
        m = np.broadcast_to(m, np.broadcast_shapes(m.shape, a.shape))
    except ValueError:
        raise ValueError(
            f"masked_fill: mask of shape {m.shape} and tensor of shape {a.shape} cannot broadcast"
        ) from None
    tv = value if isinstance(value, Tensor) else None
    if tv is not None and tv.data.ndim != 0:
        raise ValueError(
            f"masked_fill: value must be a number or a 0-d tensor, got shape {tv.data.shape}"
        )
    fill = tv.data if tv is not None else value
    out = np.where(m, np.asarray(fill).astype(a.dtype), a)

    def backward(g):
        gx = np.where(m, 0, g) if x.requires_grad else None
        if tv is None:
            return (gx,)
        return gx, (np.sum(g, where=m).reshape(()) if tv.requires_grad else None)

    return Tensor.make(out, (x,) if tv is None else (x, tv), backward)
