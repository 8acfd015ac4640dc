"""torch's remaining creation functions: `as_tensor`, `asarray`, `scalar_tensor`,
`empty_strided`, `empty_permuted`, `frombuffer`, `fill` and the deprecated `range`.

Memory is shared where torch shares it (`as_tensor`/`asarray` of a numpy array or Tensor of
the requested dtype, `frombuffer`). Deviations: the `empty_*` functions return zeros (torch
leaves memory uninitialised); `layout`/`pin_memory` are accepted and ignored; `device`
must be the CPU.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..tensor import Tensor
from . import movement
from .movement import _sizes
from .utility import clone


def _as_array(op: str, data, dtype, copy) -> np.ndarray:
    source = data.data if isinstance(data, Tensor) else data
    dt = None if dtype is None else np.dtype(dtype)
    if isinstance(source, np.ndarray):
        same = dt is None or source.dtype == dt
        if copy is False and not same:
            raise ValueError(
                f"{op}: copy=False, but the data ({source.dtype}) must be cast to {dt}"
            )
        out = source if same else source.astype(dt)
        return out.copy() if copy and out is source else out
    if copy is False:
        raise ValueError(f"{op}: copy=False, but {type(data).__name__} data must be copied")
    return Tensor(data, dtype=dt).data  # Tensor's rules: Python floats -> default float


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor sharing `data`'s memory when it is a Tensor or numpy array of `dtype` (the
    Tensor itself is returned; a Tensor of another dtype is cast, keeping its history);
    otherwise a converted copy (torch.as_tensor)."""
    check_cpu("as_tensor", device)
    if isinstance(data, Tensor):  # itself, or its cast (with history), as torch
        same = dtype is None or data.data.dtype == np.dtype(dtype)
        return data if same else data.to(np.dtype(dtype))
    array = _as_array("as_tensor", data, dtype, None)
    return Tensor(array, dtype=array.dtype)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None) -> Tensor:
    """torch.asarray: `obj` as a tensor; copy=None shares memory when it can, True always
    copies, False refuses to copy (ValueError when a copy or cast would be needed). For a
    Tensor, requires_grad=None (the default, as torch 2.13) keeps obj's own flag and
    history: obj itself, or its differentiable cast/copy; for other data it means False."""
    check_cpu("asarray", device)
    if isinstance(obj, Tensor):
        same = dtype is None or obj.data.dtype == np.dtype(dtype)
        if copy is False and not same:
            raise ValueError(
                f"asarray: copy=False, but the data ({obj.data.dtype}) must be cast to "
                f"{np.dtype(dtype)}"
            )
        out = obj if same else obj.to(np.dtype(dtype))
        if copy and out is obj:
            out = clone(obj)
        if requires_grad is None or bool(requires_grad) == out.requires_grad:
            return out
        detached = out.detach()  # shares memory, leaves the graph
        if requires_grad:
            detached.requires_grad = True
        return detached
    array = _as_array("asarray", obj, dtype, copy)
    return Tensor(array, dtype=array.dtype, requires_grad=bool(requires_grad))


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=None,
                  requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding `s`, of the default float dtype unless dtype= is given (as
    torch, whatever the scalar's type: scalar_tensor(3) is 3.0)."""
    check_cpu("scalar_tensor", device)
    if isinstance(s, Tensor):
        s = s.item()
    dt = default_float(dtype)
    return Tensor(np.array(s, dtype=dt), dtype=dt, requires_grad=requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A zero-filled tensor of shape `size` whose array has the element strides `stride`
    (as `x.stride()` reports them) over a fresh buffer just large enough."""
    check_cpu("empty_strided", device)
    shape = _sizes("empty_strided", (size,))
    strides = _sizes("empty_strided", (stride,))
    if len(shape) != len(strides):
        raise ValueError(
            f"empty_strided: size and stride must have the same length, got {shape} and "
            f"{strides}"
        )
    if any(n < 0 for n in shape) or any(s < 0 for s in strides):
        raise ValueError(f"empty_strided: sizes and strides must be >= 0, got {shape}, {strides}")
    dt = default_float(dtype)
    # the largest offset reached, plus one; an empty tensor needs no storage
    storage = 0 if 0 in shape else 1 + sum((n - 1) * s for n, s in zip(shape, strides))
    buffer = np.zeros(storage, dtype=dt)
    data = np.lib.stride_tricks.as_strided(
        buffer, shape, tuple(s * dt.itemsize for s in strides)
    )
    return Tensor(data, dtype=dt, requires_grad=requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A zero-filled tensor of shape `size` laid out in memory in the dimension order
    `physical_layout` (outermost first): empty_permuted((N, C, H, W), (0, 2, 3, 1)) is
    channels-last."""
    check_cpu("empty_permuted", device)
    shape = _sizes("empty_permuted", (size,))
    order = _sizes("empty_permuted", (physical_layout,))
    if sorted(order) != np.arange(len(shape)).tolist():  # `range` is torch.range here
        raise ValueError(
            f"empty_permuted: physical_layout must be a permutation of 0..{len(shape) - 1}, "
            f"got {order}"
        )
    dt = default_float(dtype)
    physical = np.zeros([shape[d] for d in order], dtype=dt)
    return Tensor(physical.transpose(np.argsort(order)), dtype=dt, requires_grad=requires_grad)


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    """A 1-D tensor over the bytes of an object with the buffer protocol (no copy: writes
    show on both sides), skipping `offset` bytes and reading `count` elements (-1: all)."""
    dt = np.dtype(dtype)
    try:
        data = np.frombuffer(buffer, dtype=dt, count=count, offset=offset)
    except (TypeError, ValueError) as error:
        raise ValueError(f"frombuffer: cannot read {dt} from {type(buffer).__name__} "
                         f"(count={count}, offset={offset}): {error}") from None
    return Tensor(data, dtype=dt, requires_grad=requires_grad)


def fill(input: Tensor, value) -> Tensor:  # noqa: A002 - torch's name
    """A new tensor of input's shape and dtype filled with `value` (torch.fill, out of
    place); a 0-d Tensor value receives the summed gradient."""
    if isinstance(value, Tensor):
        if value.data.ndim != 0:
            raise ValueError(
                f"fill: value must be a number or a 0-d tensor, got shape {value.data.shape}"
            )
        return clone(movement.expand(value.to(input.data.dtype), *input.data.shape))
    return Tensor(np.full(input.data.shape, value, dtype=input.data.dtype),
                  dtype=input.data.dtype)


def range(start=0, end=None, step=1, *, dtype=None, layout=None, device=None,  # noqa: A001
          pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """Deprecated torch.range: start, start + step, ... up to and INCLUDING end, so
    floor((end - start) / step) + 1 values, of the default float dtype unless dtype= is
    given (also for int arguments, as torch). Warns, as torch; use `arange` (end excluded)."""
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
        "which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    check_cpu("range", device)
    if end is None:
        raise TypeError("range: expected start and end (the end is included)")
    if step == 0:
        raise ValueError("range: step must be non-zero")
    if (end - start) * step < 0:
        raise ValueError(
            f"range: upper bound and lower bound inconsistent with step sign (start={start}, "
            f"end={end}, step={step})"
        )
    count = int(math.floor((end - start) / step)) + 1
    dt = default_float(dtype)
    values = start + np.arange(count, dtype=np.float64) * step
    return Tensor(values.astype(dt), dtype=dt, requires_grad=requires_grad)
