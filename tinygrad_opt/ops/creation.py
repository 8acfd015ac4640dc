"""Tensor creation: zeros ones full randn rand arange zeros_like ones_like.

Sizes are given as PyTorch does (`zeros(2, 3)` or `zeros((2, 3))`); dtype defaults to float32
(arange: int64 when every argument is an int, as PyTorch). Random draws come from the
package generator (`tinygrad_opt.random`), so `manual_seed` makes them repeat.
"""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from .movement import _sizes


def _dtype(dtype) -> np.dtype:
    return np.dtype(np.float32) if dtype is None else np.dtype(dtype)


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_sizes("zeros", size), dtype=_dtype(dtype)), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_sizes("ones", size), dtype=_dtype(dtype)), requires_grad=requires_grad)


def full(size, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    shape = _sizes("full", (size,))
    return Tensor(np.full(shape, fill_value, dtype=_dtype(dtype)), requires_grad=requires_grad)


def _float_dtype(op: str, dtype) -> np.dtype:
    dt = _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{op}: dtype must be floating point, got {dt}")
    return dt


def randn(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    dt = _float_dtype("randn", dtype)
    data = generator().standard_normal(_sizes("randn", size), dtype=dt)
    return Tensor(data, requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    dt = _float_dtype("rand", dtype)
    data = generator().random(_sizes("rand", size), dtype=dt)
    return Tensor(data, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values start, start + step, ... below end (`arange(n)` counts 0..n-1), as torch.arange."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        all_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if all_int else np.float32
    data = np.arange(start, end, step).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def zeros_like(x: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return Tensor(np.zeros(data.shape, dtype=dtype or data.dtype), requires_grad=requires_grad)


def ones_like(x: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return Tensor(np.ones(data.shape, dtype=dtype or data.dtype), requires_grad=requires_grad)
