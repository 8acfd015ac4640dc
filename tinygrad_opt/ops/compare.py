"""Comparisons `< <= > >= == !=` and boolean `~ & |`: results are bool tensors outside the graph."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .arithmetic import broadcast_error


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
