"""Draws from count distributions: `binomial(count, prob)` and `poisson(input)`, as torch,
from the package generator (so `manual_seed` repeats them) or `generator=`.

Samples have the dtype of the floating input and no gradient (torch's are zero or
undefined). Bad parameters raise ValueError (torch: RuntimeError for poisson), and a
non-floating input TypeError.
"""

from __future__ import annotations

import numpy as np

from ..random import resolve
from ..tensor import Tensor


def _floating(op: str, name: str, value) -> np.ndarray:
    a = value.data if isinstance(value, Tensor) else np.asarray(value)
    if a.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got dtype {a.dtype}")
    return a


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Binomial(count, prob) draws, elementwise (count and prob broadcast); count holds
    non-negative whole numbers, prob values in [0, 1]."""
    n = _floating("binomial", "count", count)
    p = _floating("binomial", "prob", prob)
    if np.any(n < 0) or np.any(n != np.floor(n)):
        raise ValueError("binomial: count must hold non-negative whole numbers")
    if np.any((p < 0) | (p > 1)) or np.isnan(p).any():
        raise ValueError("binomial: prob must lie in [0, 1]")
    n, p = np.broadcast_arrays(n, p)
    dtype = np.result_type(n.dtype, p.dtype)
    draws = resolve(generator, "binomial").binomial(n.astype(np.int64), p)
    return Tensor(np.asarray(draws).astype(dtype), dtype=dtype)


def poisson(input: Tensor, generator=None) -> Tensor:  # noqa: A002 - torch's name
    """Poisson(rate) draws, one per element of the non-negative rates `input`."""
    rates = _floating("poisson", "input", input)
    if np.any(rates < 0) or np.isnan(rates).any():
        raise ValueError("poisson: the rates must be non-negative")
    draws = resolve(generator, "poisson").poisson(rates)
    return Tensor(np.asarray(draws).astype(rates.dtype), dtype=rates.dtype)
