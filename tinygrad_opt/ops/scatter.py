"""Writing values at indices, and reading them back: scatter, scatter_add, index_add,
index_fill, index_copy, masked_scatter (out of place; the `_` forms are in ops/in_place.py),
and take, take_along_dim, masked_select.

Gradients, as torch: the input gets the output's gradient except at the positions that
were overwritten (scatter, index_fill, index_copy, masked_scatter) and the written values
get the output's gradient read back at their positions. When an index repeats, which of the
written values lands is unspecified (torch: nondeterministic; here numpy's last write),
and each written value's gradient is still read from its position.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .axes import normalize_axis
from .indexing import _check_range, _index_array, gather, index_select, scatter_add_rows
from .movement import expand, reshape


def _positions(idx: np.ndarray, ax: int) -> tuple:
    """The full index of the elements `idx` names along `ax` (gather's / scatter's rule)."""
    return tuple(
        idx if d == ax else np.arange(m).reshape((-1,) + (1,) * (idx.ndim - d - 1))
        for d, m in enumerate(idx.shape)
    )


def _scatter_checks(op: str, a: np.ndarray, idx: np.ndarray, ax: int, src_shape) -> None:
    if idx.ndim != a.ndim:
        raise ValueError(
            f"{op}: index has {idx.ndim} dimensions but the tensor has {a.ndim}; they must match"
        )
    for d, m in enumerate(idx.shape):
        if src_shape is not None and m > src_shape[d]:
            raise ValueError(
                f"{op}: index shape {idx.shape} is larger than src's shape {tuple(src_shape)} "
                f"at dimension {d}"
            )
        if d != ax and m > a.shape[d]:
            raise ValueError(
                f"{op}: index shape {idx.shape} is larger than the tensor's shape {a.shape} "
                f"at dimension {d} (only dimension {ax} may be larger)"
            )
    _check_range(op, idx, a.shape[ax], ax)


def scatter(x: Tensor, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """out = x, then out[index[i][j]][j] = src[i][j] for dim 0 (and so on), as
    torch.scatter; `src` may be a tensor or a number (also given as `value=`). reduce=None
    replaces; 'add' and 'multiply' combine with what is there (no gradient for 'multiply')."""
    a = x.data
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: give src (a tensor) or value (a number)")
    if reduce not in (None, "add", "multiply"):
        raise ValueError(f"scatter: reduce must be None, 'add' or 'multiply', got {reduce!r}")
    idx = _index_array("scatter", index)
    ax = normalize_axis("scatter", dim, a.ndim)
    if a.ndim == 0 and idx.ndim <= 1:  # as torch: a 0-d tensor scatters as a 1-element vector
        if isinstance(src, Tensor) and src.data.ndim == 0:
            src = reshape(src, (1,))
        return reshape(scatter(reshape(x, (1,)), 0, idx.reshape(-1), src, reduce=reduce), ())
    ts = src if isinstance(src, Tensor) else None
    if ts is None and (idx.ndim != a.ndim and idx.size):
        raise ValueError(f"scatter: index must have {a.ndim} dimensions, got {idx.ndim}")
    if idx.size == 0:
        return Tensor.make(a.copy(), (x,), lambda g: (g,))
    _scatter_checks("scatter", a, idx, ax, None if ts is None else ts.data.shape)
    where = _positions(idx, ax)
    if ts is None:
        values = np.asarray(src).astype(a.dtype)
    else:
        values = ts.data[tuple(slice(0, m) for m in idx.shape)].astype(a.dtype, copy=False)
    out = a.copy()
    if reduce is None:
        out[where] = values
    elif reduce == "add":
        np.add.at(out, where, np.broadcast_to(values, idx.shape))
    else:
        if x.requires_grad or (ts is not None and ts.requires_grad):
            raise RuntimeError("scatter: reduce='multiply' has no gradient; use it under no_grad")
        np.multiply.at(out, where, np.broadcast_to(values, idx.shape))

    def backward(g):
        gx = None
        if x.requires_grad:
            gx = g if reduce == "add" else g.copy()
            if reduce is None:
                gx[where] = 0
        if ts is None:
            return (gx,)
        gsrc = None
        if ts.requires_grad:
            gsrc = np.zeros(ts.data.shape, dtype=g.dtype)
            gsrc[tuple(slice(0, m) for m in idx.shape)] = g[where]
        return gx, gsrc

    return Tensor.make(out, (x,) if ts is None else (x, ts), backward)


def scatter_add(x: Tensor, dim: int, index, src: Tensor) -> Tensor:
    """out = x, then out[index[i][j]][j] += src[i][j] for dim 0 (torch.scatter_add); repeated
    indices add up."""
    if not isinstance(src, Tensor):
        src = Tensor(src)
    return scatter(x, dim, index, src, reduce="add")


def _index_checks(op: str, x: Tensor, dim: int, index, source) -> tuple[np.ndarray, int]:
    a = x.data
    if a.ndim == 0:
        raise ValueError(f"{op}: needs a tensor with at least 1 dimension, got a 0-d tensor")
    idx = _index_array(op, index)
    if idx.ndim > 1:
        raise ValueError(f"{op}: index must be 1-D or 0-d, got shape {idx.shape}")
    idx = idx.reshape(-1)
    ax = normalize_axis(op, dim, a.ndim)
    _check_range(op, idx, a.shape[ax], ax)
    if source is not None:
        want = a.shape[:ax] + (idx.size,) + a.shape[ax + 1 :]
        if source.data.shape != want:
            raise ValueError(
                f"{op}: source has shape {source.data.shape}; expected {want} (the tensor's "
                f"shape with dimension {dim} of length len(index) = {idx.size})"
            )
    return idx, ax


def index_add(x: Tensor, dim: int, index, source, *, alpha=1) -> Tensor:
    """out = x, then out[..., index[i], ...] += alpha * source[..., i, ...] along `dim`
    (torch.index_add); repeated indices add up."""
    source = source if isinstance(source, Tensor) else Tensor(source)
    idx, ax = _index_checks("index_add", x, dim, index, source)
    a = x.data
    if a.dtype.kind != "f" and isinstance(alpha, float) and not alpha.is_integer():
        raise TypeError(
            f"index_add: a float alpha ({alpha}) needs a floating tensor, got {a.dtype}"
        )
    moved = np.moveaxis(a, ax, 0).copy()  # a C-contiguous copy, as the row kernel needs
    added = source.data.astype(a.dtype, copy=False) * np.asarray(alpha).astype(a.dtype)
    scatter_add_rows(moved, idx, np.moveaxis(added, ax, 0))
    out = np.moveaxis(moved, 0, ax)

    def backward(g):
        gs = np.take(g, idx, axis=ax) * alpha if source.requires_grad else None
        return g, gs

    return Tensor.make(out, (x, source), backward)


def index_fill(x: Tensor, dim: int, index, value) -> Tensor:
    """x with every slice at `index` along `dim` set to `value` (a number or a 0-d tensor,
    which gets the summed gradient of the slices), as torch.index_fill."""
    idx, ax = _index_checks("index_fill", x, dim, index, None)
    a = x.data
    tv = value if isinstance(value, Tensor) else None
    if tv is not None and tv.data.ndim != 0:
        raise ValueError(f"index_fill: value must be a number or a 0-d tensor, got {tv.shape}")
    where = (slice(None),) * ax + (idx,)
    out = a.copy()
    out[where] = np.asarray(tv.data if tv is not None else value).astype(a.dtype)

    def backward(g):
        gx = g.copy()
        gx[where] = 0
        if tv is None:
            return (gx,)
        filled = (slice(None),) * ax + (np.unique(idx),)
        return gx, np.sum(g[filled]).reshape(())

    return Tensor.make(out, (x,) if tv is None else (x, tv), backward)


def index_copy(x: Tensor, dim: int, index, source) -> Tensor:
    """x with the slices at `index` along `dim` replaced by source's slices (torch.index_copy)."""
    source = source if isinstance(source, Tensor) else Tensor(source)
    idx, ax = _index_checks("index_copy", x, dim, index, source)
    a = x.data
    where = (slice(None),) * ax + (idx,)
    out = a.copy()
    out[where] = source.data

    def backward(g):
        gx = g.copy()
        gx[where] = 0
        return gx, np.take(g, idx, axis=ax)

    return Tensor.make(out, (x, source), backward)


def _bool_mask(op: str, mask) -> np.ndarray:
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"{op}: the mask must be a bool tensor, got dtype {m.dtype}")
    return m


def masked_scatter(x: Tensor, mask, source) -> Tensor:
    """x with the positions where `mask` (broadcast with x) is true filled, in row-major
    order, by the first elements of `source` (torch.masked_scatter)."""
    source = source if isinstance(source, Tensor) else Tensor(source)
    m = _bool_mask("masked_scatter", mask)
    a = x.data
    try:
        shape = np.broadcast_shapes(m.shape, a.shape)
    except ValueError:
        raise ValueError(
            f"masked_scatter: mask of shape {m.shape} and tensor of shape {a.shape} cannot "
            "broadcast"
        ) from None
    m = np.broadcast_to(m, shape)
    k = int(m.sum())
    if source.data.size < k:
        raise ValueError(
            f"masked_scatter: the mask selects {k} elements but source has only "
            f"{source.data.size}"
        )
    out = np.array(np.broadcast_to(a, shape))
    out[m] = source.data.reshape(-1)[:k]

    def backward(g):
        gs = np.zeros(source.data.size, dtype=g.dtype)
        gs[:k] = g[m]
        return np.where(m, 0, g), gs.reshape(source.data.shape)

    return Tensor.make(out, (x, source), backward)


def masked_select(x: Tensor, mask) -> Tensor:
    """The elements where `mask` (broadcast with x) is true, as a 1-D tensor in row-major
    order (torch.masked_select)."""
    m = _bool_mask("masked_select", mask)
    try:
        shape = np.broadcast_shapes(m.shape, x.data.shape)
    except ValueError:
        raise ValueError(
            f"masked_select: mask of shape {m.shape} and tensor of shape {x.data.shape} "
            "cannot broadcast"
        ) from None
    full = x if x.data.shape == shape else expand(x, *shape)
    return full[np.broadcast_to(m, shape)]


def take(x: Tensor, index) -> Tensor:
    """x treated as 1-D, read at `index` (any shape; negative indices count from the end),
    with index's shape (torch.take)."""
    idx = _index_array("take", index)
    n = x.data.size
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"take: an index is out of range for a tensor of {n} elements")
    flat = index_select(reshape(x, -1), 0, idx.reshape(-1) % max(n, 1))
    return reshape(flat, idx.shape)


def take_along_dim(x: Tensor, indices, dim=None) -> Tensor:
    """x read at `indices` along `dim` (torch.take_along_dim = np.take_along_axis; x and
    indices broadcast outside `dim`; negative indices count from the end); dim=None reads
    the flattened x at the flattened indices."""
    idx = _index_array("take_along_dim", indices)
    if dim is None:
        return take(x, idx.reshape(-1))
    a = x.data
    if idx.ndim != a.ndim:
        raise ValueError(
            f"take_along_dim: indices have {idx.ndim} dimensions but the tensor has {a.ndim}"
        )
    ax = normalize_axis("take_along_dim", dim, a.ndim)
    n = a.shape[ax]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(
            f"take_along_dim: an index is out of range for dimension {dim} of size {n}"
        )
    try:
        common = np.broadcast_shapes(
            a.shape[:ax] + (1,) + a.shape[ax + 1 :], idx.shape[:ax] + (1,) + idx.shape[ax + 1 :]
        )
    except ValueError:
        raise ValueError(
            f"take_along_dim: shapes {a.shape} and {idx.shape} cannot broadcast outside dim {dim}"
        ) from None
    full = expand(x, *(common[:ax] + (n,) + common[ax + 1 :]))
    idx = np.broadcast_to(idx % max(n, 1), common[:ax] + (idx.shape[ax],) + common[ax + 1 :])
    return gather(full, ax, idx)
