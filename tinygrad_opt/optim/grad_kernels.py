"""Numba reductions and in-place maps over 1-D gradient arrays (flat buffers or their slices).

Used by `Optimizer(skip_nonfinite=True)` and by `nn.utils.clip_grad_norm_`/`clip_grad_value_`.
Reductions accumulate in float64 whatever the array dtype, so a float32 norm over ten million
elements does not lose digits.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ..jit import kernel


@kernel
def count_nonfinite(x: np.ndarray) -> int:
    """How many entries of `x` are NaN or +-Inf."""
    count = 0
    for i in prange(x.size):
        if not math.isfinite(x[i]):
            count += 1
    return count


@kernel
def sum_squares(x: np.ndarray) -> float:
    """sum(x**2) in float64."""
    total = 0.0
    for i in prange(x.size):
        v = np.float64(x[i])
        total += v * v
    return total


@kernel
def sum_abs_pow(x: np.ndarray, p: float) -> float:
    """sum(|x|**p) in float64."""
    total = 0.0
    for i in prange(x.size):
        total += abs(np.float64(x[i])) ** p
    return total


@kernel
def max_abs(x: np.ndarray) -> float:
    """max(|x|) in float64 (0 for an empty array; NaN if any entry is NaN)."""
    result = 0.0
    nans = 0
    for i in prange(x.size):
        v = abs(np.float64(x[i]))
        result = max(result, v)
        if v != v:  # max() drops NaN; count them so the norm shows it
            nans += 1
    return np.nan if nans else result


@kernel
def min_abs(x: np.ndarray) -> float:
    """min(|x|) in float64 (inf for an empty array)."""
    result = np.inf
    nans = 0
    for i in prange(x.size):
        v = abs(np.float64(x[i]))
        result = min(result, v)
        if v != v:
            nans += 1
    return np.nan if nans else result


@kernel
def scale_(x: np.ndarray, factor) -> None:
    """x *= factor, in place (`factor` in x's dtype)."""
    for i in prange(x.size):
        x[i] = x[i] * factor


@kernel
def clamp_(x: np.ndarray, low, high) -> None:
    """x = min(max(x, low), high), in place, as torch.clamp: NaN entries stay NaN, a NaN
    bound makes every entry NaN, and low > high makes every entry high."""
    for i in prange(x.size):
        v = x[i]
        if v < low or low != low:
            v = low
        if v > high or high != high:
            v = high
        x[i] = v
