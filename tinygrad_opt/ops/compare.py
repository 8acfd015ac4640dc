"""Comparisons `< <= > >= == !=`, boolean `~ & |` and the boolean reductions all/any:
results are bool tensors outside the graph."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .arithmetic import broadcast_error
from .axes import normalize_axes, pick


def _compare(op: str, fn, x: Tensor, other) -> Tensor:
    b = other.data if isinstance(other, Tensor) else other
    if isinstance(b, list):
        b = np.asarray(b)
    try:
        return Tensor(np.asarray(fn(x.data, b)))
    except ValueError:
        raise broadcast_error(op, x.data, np.asarray(b)) from None


def lt(x: Tensor, other) -> Tensor:
    return _compare("lt", np.less, x, other)


def le(x: Tensor, other) -> Tensor:
    return _compare("le", np.less_equal, x, other)


def gt(x: Tensor, other) -> Tensor:
    return _compare("gt", np.greater, x, other)


def ge(x: Tensor, other) -> Tensor:
    return _compare("ge", np.greater_equal, x, other)


def eq(x: Tensor, other) -> Tensor:
    return _compare("eq", np.equal, x, other)


def ne(x: Tensor, other) -> Tensor:
    return _compare("ne", np.not_equal, x, other)


def _require_bool_or_int(op: str, x: Tensor) -> None:
    if x.data.dtype.kind not in "biu":
        raise TypeError(f"{op}: needs a bool or integer tensor, got {x.data.dtype}")


def invert(x: Tensor) -> Tensor:
    _require_bool_or_int("invert", x)
    return Tensor(np.invert(x.data))


def logical_and(x: Tensor, other) -> Tensor:
    _require_bool_or_int("and", x)
    return _compare("and", np.bitwise_and, x, other)


def logical_or(x: Tensor, other) -> Tensor:
    _require_bool_or_int("or", x)
    return _compare("or", np.bitwise_or, x, other)


def all(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    """True where every element (of a slice) is nonzero; a bool tensor outside the graph."""
    axis, keepdims = pick("all", axis, dim, keepdims, keepdim)
    axes = normalize_axes("all", axis, x.data.ndim)
    return Tensor(np.asarray(np.all(x.data, axis=axes, keepdims=keepdims)))


def any(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    """True where some element (of a slice) is nonzero; a bool tensor outside the graph."""
    axis, keepdims = pick("any", axis, dim, keepdims, keepdim)
    axes = normalize_axes("any", axis, x.data.ndim)
    return Tensor(np.asarray(np.any(x.data, axis=axes, keepdims=keepdims)))
