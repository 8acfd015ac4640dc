"""The error function erf for arrays, for the exact GELU (numpy has no erf).

A Numba kernel calls the C library's `erf` (via `math.erf`) element by element, which is
accurate to float64 rounding; float32 input is computed in float64 and rounded once.
"""

from __future__ import annotations

import math

import numpy as np

from ..jit import kernel


@kernel(parallel=False)
def _erf_kernel(x, out):
    for i in range(x.size):
        out[i] = math.erf(x[i])


def erf(x: np.ndarray) -> np.ndarray:
    """Elementwise erf of a floating array, in the array's dtype."""
    flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty_like(flat)
    _erf_kernel(flat, out)
    return out.reshape(x.shape).astype(x.dtype, copy=False)
