"""Tensor creation: zeros ones full randn rand arange zeros_like ones_like, and PyTorch's
tensor from_numpy full_like empty empty_like eye linspace logspace randint randperm
randn_like rand_like.

Sizes are given as PyTorch does (`zeros(2, 3)` or `zeros((2, 3))`); dtype defaults to the
default float dtype, float32 unless `set_default_dtype` changed it (arange: int64 when every
argument is an int, as PyTorch; randint: int64; full: the fill's type). Random draws come
from the package generator (`tinygrad_opt.random`), so `manual_seed` makes them repeat, or
from `generator=` (a `tinygrad_opt.Generator` or numpy Generator).
`empty` and `empty_like` return zeros (PyTorch leaves the memory uninitialised). Each takes
PyTorch's `device=` too: None or "cpu" (the only device; anything else raises ValueError).
"""

from __future__ import annotations

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..random import resolve
from ..tensor import Tensor
from .movement import _sizes


def _dtype(dtype) -> np.dtype:
    return default_float(dtype)


# dtype= is passed on to Tensor too, which would otherwise turn float16 into float32
def zeros(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    check_cpu("zeros", device)
    dt = _dtype(dtype)
    return Tensor(np.zeros(_sizes("zeros", size), dtype=dt), requires_grad=requires_grad, dtype=dt)


def ones(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    check_cpu("ones", device)
    dt = _dtype(dtype)
    return Tensor(np.ones(_sizes("ones", size), dtype=dt), requires_grad=requires_grad, dtype=dt)


def _fill_dtype(fill_value, dtype) -> np.dtype:
    """torch.full's dtype without dtype=: bool for a bool fill, int64 for an int, else the
    default float dtype."""
    if dtype is not None:
        return np.dtype(dtype)
    if isinstance(fill_value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(fill_value, (int, np.integer)):
        return np.dtype(np.int64)
    return default_float()


def full(size, fill_value, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """`size` filled with `fill_value`; without dtype= the fill's type decides (bool, int64
    for a Python int, the default float dtype), as torch.full."""
    check_cpu("full", device)
    shape = _sizes("full", (size,))
    dt = _fill_dtype(fill_value, dtype)
    return Tensor(np.full(shape, fill_value, dtype=dt), requires_grad=requires_grad, dtype=dt)


def _float_dtype(op: str, dtype) -> np.dtype:
    dt = _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{op}: dtype must be floating point, got {dt}")
    return dt


def randn(
    *size, generator=None, dtype=None, requires_grad: bool = False, device=None
) -> Tensor:
    """Standard normal samples."""
    check_cpu("randn", device)
    dt = _float_dtype("randn", dtype)
    data = resolve(generator, "randn").standard_normal(_sizes("randn", size), dtype=dt)
    return Tensor(data, requires_grad=requires_grad)


def rand(
    *size, generator=None, dtype=None, requires_grad: bool = False, device=None
) -> Tensor:
    """Uniform samples on [0, 1)."""
    check_cpu("rand", device)
    dt = _float_dtype("rand", dtype)
    data = resolve(generator, "rand").random(_sizes("rand", size), dtype=dt)
    return Tensor(data, requires_grad=requires_grad)


def arange(
    start, end=None, step=1, *, dtype=None, requires_grad: bool = False, device=None
) -> Tensor:
    """Values start, start + step, ... below end (`arange(n)` counts 0..n-1), as torch.arange."""
    check_cpu("arange", device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        all_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if all_int else default_float()
    data = np.arange(start, end, step).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def zeros_like(x: Tensor, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    check_cpu("zeros_like", device)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    dt = np.dtype(dtype or data.dtype)
    return Tensor(np.zeros(data.shape, dtype=dt), requires_grad=requires_grad, dtype=dt)


def ones_like(x: Tensor, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    check_cpu("ones_like", device)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    dt = np.dtype(dtype or data.dtype)
    return Tensor(np.ones(data.shape, dtype=dt), requires_grad=requires_grad, dtype=dt)


# ------------------------------------------------------------------ PyTorch's other creators
def tensor(data, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A new leaf holding a copy of `data` (as torch.tensor; `Tensor(...)` may share a numpy
    array). Dtype rules as `Tensor`: Python floats give the default float dtype (float32),
    numpy arrays keep float64."""
    check_cpu("tensor", device)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        data = data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory and dtype (writes show on both sides), as torch."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array, dtype=array.dtype)


def full_like(
    x: Tensor, fill_value, *, dtype=None, requires_grad: bool = False, device=None
) -> Tensor:
    """`fill_value` in x's shape, with x's dtype unless `dtype` is given."""
    check_cpu("full_like", device)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    target = np.dtype(dtype or data.dtype)
    out = np.full(data.shape, fill_value, dtype=target)
    return Tensor(out, requires_grad=requires_grad, dtype=target)


def empty(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Zeros (PyTorch leaves the values undefined; defined values cost little here)."""
    check_cpu("empty", device)
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def empty_like(x: Tensor, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Zeros like x (see `empty`)."""
    check_cpu("empty_like", device)
    return zeros_like(x, dtype=dtype, requires_grad=requires_grad)


def eye(
    n: int, m: int | None = None, *, dtype=None, requires_grad: bool = False, device=None
) -> Tensor:
    """The n x m identity (m defaults to n)."""
    check_cpu("eye", device)
    dt = _dtype(dtype)
    return Tensor(np.eye(n, m, dtype=dt), requires_grad=requires_grad, dtype=dt)


def _steps(op: str, steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{op}: steps must be a non-negative int, got {steps!r}")
    return int(steps)


def linspace(
    start, end, steps: int, *, dtype=None, requires_grad: bool = False, device=None
) -> Tensor:
    """`steps` evenly spaced values from start to end, both included. Computed in float64
    and then cast; for an integer dtype, as torch, start and end are first converted to it
    and the values truncated toward zero."""
    check_cpu("linspace", device)
    dt = _dtype(dtype)
    if dt.kind != "f":
        start, end = int(start), int(end)
    values = np.linspace(float(start), float(end), _steps("linspace", steps))
    return Tensor(values.astype(dt), requires_grad=requires_grad, dtype=dt)


def logspace(
    start,
    end,
    steps: int,
    base: float = 10.0,
    *,
    dtype=None,
    requires_grad: bool = False,
    device=None,
) -> Tensor:
    """base ** linspace(start, end, steps), computed in float64 and then cast; for an
    integer dtype start and end are first converted to it, as linspace."""
    check_cpu("logspace", device)
    dt = _dtype(dtype)
    if dt.kind != "f":  # as linspace (and torch): integer start and end
        start, end = int(start), int(end)
    exponents = np.linspace(float(start), float(end), _steps("logspace", steps))
    return Tensor((float(base) ** exponents).astype(dt), requires_grad=requires_grad, dtype=dt)


def randint(
    low=None, high=None, size=None, *, generator=None, dtype=None, requires_grad: bool = False,
    device=None,
) -> Tensor:
    """Uniform integers in [low, high): `randint(high, size)` or `randint(low, high, size)`,
    as torch; int64 unless `dtype` is given."""
    check_cpu("randint", device)
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=size)
        low, high = 0, low
    if low is None:
        low = 0
    if high is None or size is None:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    if not low < high:
        raise ValueError(f"randint: low must be less than high, got low={low}, high={high}")
    shape = _sizes("randint", (size,))
    data = resolve(generator, "randint").integers(int(low), int(high), size=shape, dtype=np.int64)
    dt = np.dtype(np.int64) if dtype is None else np.dtype(dtype)
    return Tensor(data.astype(dt, copy=False), requires_grad=requires_grad, dtype=dt)


def _like_float(op: str, x: Tensor, dtype) -> tuple[tuple[int, ...], np.dtype]:
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return data.shape, _float_dtype(op, dtype or data.dtype)


def _drawn(dt: np.dtype) -> np.dtype:
    """numpy draws float32 or float64 only; float16 is drawn as float32 and rounded."""
    return dt if dt.itemsize >= 4 else np.dtype(np.float32)


def randn_like(
    x: Tensor, *, generator=None, dtype=None, requires_grad: bool = False, device=None
) -> Tensor:
    """Standard normal samples in x's shape and (floating) dtype."""
    check_cpu("randn_like", device)
    shape, dt = _like_float("randn_like", x, dtype)
    data = resolve(generator, "randn_like").standard_normal(shape, dtype=_drawn(dt))
    return Tensor(data.astype(dt, copy=False), requires_grad=requires_grad, dtype=dt)


def rand_like(
    x: Tensor, *, generator=None, dtype=None, requires_grad: bool = False, device=None
) -> Tensor:
    """Uniform samples on [0, 1) in x's shape and (floating) dtype."""
    check_cpu("rand_like", device)
    shape, dt = _like_float("rand_like", x, dtype)
    data = resolve(generator, "rand_like").random(shape, dtype=_drawn(dt))
    return Tensor(data.astype(dt, copy=False), requires_grad=requires_grad, dtype=dt)


def randperm(
    n: int, *, generator=None, dtype=np.int64, requires_grad: bool = False, device=None
) -> Tensor:
    """A random permutation of 0..n-1 (int64 unless `dtype` is given), as torch.randperm."""
    check_cpu("randperm", device)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    dt = np.dtype(dtype)
    data = resolve(generator, "randperm").permutation(int(n)).astype(dt, copy=False)
    return Tensor(data, requires_grad=requires_grad, dtype=dt)
