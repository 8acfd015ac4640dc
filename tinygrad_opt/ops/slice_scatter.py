"""slice_scatter, select_scatter and diagonal_scatter: a copy of x with one view of it
(x[..., start:end:step, ...], x.select(dim, index), x.diagonal(offset, dim1, dim2)) replaced
by src, which must have that view's shape (torch's rule; src is cast to x's dtype, as torch).

Gradients: x gets the output's gradient with the view zeroed, src the view of it.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .axes import normalize_axis
from .diagonal import _diagonal_positions
from .rearrange import _int


def _write_view(op: str, x: Tensor, src, where: tuple, moved_from: int | None) -> Tensor:
    """x with x.data[where] replaced by src. `moved_from`: where numpy's advanced indexing
    puts the dimension that src has last (diagonal_scatter), None for a plain view."""
    ts = src if isinstance(src, Tensor) else Tensor(src)
    a = x.data

    def view_of(arr: np.ndarray) -> np.ndarray:
        part = arr[where]
        return part if moved_from is None else np.moveaxis(part, moved_from, -1)

    want = view_of(a).shape
    if ts.data.shape != want:
        raise ValueError(f"{op}: src has shape {ts.data.shape}; expected {want}, the shape of "
                         "the part of the tensor it replaces")
    if a.dtype.kind in "iub" and ts.data.dtype.kind == "f":
        raise TypeError(f"{op}: src of dtype {ts.data.dtype} cannot be written into a "
                        f"{a.dtype} tensor")
    written = ts.data if moved_from is None else np.moveaxis(ts.data, -1, moved_from)
    out = a.copy()
    out[where] = written

    def backward(g):
        gx = None
        if x.requires_grad:
            gx = g.copy()
            gx[where] = 0
        return gx, (view_of(g) if ts.requires_grad else None)

    return Tensor.make(out, (x, ts), backward)


def slice_scatter(x: Tensor, src, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """x with x[..., start:end:step, ...] along `dim` replaced by src (torch.slice_scatter);
    step must be positive, as torch."""
    a = x.data
    if a.ndim == 0:
        raise ValueError("slice_scatter: needs a tensor with at least 1 dimension, got 0-d")
    ax = normalize_axis("slice_scatter", dim, a.ndim)
    step = _int("slice_scatter", "step", step)
    if step <= 0:
        raise ValueError(f"slice_scatter: step must be positive, got {step}")
    bounds = [None if v is None else _int("slice_scatter", name, v)
              for name, v in (("start", start), ("end", end))]
    where = (slice(None),) * ax + (slice(bounds[0], bounds[1], step),)
    return _write_view("slice_scatter", x, src, where, None)


def select_scatter(x: Tensor, src, dim: int, index: int) -> Tensor:
    """x with the slice at `index` along `dim` (negative counts from the end) replaced by
    src, whose shape is x's without `dim` (torch.select_scatter)."""
    a = x.data
    if a.ndim == 0:
        raise ValueError("select_scatter: needs a tensor with at least 1 dimension, got 0-d")
    ax = normalize_axis("select_scatter", dim, a.ndim)
    i = _int("select_scatter", "index", index)
    n = a.shape[ax]
    if not -n <= i < n:
        raise IndexError(
            f"select_scatter: index {i} is out of range for dimension {dim} of size {n}"
        )
    return _write_view("select_scatter", x, src, (slice(None),) * ax + (i % n,), None)


def diagonal_scatter(x: Tensor, src, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """x with its diagonal `offset` of the plane (dim1, dim2) replaced by src, shaped as
    x.diagonal(offset, dim1, dim2) (the diagonal last), as torch.diagonal_scatter."""
    a = x.data
    if a.ndim < 2:
        raise ValueError(f"diagonal_scatter: needs at least 2 dimensions, got shape {a.shape}")
    d1 = normalize_axis("diagonal_scatter", dim1, a.ndim)
    d2 = normalize_axis("diagonal_scatter", dim2, a.ndim)
    if d1 == d2:
        raise ValueError(f"diagonal_scatter: dim1 and dim2 must differ, got {dim1} and {dim2}")
    offset = _int("diagonal_scatter", "offset", offset)
    rows, cols = _diagonal_positions(a.shape[d1], a.shape[d2], offset)
    where = [slice(None)] * a.ndim
    where[d1], where[d2] = rows, cols
    # numpy keeps two advanced indices' dimension in place when they are adjacent, else
    # puts it first
    moved_from = min(d1, d2) if abs(d1 - d2) == 1 else 0
    return _write_view("diagonal_scatter", x, src, tuple(where), moved_from)
