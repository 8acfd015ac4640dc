"""`tensor[index]` with ints, slices, None, Ellipsis, integer arrays/Tensors and boolean masks.

Basic indexing and boolean masks select each element at most once, so backward hands the
engine its slice (tensor.SlicedGrad), added into one buffer per input: a loop over x[t]
costs O(x) in all, not O(x) per step. Integer arrays scatter into zeros of the input's
shape; they may repeat an index, and then the contributions must add up. The common case,
one integer array picking rows (embeddings, gathering samples), uses a Numba kernel about
20x faster than np.add.at; other integer-array indexing uses np.add.at. The methods gather
and index_select follow the same rule.
"""

from __future__ import annotations

import numpy as np

from ..jit import kernel
from ..tensor import SlicedGrad, Tensor
from .axes import normalize_axis


@kernel(parallel=False)  # serial: two repeated indices must not add into one row at once
def _add_rows(target, rows, values):
    n = target.shape[0]
    for i in range(rows.shape[0]):
        r = rows[i]
        if r < 0:
            r += n
        for j in range(target.shape[1]):
            target[r, j] += values[i, j]


def scatter_add_rows(target: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """`np.add.at(target, rows, values)` for a 1-D integer `rows` indexing target's first axis
    (indices already checked to be in [-n, n)); `target` must be C-contiguous."""
    if rows.size == 0 or target.size == 0:
        return  # nothing to add (and reshape(0, -1) would be ambiguous)
    n = target.shape[0]
    _add_rows(
        target.reshape(n, -1),
        np.ascontiguousarray(rows, dtype=np.int64),
        np.ascontiguousarray(values, dtype=target.dtype).reshape(rows.shape[0], -1),
    )


def _convert(item):
    """Tensors and lists become arrays; everything else numpy understands as is."""
    if isinstance(item, Tensor):
        return item.data
    if isinstance(item, list):
        return np.asarray(item)
    return item


def _has_int_array(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def getitem(x: Tensor, index) -> Tensor:
    if isinstance(index, tuple):
        index = tuple(_convert(i) for i in index)
    else:
        index = _convert(index)
    a = x.data
    try:
        out = a[index]
    except IndexError as error:
        raise IndexError(f"getitem: index {index!r} invalid for shape {a.shape}: {error}") from None
    repeats_possible = _has_int_array(index)
    rows_only = (
        repeats_possible and isinstance(index, np.ndarray) and index.ndim == 1 and a.ndim >= 1
    )

    def backward(g):
        if not repeats_possible:  # each element once: the engine adds g into one buffer
            return (SlicedGrad(index, g),)
        grad = np.zeros(a.shape, dtype=g.dtype)
        if rows_only:
            scatter_add_rows(grad, index, g)
        else:
            np.add.at(grad, index, g)
        return (grad,)

    return Tensor.make(np.asarray(out), (x,), backward)


def _index_array(op: str, index) -> np.ndarray:
    idx = index.data if isinstance(index, Tensor) else np.asarray(index)
    if idx.size == 0 and not isinstance(index, Tensor):
        idx = idx.astype(np.int64)  # np.asarray([]) is float64
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {idx.dtype}")
    return idx


def _check_range(op: str, idx: np.ndarray, size: int, dim: int) -> None:
    """Indices must lie in [0, size) (negative ones are refused, as PyTorch)."""
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(
            f"{op}: index {bad} is out of range for dimension {dim} of size {size} "
            f"(expected 0 to {size - 1})"
        )


def gather(x: Tensor, dim: int, index) -> Tensor:
    """out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (and so on), as torch.gather: `index`
    has x's number of dimensions and no larger size than x outside `dim`; the output has
    index's shape. The gradient scatter-adds, so repeated indices accumulate."""
    a = x.data
    idx = _index_array("gather", index)
    ax = normalize_axis("gather", dim, a.ndim)
    if idx.ndim != a.ndim:
        raise ValueError(
            f"gather: index has {idx.ndim} dimensions but the tensor has {a.ndim}; they must match"
        )
    if a.ndim == 0:
        _check_range("gather", idx.reshape(1), 1, dim)
        return Tensor.make(a.copy(), (x,), lambda g: (g,))
    for d, (n, m) in enumerate(zip(a.shape, idx.shape)):
        if d != ax and m > n:
            raise ValueError(
                f"gather: index shape {idx.shape} is larger than the tensor's shape {a.shape} "
                f"at dimension {d} (only dimension {ax} may be larger)"
            )
    _check_range("gather", idx, a.shape[ax], ax)
    where = tuple(
        idx if d == ax else np.arange(m).reshape((-1,) + (1,) * (idx.ndim - d - 1))
        for d, m in enumerate(idx.shape)
    )
    out = a[where]

    def backward(g):
        # np.add.at(grad, where, g) as one bincount over flat positions (~3x faster; the sums
        # run in float64, then take g's dtype)
        flat = np.ravel_multi_index(np.broadcast_arrays(*where), a.shape).ravel()
        sums = np.bincount(flat, weights=g.ravel(), minlength=a.size)
        return (sums.astype(g.dtype, copy=False).reshape(a.shape),)

    return Tensor.make(out, (x,), backward)


def index_select(x: Tensor, dim: int, index) -> Tensor:
    """The entries at `index` (a 1-D or 0-d integer tensor) along `dim`, as
    torch.index_select; the gradient adds up over repeated indices."""
    a = x.data
    idx = _index_array("index_select", index)
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D or 0-d, got shape {idx.shape}")
    idx = idx.reshape(-1)
    ax = normalize_axis("index_select", dim, a.ndim)
    if a.ndim == 0:
        _check_range("index_select", idx, 1, dim)
        if idx.size != 1:
            raise ValueError(f"index_select: a 0-d tensor takes one index, got {idx.size}")
        return Tensor.make(a.copy(), (x,), lambda g: (g,))
    _check_range("index_select", idx, a.shape[ax], ax)
    out = np.take(a, idx, axis=ax)

    def backward(g):
        moved = np.zeros((a.shape[ax],) + tuple(np.delete(a.shape, ax)), dtype=g.dtype)
        scatter_add_rows(moved, idx, np.moveaxis(g, ax, 0))
        return (np.moveaxis(moved, 0, ax),)

    return Tensor.make(out, (x,), backward)
