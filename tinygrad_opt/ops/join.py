"""Joining tensors: cat (along an existing dimension) and stack (along a new one)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor
from .axes import normalize_axis
from .dtypes import promote


def _tensors(op: str, tensors) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def _common_arrays(tensors: list[Tensor]) -> list[np.ndarray]:
    """The tensors' arrays in one dtype (by the same rules as binary ops)."""
    arrays = [t.data for t in tensors]
    dtype = arrays[0].dtype
    for arr in arrays[1:]:
        if arr.dtype != dtype:
            dtype = promote(np.empty(0, dtype), np.empty(0, arr.dtype))[0].dtype
    return [arr.astype(dtype, copy=False) for arr in arrays]


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Concatenate along `dim` (torch.cat); all other sizes must match."""
    if axis is not None:
        dim = axis
    tensors = _tensors("cat", tensors)
    arrays = _common_arrays(tensors)
    ndim = arrays[0].ndim
    if ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    d = normalize_axis("cat", dim, ndim)
    shapes = [arr.shape for arr in arrays]
    for shape in shapes:
        if len(shape) != ndim or shape[:d] + shape[d + 1 :] != shapes[0][:d] + shapes[0][d + 1 :]:
            raise ValueError(
                f"cat: shapes {shapes[0]} and {shape} differ outside dimension {dim}"
            )
    out = np.concatenate(arrays, axis=d)
    bounds = np.cumsum([s[d] for s in shapes])[:-1]

    def backward(g):
        return tuple(np.split(g, bounds, axis=d))

    return Tensor.make(out, tuple(tensors), backward)


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join equal-shaped tensors along a new dimension `dim` (torch.stack)."""
    if axis is not None:
        dim = axis
    tensors = _tensors("stack", tensors)
    arrays = _common_arrays(tensors)
    for arr in arrays:
        if arr.shape != arrays[0].shape:
            raise ValueError(
                f"stack: shapes {arrays[0].shape} and {arr.shape} differ; all must match"
            )
    d = normalize_axis("stack", dim, arrays[0].ndim + 1)
    out = np.stack(arrays, axis=d)

    def backward(g):
        return tuple(np.take(g, i, axis=d) for i in range(len(arrays)))

    return Tensor.make(out, tuple(tensors), backward)
