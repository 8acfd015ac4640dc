"""torch's legacy and CPU-only Tensor methods: x.new(...), apply_/map_ (a Python callable per
element), resize_/resize_as_, and the unsafe_chunk/unsafe_split/unsafe_split_with_sizes
aliases (torch's skip a view check that does not exist here, so they are chunk/split).

Deviations from PyTorch: `new(*sizes)` and the elements `resize_` adds are zero-filled
(torch leaves them uninitialised); resize_ rebuilds the array, so numpy views taken of the
old `.data` no longer follow the tensor. apply_/map_ call the Python function once per
element, as torch's CPU implementation; they are for small tensors and tests.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..size import Size
from ..tensor import Tensor, mark_changed
from . import movement, reshaping_extra

unsafe_chunk = movement.chunk
unsafe_split_with_sizes = reshaping_extra.split_with_sizes


def unsafe_split(x: Tensor, split_size, dim: int = 0) -> tuple[Tensor, ...]:
    """x.split(split_size, dim) under torch's parameter name for the unsafe form."""
    return movement.split(x, split_size, dim)


def _sizes(op: str, sizes) -> tuple[int, ...]:
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
               for s in sizes):
        raise ValueError(f"{op}: sizes must be ints >= 0, got {sizes!r}")
    return tuple(int(s) for s in sizes)


def new(x: Tensor, *args, requires_grad: bool = False, device=None) -> Tensor:
    """x.new(*sizes) (zero-filled) or x.new(data), in x's dtype; x.new() is empty."""
    if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
        if not isinstance(args[0], Tensor) and np.ndim(args[0]) == 0:
            # a lone float is neither a size nor data, as torch (new(5) is a size)
            raise TypeError(f"new: data must be a sequence, got {type(args[0]).__name__}")
        value = args[0].data if isinstance(args[0], Tensor) else args[0]
        data = np.array(value, dtype=x.data.dtype)
    else:
        data = np.zeros(_sizes("new", args) if args else (0,), dtype=x.data.dtype)
    return Tensor(data, requires_grad=requires_grad)


def _check_no_grad(op: str, x: Tensor) -> None:
    # refused under no_grad too, as torch: these rewrite a leaf's values (or shape) behind
    # autograd's back, which no_grad does not make safe
    if x.requires_grad:
        raise RuntimeError(
            f"{op}: cannot be called on a tensor that requires grad; use x.detach().{op}(...)"
        )


def apply_(x: Tensor, callable) -> Tensor:  # noqa: A002 - torch's name
    """Replace each element v by callable(v), in place (CPU-only in torch)."""
    _check_no_grad("apply_", x)
    if not builtins.callable(callable):
        raise TypeError(f"apply_: expected a callable, got {type(callable).__name__}")
    a = x.data
    if a.size:
        a[...] = np.vectorize(callable, otypes=[a.dtype])(a)
    mark_changed(x)
    return x


def map_(x: Tensor, tensor, callable) -> Tensor:  # noqa: A002 - torch's names
    """Replace each element v by callable(v, w), w the element of `tensor` broadcast to x's
    shape, in place (CPU-only in torch)."""
    _check_no_grad("map_", x)
    if isinstance(tensor, Tensor):
        _check_no_grad("map_", tensor)
    if not builtins.callable(callable):
        raise TypeError(f"map_: expected a callable, got {type(callable).__name__}")
    other = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    try:
        other = np.broadcast_to(other, x.data.shape)
    except ValueError:
        raise ValueError(
            f"map_: tensor of shape {other.shape} does not broadcast to {x.data.shape}"
        ) from None
    a = x.data
    if a.size:
        a[...] = np.vectorize(callable, otypes=[a.dtype])(a, other)
    mark_changed(x)
    return x


def resize_(x: Tensor, *sizes, memory_format=None) -> Tensor:
    """x.resize_(*sizes): x takes the new shape; its elements keep their C order, extra ones
    are zero (torch: uninitialised), surplus ones are dropped."""
    _check_no_grad("resize_", x)
    shape = _sizes("resize_", sizes)
    flat = np.zeros(int(np.prod(shape, dtype=np.int64)), dtype=x.data.dtype)
    old = x.data.reshape(-1)
    kept = min(flat.size, old.size)
    flat[:kept] = old[:kept]
    x.data = flat.reshape(shape)
    mark_changed(x)
    return x


def resize_as_(x: Tensor, tensor: Tensor, memory_format=None) -> Tensor:
    """x.resize_(tensor.shape)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"resize_as_: tensor must be a Tensor, got {type(tensor).__name__}")
    return resize_(x, tensor.data.shape)
