"""Reducing scatters: scatter_reduce ('sum', 'prod', 'mean', 'amax', 'amin') and
index_reduce (its slice-wise form), out of place; the `_` forms are in ops/in_place.py.

Each target position reduces the src values scattered to it, plus its own value when
include_self=True; with include_self=False a position nothing is scattered to keeps its value.
'mean' divides by the number of values reduced (floor division for integer tensors, as
torch). The reductions are numpy ufunc.at / bincount over flat target positions.

Gradients, as torch: 'sum' passes the gradient through; 'mean' divides it by the count;
'prod' gives each factor the product of the other factors of its position (exact with
zeros); 'amax'/'amin' split it evenly among the values equal to the result. Deviation: with
include_self=False torch also counts a left-out self value that equals the result as a tie
(so the src ties get less than the whole gradient); here only the reduced values share it.
Deviation: src of another dtype is cast to the tensor's (torch refuses), floats into an
integer tensor excepted; reduce='mean' refuses bool tensors, as torch.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .axes import normalize_axis
from .indexing import _index_array
from .movement import reshape
from .scatter import _index_checks, _positions, _scatter_checks

REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _identity(reduce: str, dtype: np.dtype):
    """The value a position starts from when its own value is left out."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    low = reduce == "amax"  # amax starts from the lowest value, amin from the highest
    if dtype.kind == "b":
        return not low
    if dtype.kind == "f":
        return -np.inf if low else np.inf
    info = np.iinfo(dtype)
    return info.min if low else info.max


def _reduce_into(out: np.ndarray, flat: np.ndarray, values: np.ndarray, reduce: str) -> None:
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply,
             "amax": np.maximum, "amin": np.minimum}[reduce]
    ufunc.at(out.reshape(-1), flat, values)


def _check_reduce(op: str, reduce, include_self, allowed=REDUCES) -> None:
    if reduce not in allowed:
        names = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{op}: reduce must be one of {names}, got {reduce!r}")
    if not isinstance(include_self, (bool, np.bool_)):
        raise TypeError(f"{op}: include_self must be a bool, got {include_self!r}")


def _exclusive_products(factors, owners, size, g_dtype):
    """For each factor, the product of the other factors of its owner (0..size-1), exact
    when factors are 0: zero counts and products of the nonzero factors per owner."""
    zero = factors == 0
    zeros = np.bincount(owners, weights=zero.astype(np.float64), minlength=size)
    safe = np.where(zero, 1, factors)
    nonzero_prod = np.ones(size, dtype=g_dtype)
    np.multiply.at(nonzero_prod, owners, safe)
    z, p = zeros[owners], nonzero_prod[owners]
    return np.where(zero, np.where(z == 1, p, 0), np.where(z == 0, p / safe, 0))


def scatter_reduce(x: Tensor, dim: int, index, src, reduce: str, *, include_self: bool = True
                   ) -> Tensor:
    """out = x, then out[index[i][j]][j] reduced with src[i][j] for dim 0 (and so on), as
    torch.scatter_reduce; index has x's number of dimensions, no larger than src anywhere
    and than x outside `dim`; indices must lie in [0, size) (no negatives, as torch)."""
    _check_reduce("scatter_reduce", reduce, include_self)
    ts = src if isinstance(src, Tensor) else Tensor(src)
    a = x.data
    idx = _index_array("scatter_reduce", index)
    ax = normalize_axis("scatter_reduce", dim, a.ndim)
    if a.ndim == 0 and idx.ndim <= 1:  # as torch: a 0-d tensor scatters as a 1-element vector
        one = reshape(ts, (1,)) if ts.data.ndim == 0 else ts
        out = scatter_reduce(reshape(x, (1,)), 0, idx.reshape(-1), one, reduce,
                             include_self=include_self)
        return reshape(out, ())
    if idx.ndim != a.ndim:
        raise ValueError(
            f"scatter_reduce: index has {idx.ndim} dimensions but the tensor has {a.ndim}; "
            "they must match"
        )
    if ts.data.ndim != a.ndim:
        raise ValueError(
            f"scatter_reduce: src has {ts.data.ndim} dimensions but the tensor has {a.ndim}; "
            "they must match"
        )
    if a.dtype.kind in "iub" and ts.data.dtype.kind == "f":
        raise TypeError(
            f"scatter_reduce: src of dtype {ts.data.dtype} cannot be reduced into a "
            f"{a.dtype} tensor; give src the tensor's dtype"
        )
    if reduce == "mean" and a.dtype.kind == "b":  # a mean of bools is not a bool (torch refuses)
        raise TypeError("scatter_reduce: reduce='mean' needs a numeric tensor, got dtype bool")
    _scatter_checks("scatter_reduce", a, idx, ax, ts.data.shape)
    used = tuple(slice(0, m) for m in idx.shape)
    flat = np.ravel_multi_index(np.broadcast_arrays(*_positions(idx, ax)), a.shape).ravel()
    values = ts.data[used].astype(a.dtype, copy=False).ravel()
    counts = np.bincount(flat, minlength=a.size).reshape(a.shape)
    hit = counts > 0
    out = a.copy() if include_self else np.where(hit, _identity(reduce, a.dtype), a).astype(a.dtype)
    _reduce_into(out, flat, values, reduce)
    if reduce == "mean":
        # a position left alone (include_self=False, nothing scattered) divides by 1
        n = np.maximum(counts + include_self, 1)
        divide = np.true_divide if a.dtype.kind == "f" else np.floor_divide
        out = divide(out, n).astype(a.dtype, copy=False)
    # a position's own value is one of the values reduced unless it was left out
    self_in = ~hit | include_self

    def backward(g):
        gx = gs = None
        if reduce == "sum":
            gx = g if include_self else np.where(hit, 0, g)
            gv = g.reshape(-1)[flat]
        elif reduce == "mean":
            scaled = g / np.maximum(counts + include_self, 1)
            gx = scaled if include_self else np.where(hit, 0, g)
            gv = scaled.reshape(-1)[flat]
        elif reduce == "prod":
            owners = np.concatenate([np.flatnonzero(self_in), flat])
            factors = np.concatenate([a[self_in], values])
            excl = _exclusive_products(factors, owners, a.size, g.dtype)
            n_self = owners.size - flat.size
            gx = np.zeros(a.shape, dtype=g.dtype)
            gx[self_in] = g[self_in] * excl[:n_self]
            gv = g.reshape(-1)[flat] * excl[n_self:]
        else:  # amax / amin: an even split among the values equal to the result
            self_tie = self_in & (a == out)
            src_tie = values == out.reshape(-1)[flat]
            ties = self_tie + np.bincount(flat, weights=src_tie, minlength=a.size).reshape(a.shape)
            share = g / np.maximum(ties, 1)
            gx = np.where(self_tie, share, 0)
            gv = np.where(src_tie, share.reshape(-1)[flat], 0)
        if ts.requires_grad:
            gs = np.zeros(ts.data.shape, dtype=g.dtype)
            gs[used] = gv.reshape(idx.shape)
        return (gx if x.requires_grad else None), gs

    return Tensor.make(out, (x, ts), backward)


def index_reduce(x: Tensor, dim: int, index, source, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """out = x, then the slice out[..., index[i], ...] along `dim` reduced with
    source[..., i, ...] (torch.index_reduce; reduce 'prod', 'mean', 'amax' or 'amin' — torch
    has no 'sum' here, index_add is that); the gradients are scatter_reduce's."""
    _check_reduce("index_reduce", reduce, include_self, REDUCES[1:])
    source = source if isinstance(source, Tensor) else Tensor(source)
    idx, ax = _index_checks("index_reduce", x, dim, index, source)
    # the same reduction as a scatter whose index repeats index[i] over the whole slice i
    shape = [1] * source.data.ndim
    shape[ax] = idx.size
    full = np.broadcast_to(idx.reshape(shape), source.data.shape)
    return scatter_reduce(x, ax, full, source, reduce, include_self=include_self)
