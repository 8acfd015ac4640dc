"""Serial helpers for the small per-thread partial results of parallel kernels.

Inside a parallel kernel (`@kernel`), Numba turns `np.zeros(...)` and array arithmetic such as
`total += partial[t]` into parallel regions of their own, and every region starts the
thread pool: ~12 us each on an idle machine, more when the workers sleep, for a few
kilobytes of work (a kernel that only allocated three zeroed arrays took 12.8 us; with the
allocation in a serial helper, 0.3 us). A parallel kernel calls these instead, so its only
parallel regions are its `prange` loops. They add in the order of the first axis, as the
loops they replace did, so results are unchanged to the bit.
"""

from __future__ import annotations

import numpy as np

from .jit import kernel


@kernel(parallel=False)
def zeros(shape, like):
    """np.zeros(shape) in the dtype of the array `like`."""
    return np.zeros(shape, dtype=like.dtype)


@kernel(parallel=False)
def zeros_float64(shape):
    """np.zeros(shape) in float64 (the accumulators of float32 data)."""
    return np.zeros(shape)


@kernel(parallel=False)
def sum_first_axis(partial):
    """partial.sum(axis=0) for a C-contiguous array of at least one row: the rows added in
    order, into an array of partial.shape[1:]."""
    rows = partial.shape[0]
    flat = partial.reshape(rows, partial.size // rows)
    total = np.zeros(flat.shape[1], dtype=partial.dtype)
    for t in range(rows):
        row = flat[t]
        for i in range(total.size):
            total[i] += row[i]
    return total.reshape(partial.shape[1:])
