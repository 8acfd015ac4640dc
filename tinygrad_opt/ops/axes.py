"""Parsing of dimension arguments: numpy's `axis=`/`keepdims=` and PyTorch's `dim=`/`keepdim=`."""

from __future__ import annotations

from collections.abc import Sequence


def pick(op: str, axis, dim, keepdims: bool, keepdim) -> tuple[object, bool]:
    """Merge the numpy and PyTorch spellings; giving both of one pair is an error."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: pass axis= or dim=, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return axis, bool(keepdims)


def normalize_axis(op: str, axis: int, ndim: int) -> int:
    """One axis in [-ndim, ndim) turned into [0, ndim)."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        try:
            axis = int(axis.__index__())
        except AttributeError:
            raise TypeError(f"{op}: dimension must be an int, got {type(axis).__name__}") from None
    if not -ndim <= axis < ndim and not (ndim == 0 and axis in (0, -1)):
        raise ValueError(
            f"{op}: dimension {axis} is out of range for a tensor with {ndim} dimensions "
            f"(expected {-ndim} to {ndim - 1})"
        )
    return axis % ndim if ndim else 0


def normalize_axes(op: str, axis, ndim: int) -> tuple[int, ...] | None:
    """None (all axes) or a sorted tuple of distinct non-negative axes."""
    if axis is None:
        return None
    if isinstance(axis, Sequence):
        axes = tuple(normalize_axis(op, a, ndim) for a in axis)
    else:
        axes = (normalize_axis(op, axis, ndim),)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: dimension {axis} repeats an axis")
    if ndim == 0:
        return ()
    return tuple(sorted(axes))
