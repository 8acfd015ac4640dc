"""Numba compilation flags, kept in one place so every kernel is built the same way.

- `cache=True`: compiled machine code is written next to the source and reused by later
  processes, so only the first run on a machine pays for compilation. Numba checks only
  the cached function's own source file: after editing a helper that kernels in other
  files inline or call (partials.py, say), their stale builds can crash at run time
  (seen: "NRT_adapt_ndarray_to_python 'descr' is NULL"); `make clean` deletes the cache.
- `error_model="numpy"`: division by zero gives inf/nan as numpy does, instead of the
  per-division checks of the default "python" model that stop LLVM from vectorising loops.
- fastmath is limited to flags that keep NaN and Inf visible (no "nnan"/"ninf"): a diverging
  run must show NaN, not garbage.

Set NUMBA_DISABLE_JIT=1 to run every kernel as plain Python when debugging (slowly). The
blocked convolution then takes numpy's products (its BLAS intrinsic has no Python form),
and a division by zero raises ZeroDivisionError where a compiled kernel gives inf/nan.

To catch out-of-bounds indexing (Numba does not check by default: a bad write corrupts the
heap), run with NUMBA_BOUNDSCHECK=1 AND an empty NUMBA_CACHE_DIR: Numba's cache ignores
that setting, so builds cached without checks are silently reused. An IndexError inside a
`prange` loop surfaces as a SystemError whose __cause__ is the IndexError.
"""

from __future__ import annotations

import types

import numba

FASTMATH_FLAGS = frozenset({"contract", "nsz", "reassoc"})


def kernel(fn=None, *, parallel: bool = True, inline: bool = False):
    """Decorator for a Numba kernel: `@kernel` (parallel) or `@kernel(parallel=False)`.

    `inline=True` makes Numba paste the function into each kernel that calls it instead of
    calling it: for a helper called in a hot loop with array slices, where a real call costs
    (measured: Adafactor's step ~4% slower with a call per row of its first sweep)."""

    def build(f):
        return numba.njit(
            parallel=parallel,
            cache=True,
            error_model="numpy",
            fastmath=set(FASTMATH_FLAGS),
            inline="always" if inline else "never",
        )(f)

    return build(fn) if fn is not None else build


def serial_twin(dispatcher):
    """The same kernel compiled with parallel=False (each `prange` runs as `range`).

    Numba's parallel launch costs ~15-40 us even on one thread, and on this project's 2-core
    machine the second worker rarely pays that back for memory-bound loops (measured: a serial
    ReLU is faster up to 1.6M elements). Callers pick the twin below a size threshold. The
    twin gets its own qualified name so Numba's on-disk cache keeps the two builds apart.
    """
    f = getattr(dispatcher, "py_func", dispatcher)  # a plain function under NUMBA_DISABLE_JIT
    twin = types.FunctionType(
        f.__code__, f.__globals__, f.__name__ + "_serial", f.__defaults__, f.__closure__
    )
    twin.__qualname__ = f.__qualname__ + "_serial"
    twin.__module__ = f.__module__
    twin.__doc__ = f.__doc__
    return kernel(twin, parallel=False)
