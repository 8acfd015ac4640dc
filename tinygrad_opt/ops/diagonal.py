"""Diagonals: diagonal, diag, diag_embed, trace, and the index lists tril_indices /
triu_indices.

`diagonal` picks positions (i + max(-offset, 0), i + max(offset, 0)) of the plane
(dim1, dim2) and appends them as the last dimension, as torch; `diag_embed` is its exact
adjoint (it writes the last dimension onto such a diagonal of zeros), so each one's
backward is the other's forward.
"""

from __future__ import annotations

import numpy as np

from ..devices import check_cpu
from ..tensor import Tensor
from .axes import normalize_axis
from .creation import _dtype


def _diagonal_positions(n1: int, n2: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    length = max(min(n1 + min(offset, 0), n2 - max(offset, 0)), 0)
    steps = np.arange(length)
    return steps + max(-offset, 0), steps + max(offset, 0)


def _take_diagonal(a: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    moved = np.moveaxis(a, (d1, d2), (-2, -1))
    rows, cols = _diagonal_positions(moved.shape[-2], moved.shape[-1], offset)
    return moved[..., rows, cols]


def _embed_diagonal(v: np.ndarray, offset: int, d1: int, d2: int, n1: int, n2: int):
    """Zeros with v's last dimension on the diagonal `offset` of the plane (d1, d2) of size
    (n1, n2); the other dimensions of v stay in order."""
    out = np.zeros(v.shape[:-1] + (n1, n2), dtype=v.dtype)
    rows, cols = _diagonal_positions(n1, n2, offset)
    out[..., rows, cols] = v
    return np.moveaxis(out, (-2, -1), (d1, d2))


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal `offset` (> 0 above, < 0 below) of the plane (dim1, dim2), as the last
    dimension (torch.diagonal; a copy here, a view in torch)."""
    a = x.data
    if a.ndim < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got shape {a.shape}")
    d1 = normalize_axis("diagonal", dim1, a.ndim)
    d2 = normalize_axis("diagonal", dim2, a.ndim)
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    out = _take_diagonal(a, offset, d1, d2)
    n1, n2 = a.shape[d1], a.shape[d2]
    return Tensor.make(out, (x,), lambda g: (_embed_diagonal(g, offset, d1, d2, n1, n2),))


_diagonal = diagonal  # diag's argument `diagonal` hides the function there, as in torch


def diag_embed(x: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor whose planes (dim1, dim2) have x's last dimension on diagonal `offset` and
    zeros elsewhere (torch.diag_embed); dim1/dim2 count in the output's dimensions."""
    a = x.data
    if a.ndim == 0:
        raise ValueError("diag_embed: needs at least 1 dimension, got a 0-d tensor")
    d1 = normalize_axis("diag_embed", dim1, a.ndim + 1)
    d2 = normalize_axis("diag_embed", dim2, a.ndim + 1)
    if d1 == d2:
        raise ValueError(f"diag_embed: dim1 and dim2 must differ, got {dim1} and {dim2}")
    n = a.shape[-1] + abs(offset)
    out = _embed_diagonal(a, offset, d1, d2, n, n)
    return Tensor.make(out, (x,), lambda g: (_take_diagonal(g, offset, d1, d2),))


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """1-D x: a square matrix with x on diagonal `diagonal`; 2-D x: that diagonal as a
    vector (torch.diag)."""
    ndim = x.data.ndim
    if ndim == 1:
        return diag_embed(x, diagonal, 0, 1)
    if ndim == 2:
        return _diagonal(x, diagonal, 0, 1)
    raise ValueError(f"diag: expects a 1-D or 2-D tensor, got shape {x.shape}")


def trace(x: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor (torch.trace; integer input gives int64)."""
    if x.data.ndim != 2:
        raise ValueError(f"trace: expects a 2-D tensor, got shape {x.shape}")
    d = diagonal(x)
    if d.data.dtype.kind in "biu":
        return Tensor(d.data.sum(dtype=np.int64))
    return d.sum()


def _index_pairs(op: str, row: int, col: int, offset: int, dtype, lower: bool) -> Tensor:
    for name, value in (("row", row), ("col", col)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{op}: {name} must be an int >= 0, got {value!r}")
    dt = np.dtype(np.int64) if dtype is None else _dtype(dtype)
    if dt.kind not in "iu":
        raise TypeError(f"{op}: dtype must be an integer type, got {dt}")
    find = np.tril_indices if lower else np.triu_indices
    rows, cols = find(int(row), int(offset), int(col))  # row-major order, as torch
    return Tensor(np.stack([rows, cols]).astype(dt))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) indices of the lower triangle (j - i <= offset) of a row x col matrix,
    in row-major order (torch.tril_indices); int64 by default."""
    check_cpu("tril_indices", device)
    return _index_pairs("tril_indices", row, col, offset, dtype, True)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """The (2, N) indices of the upper triangle (j - i >= offset), as tril_indices."""
    check_cpu("triu_indices", device)
    return _index_pairs("triu_indices", row, col, offset, dtype, False)
