"""Running (scan) ops along one dimension: cumprod, cummax, cummin, logcumsumexp, and the
n-th discrete difference diff, as PyTorch.

cummax/cummin return `(values, indices)`; at ties the later index wins and a NaN, once
seen, stays the value (its index moves to each later NaN), as PyTorch. Gradients: cumprod's
handles zeros exactly (below); cummax/cummin send each output's gradient to its index.
"""

from __future__ import annotations

import numpy as np

from ..default_dtype import default_float
from ..tensor import Tensor
from .axes import normalize_axis
from .join import cat
from .sort import ValuesIndices


def _dim(op: str, x: Tensor, dim, axis) -> int:
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: pass axis= or dim=, not both")
        dim = axis
    if dim is None:
        raise TypeError(f"{op}: dim is required (an int), as torch.{op}")
    return normalize_axis(op, dim, x.data.ndim)


def scatter_add(shape, ax: int, index: np.ndarray, values: np.ndarray) -> np.ndarray:
    """An array of `shape` with `values` added at `index` along `ax` (`index` and `values`
    have one shape, equal to `shape` except along `ax`); repeated indices accumulate."""
    grids = np.indices(index.shape, sparse=True)
    where = tuple(index if d == ax else grids[d] for d in range(len(shape)))
    flat = np.ravel_multi_index(np.broadcast_arrays(*where), shape).reshape(-1)
    total = np.bincount(flat, weights=np.broadcast_to(values, index.shape).reshape(-1),
                        minlength=int(np.prod(shape)))
    return total.reshape(shape).astype(values.dtype, copy=False)


def _reverse_cumsum(v: np.ndarray, ax: int) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(v, ax), axis=ax), ax)


def cumprod(x: Tensor, dim=None, *, axis=None, dtype=None) -> Tensor:
    """Running product along `dim`; integer and bool tensors give int64, as torch.cumprod.

    d y_k / d x_i = y_k / x_i before the first zero of a slice; at the first zero z it is
    the running product with x_z replaced by 1; after z it is 0. So zeros give exact
    gradients without dividing by zero."""
    ax = _dim("cumprod", x, dim, axis)
    a = x.data if dtype is None else x.data.astype(dtype)
    if a.ndim == 0:
        return Tensor.make(a.astype(np.int64) if a.dtype.kind in "biu" else a.copy(), (x,),
                           lambda g: (g,))
    out = np.cumprod(a, axis=ax, dtype=np.int64 if a.dtype.kind in "biu" else None)

    def backward(g):
        n = a.shape[ax]
        zero = a == 0
        position = np.arange(n).reshape((-1,) + (1,) * (a.ndim - 1 - ax))
        first = np.where(np.any(zero, axis=ax, keepdims=True),
                         np.argmax(zero, axis=ax, keepdims=True), n)
        with np.errstate(divide="ignore", invalid="ignore"):
            before = _reverse_cumsum(g * out, ax) / a
        at_first = position == first
        ones = np.where(at_first, 1, a)
        at = _reverse_cumsum(g * np.cumprod(ones, axis=ax), ax)
        return (np.where(position < first, before, np.where(at_first, at, 0)),)

    return Tensor.make(out, (x,), backward)


def _cumulative_extreme(op: str, x: Tensor, dim, axis, ufunc) -> ValuesIndices:
    ax = _dim(op, x, dim, axis)
    a = x.data
    if a.ndim == 0:
        return ValuesIndices(Tensor.make(a.copy(), (x,), lambda g: (g,)),
                             Tensor(np.zeros((), np.int64)))
    out = ufunc.accumulate(a, axis=ax)  # np.maximum propagates NaN, as PyTorch
    position = np.arange(a.shape[ax]).reshape((-1,) + (1,) * (a.ndim - 1 - ax))
    hit = a == out
    if a.dtype.kind == "f":
        hit |= np.isnan(a)
    index = np.maximum.accumulate(np.where(hit, position, -1), axis=ax).astype(np.int64)

    def backward(g):
        return (scatter_add(a.shape, ax, index, g),)

    return ValuesIndices(Tensor.make(out, (x,), backward), Tensor(index))


def cummax(x: Tensor, dim=None, *, axis=None) -> ValuesIndices:
    """Running maximum along `dim`: `(values, indices)`."""
    return _cumulative_extreme("cummax", x, dim, axis, np.maximum)


def cummin(x: Tensor, dim=None, *, axis=None) -> ValuesIndices:
    """Running minimum along `dim`: `(values, indices)`."""
    return _cumulative_extreme("cummin", x, dim, axis, np.minimum)


def _log_reverse_cumsum(logv: np.ndarray, ax: int) -> np.ndarray:
    return np.flip(np.logaddexp.accumulate(np.flip(logv, ax), axis=ax), ax)


def logcumsumexp(x: Tensor, dim=None, *, axis=None) -> Tensor:
    """log(cumsum(exp(x))) along `dim` without overflow (numpy's logaddexp.accumulate).
    The gradient sum_{k>=j} g_k exp(x_j - y_k) is summed in log space, positive and negative
    parts of g apart, so large x neither overflows nor loses the small terms."""
    ax = _dim("logcumsumexp", x, dim, axis)
    a = x.data if x.data.dtype.kind == "f" else x.data.astype(default_float())
    if a.ndim == 0:
        return Tensor.make(a.copy(), (x,), lambda g: (g,))
    out = np.logaddexp.accumulate(a, axis=ax)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            pos = _log_reverse_cumsum(np.log(np.maximum(g, 0)) - out, ax)
            neg = _log_reverse_cumsum(np.log(np.maximum(-g, 0)) - out, ax)
            return (np.exp(a + pos) - np.exp(a + neg),)

    return Tensor.make(out, (x,), backward)


def diff(x: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """n-th forward difference along `dim`, after concatenating prepend/append (tensors with
    x's number of dimensions) as torch.diff; bool tensors give `!=` of neighbours."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"diff: n must be a non-negative int, got {n!r}")
    if x.data.ndim == 0:
        raise ValueError("diff: expects a tensor with at least one dimension, got a 0-d tensor")
    ax = normalize_axis("diff", dim, x.data.ndim)
    parts = []
    for name, extra in (("prepend", prepend), (None, x), ("append", append)):
        if extra is None:
            continue
        extra = extra if isinstance(extra, Tensor) else Tensor(extra)
        if extra.data.ndim != x.data.ndim:
            raise ValueError(
                f"diff: {name} must have as many dimensions as input ({x.data.ndim}), got "
                f"shape {extra.data.shape}"
            )
        parts.append(extra)
    out = cat(parts, dim=ax) if len(parts) > 1 else x
    head = (slice(None),) * ax
    for _ in range(n):
        if out.data.shape[ax] == 0:
            break
        later, earlier = out[head + (slice(1, None),)], out[head + (slice(None, -1),)]
        if out.data.dtype.kind == "b":
            out = Tensor(later.data != earlier.data)
        else:
            out = later - earlier
    return out


def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """Trapezoid rule along `dim`: sum of (y[i] + y[i+1]) / 2 * (x[i+1] - x[i]), with sample
    points x (1-D, or broadcasting with y) or a constant spacing dx (default 1)."""
    if x is not None and dx is not None:
        raise TypeError("trapezoid: pass x or dx, not both")
    if y.data.ndim == 0:
        raise ValueError("trapezoid: y must have at least one dimension, got a 0-d tensor")
    ax = normalize_axis("trapezoid", dim, y.data.ndim)
    head = (slice(None),) * ax
    if y.data.dtype.kind != "f":
        y = y.float()
    pairs = y[head + (slice(1, None),)] + y[head + (slice(None, -1),)]
    if x is None:
        return (pairs.sum(axis=ax) * (0.5 * (1.0 if dx is None else dx)))
    return (pairs * sample_steps("trapezoid", x, y, ax, dim)).sum(axis=ax) * 0.5


def sample_steps(op: str, x, y: Tensor, ax: int, dim: int) -> Tensor:
    """x[i+1] - x[i] along y's axis `ax` (given as `dim`), for the trapezoid rules: a 1-D x
    must have y's length there and is shaped to broadcast along it; any other x (which
    broadcasts with y) is differenced along `dim`, as torch."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.data.ndim == 1:
        if x.data.shape[0] != y.data.shape[ax]:
            raise ValueError(
                f"{op}: x has {x.data.shape[0]} points but y has {y.data.shape[ax]} along "
                f"dimension {dim}"
            )
        return diff(x).reshape((-1,) + (1,) * (y.data.ndim - 1 - ax))
    return diff(x, dim=dim)


trapz = trapezoid
