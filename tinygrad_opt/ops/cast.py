"""Dtype conversion: `astype(dtype)` and PyTorch's shorthands float() double() half() long()
int() bool() byte() char() short().

A cast between floating dtypes is differentiable (the gradient is cast back); a cast to an
integer or bool dtype leaves the graph, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def astype(x: Tensor, dtype) -> Tensor:
    target = np.dtype(dtype)
    a = x.data
    if target == a.dtype:
        return x
    out = a.astype(target)
    if target.kind != "f":
        return Tensor(out)
    source = a.dtype
    return Tensor.make(out, (x,), lambda g: (g.astype(source),))


def to_float(x: Tensor) -> Tensor:
    return astype(x, np.float32)


def to_double(x: Tensor) -> Tensor:
    return astype(x, np.float64)


def to_long(x: Tensor) -> Tensor:
    return astype(x, np.int64)


def to_int(x: Tensor) -> Tensor:
    return astype(x, np.int32)


def to_half(x: Tensor) -> Tensor:
    return astype(x, np.float16)


def to_bool(x: Tensor) -> Tensor:
    return astype(x, np.bool_)


def to_byte(x: Tensor) -> Tensor:
    """uint8; integers wrap modulo 256 as torch (out-of-range floats are undefined there too)."""
    return astype(x, np.uint8)


def to_char(x: Tensor) -> Tensor:
    """int8 (torch's char)."""
    return astype(x, np.int8)


def to_short(x: Tensor) -> Tensor:
    """int16."""
    return astype(x, np.int16)
