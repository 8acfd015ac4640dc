"""Order statistics and moments as PyTorch: median, nanmedian, quantile, nanquantile, mode,
kthvalue, nansum, nanmean, var_mean, std_mean, count_nonzero, cov, corrcoef, dist, renorm.

Order statistics sort along the dimension (NaN last, stable) and send the gradient back to
the positions of the chosen elements. `median` is the lower median (no averaging), as
PyTorch; a slice holding NaN has median NaN (its index that of the first NaN), while the
nan* forms ignore NaN. With a `dim`, median/nanmedian/mode/kthvalue return
`(values, indices)`; without one, median/nanmedian give the value only, as PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import reduce, select, unary
from .axes import normalize_axes, normalize_axis
from .norms import _p_norm
from .scan import scatter_add
from .sort import ValuesIndices


def _pick_along(x: Tensor, index: np.ndarray, ax: int, keepdim: bool) -> ValuesIndices:
    """x's elements at `index` (keepdims shape, size 1 along ax): differentiable values and
    int64 indices."""
    a = x.data
    values = np.take_along_axis(a, index, axis=ax)
    out = values if keepdim else np.squeeze(values, axis=ax)

    def backward(g):
        g = g if keepdim else np.expand_dims(g, ax)
        return (scatter_add(a.shape, ax, index, g),)

    kept_index = index if keepdim else np.squeeze(index, axis=ax)
    return ValuesIndices(Tensor.make(out, (x,), backward), Tensor(kept_index.astype(np.int64)))


def _sorted_order(a: np.ndarray, ax: int) -> np.ndarray:
    return np.argsort(a, axis=ax, kind="stable")  # NaN sort last


def _check_reducible(op: str, a: np.ndarray, ax: int) -> None:
    if a.ndim and a.shape[ax] == 0:
        raise ValueError(f"{op}: cannot reduce over a size-0 dimension (shape {a.shape})")


def _median(op: str, x: Tensor, dim, keepdim: bool, ignore_nan: bool):
    if dim is None:
        return _median_of_all(op, x, ignore_nan)
    a = x.data
    ax = normalize_axis(op, dim, a.ndim)
    if a.ndim == 0:
        return ValuesIndices(Tensor.make(a.copy(), (x,), lambda g: (g,)),
                             Tensor(np.zeros((), np.int64)))
    _check_reducible(op, a, ax)
    order = _sorted_order(a, ax)
    nan = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
    count = a.shape[ax] - np.sum(nan, axis=ax, keepdims=True)
    if ignore_nan:  # the lower median of the numbers; all-NaN slices give the first NaN
        rank = np.maximum(count - 1, 0) // 2
    else:  # a slice with a NaN: the first NaN in sorted order (NaN sort last, stably)
        rank = np.where(count < a.shape[ax], count, (a.shape[ax] - 1) // 2)
    index = np.take_along_axis(order, rank, axis=ax)
    return _pick_along(x, index, ax, keepdim)


def _median_of_all(op: str, x: Tensor, ignore_nan: bool) -> Tensor:
    """The median of every element as a 0-d tensor, NaN for an empty float one (as torch). The
    gradient is shared equally by all elements equal to the median (all NaNs for a NaN
    median), as torch's, rather than given to one of them."""
    a = x.data
    if a.size == 0:
        if a.dtype.kind != "f":  # no NaN to give (torch returns an arbitrary integer)
            raise ValueError(f"{op}: cannot take the median of an empty {a.dtype} tensor")
        return Tensor.make(np.full((), np.nan, a.dtype), (x,), lambda g: (np.zeros_like(a),))
    value = _median(op, Tensor(a.reshape(-1)), 0, False, ignore_nan).values.data

    def backward(g):
        ties = (a == value) | (np.isnan(a) & np.isnan(value)) if a.dtype.kind == "f" else a == value
        return (ties * (g / np.count_nonzero(ties)),)

    return Tensor.make(value, (x,), backward)


def median(x: Tensor, dim=None, keepdim: bool = False):
    """Lower median: over all elements (a 0-d tensor; its gradient is split among ties) or
    `(values, indices)` along `dim` (the gradient goes to the index returned)."""
    return _median("median", x, dim, keepdim, ignore_nan=False)


def nanmedian(x: Tensor, dim=None, keepdim: bool = False):
    """median ignoring NaN (NaN only where a slice is all NaN)."""
    return _median("nanmedian", x, dim, keepdim, ignore_nan=True)


def kthvalue(x: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """The k-th smallest element (k from 1) along `dim`: `(values, indices)`; NaN counts as
    the largest."""
    a = x.data
    ax = normalize_axis("kthvalue", dim, a.ndim)
    n = a.shape[ax] if a.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(f"kthvalue: k must be an int in [1, {n}] (the dim's size), got {k!r}")
    if a.ndim == 0:
        return ValuesIndices(Tensor.make(a.copy(), (x,), lambda g: (g,)),
                             Tensor(np.zeros((), np.int64)))
    order = _sorted_order(a, ax)
    index = np.take(order, [k - 1], axis=ax)
    return _pick_along(x, index, ax, keepdim)


def mode(x: Tensor, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """The most frequent value along `dim` (the smallest of equally frequent ones) and the
    index of its last occurrence, as PyTorch: `(values, indices)`."""
    a = x.data
    ax = normalize_axis("mode", dim, a.ndim)
    if a.ndim == 0:
        return ValuesIndices(Tensor.make(a.copy(), (x,), lambda g: (g,)),
                             Tensor(np.zeros((), np.int64)))
    _check_reducible("mode", a, ax)
    order = _sorted_order(a, ax)
    s = np.take_along_axis(a, order, axis=ax)
    n = a.shape[ax]
    position = np.arange(n).reshape((-1,) + (1,) * (a.ndim - 1 - ax))
    first = np.take(s, [0], axis=ax)
    starts = np.concatenate([np.ones_like(first, bool), np.diff(s, axis=ax) != 0], axis=ax)
    run_start = np.maximum.accumulate(np.where(starts, position, 0), axis=ax)
    run_length = position - run_start + 1
    # argmax takes the first longest run's end: the smallest value, its last occurrence
    end = np.expand_dims(np.argmax(run_length, axis=ax), ax)
    index = np.take_along_axis(order, end, axis=ax)
    return _pick_along(x, index, ax, keepdim)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(op: str, x: Tensor, q, dim, keepdim: bool, interpolation: str, ignore_nan: bool):
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"{op}: interpolation must be one of {', '.join(_INTERPOLATIONS)}, "
            f"got {interpolation!r}"
        )
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point tensor, got {x.data.dtype}")
    qa = np.asarray(q.data if isinstance(q, Tensor) else q, dtype=np.float64)
    if qa.ndim > 1:
        raise ValueError(f"{op}: q must be a number or a 1-D tensor, got shape {qa.shape}")
    if np.any((qa < 0) | (qa > 1)) or np.any(np.isnan(qa)):
        raise ValueError(f"{op}: q values must be in [0, 1], got {qa}")
    a = x.data
    if dim is None:
        work = x.reshape(-1)
        ax = 0
    else:
        ax = normalize_axis(op, dim, a.ndim)
        work = x.reshape(1) if a.ndim == 0 else x
    w = work.data
    if w.shape[ax] == 0:
        raise ValueError(f"{op}: cannot take a quantile over a size-0 dimension (shape {a.shape})")
    order = _sorted_order(w, ax)
    s = np.take_along_axis(w, order, axis=ax)
    nan = np.isnan(w)
    n = w.shape[ax]
    count = n - np.sum(nan, axis=ax, keepdims=True) if ignore_nan else np.full(
        np.take(w, [0], axis=ax).shape, n
    )
    # q along a new leading axis, broadcast against the keepdims-reduced shape
    qs = qa.reshape((-1,) + (1,) * w.ndim)
    pos = qs * np.maximum(count - 1, 0)
    lo = np.floor(pos)
    hi = np.ceil(pos)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = np.round(pos)  # half to even, as torch.round
    weight = pos - lo if interpolation == "linear" else np.where(hi > lo, 0.5, 0.0)
    lo_i = lo.astype(np.int64)
    hi_i = hi.astype(np.int64)
    s_b = np.broadcast_to(s, (qa.size,) + s.shape)
    v_lo = np.take_along_axis(s_b, lo_i, axis=ax + 1)
    v_hi = np.take_along_axis(s_b, hi_i, axis=ax + 1)
    weight = weight.astype(w.dtype)
    out = v_lo + weight * (v_hi - v_lo)
    invalid = (count == 0) if ignore_nan else np.any(nan, axis=ax, keepdims=True)
    out = np.where(invalid, np.nan, out).astype(w.dtype)
    order_b = np.broadcast_to(order, s_b.shape)
    idx_lo = np.take_along_axis(order_b, lo_i, axis=ax + 1)
    idx_hi = np.take_along_axis(order_b, hi_i, axis=ax + 1)
    shape = w.shape

    def backward(g):
        g = np.where(invalid, 0, g)
        grad = scatter_add((qa.size,) + shape, ax + 1, idx_lo, g * (1 - weight))
        grad = grad + scatter_add((qa.size,) + shape, ax + 1, idx_hi, g * weight)
        return (grad.sum(axis=0),)

    result = Tensor.make(out, (work,), backward)  # shape (Q, ..., 1, ...)
    if keepdim:
        if dim is None:
            result = result.reshape((qa.size,) + (1,) * a.ndim)
    else:
        result = result.squeeze(ax + 1)
    if qa.ndim == 0:
        result = result.squeeze(0)
    return result


def quantile(x: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """The q-th quantiles (q a number or 1-D tensor in [0, 1]; a tensor q puts its dimension
    first) over all elements or along `dim`; NaN where a slice holds NaN."""
    return _quantile("quantile", x, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(x: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """quantile ignoring NaN (NaN only where a slice is all NaN)."""
    return _quantile("nanquantile", x, q, dim, keepdim, interpolation, ignore_nan=True)


def nansum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum treating NaN as 0; NaN elements get a zero gradient."""
    a = x.data if dtype is None else x.data.astype(dtype)
    if a.dtype.kind != "f":
        return reduce.sum(x, dim=dim, keepdim=keepdim)
    nan = np.isnan(a)
    clean = Tensor.make(np.where(nan, 0, a).astype(a.dtype), (x,), lambda g: (g * ~nan,))
    return reduce.sum(clean, dim=dim, keepdim=keepdim)


def nanmean(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of the non-NaN elements (NaN for a slice of NaN only); floating tensors only."""
    a = x.data if dtype is None else x.data.astype(dtype)
    if a.dtype.kind != "f":
        raise TypeError(f"nanmean: needs a floating-point tensor, got {a.dtype}")
    axes = normalize_axes("nanmean", dim, a.ndim)
    count = np.sum(~np.isnan(a), axis=axes, keepdims=keepdim).astype(a.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return nansum(x, dim=dim, keepdim=keepdim, dtype=dtype) / Tensor(count)


def var_mean(x: Tensor, dim=None, *, correction: float = 1, keepdim: bool = False,
             unbiased: bool | None = None) -> tuple[Tensor, Tensor]:
    """`(var(x, dim, correction=...), mean(x, dim))`, as torch.var_mean."""
    return (reduce.var(x, dim=dim, keepdim=keepdim, correction=correction, unbiased=unbiased),
            reduce.mean(x, dim=dim, keepdim=keepdim))


def std_mean(x: Tensor, dim=None, *, correction: float = 1, keepdim: bool = False,
             unbiased: bool | None = None) -> tuple[Tensor, Tensor]:
    """`(std(x, dim, correction=...), mean(x, dim))`, as torch.std_mean."""
    return (reduce.std(x, dim=dim, keepdim=keepdim, correction=correction, unbiased=unbiased),
            reduce.mean(x, dim=dim, keepdim=keepdim))


def count_nonzero(x: Tensor, dim=None) -> Tensor:
    """Number of nonzero elements (int64) over all or the given dimension(s)."""
    axes = normalize_axes("count_nonzero", dim, x.data.ndim)
    return Tensor(np.asarray(np.count_nonzero(x.data, axis=axes), dtype=np.int64))


def _weights(name: str, w, n: int, integer: bool) -> np.ndarray:
    w = np.asarray(w.data if isinstance(w, Tensor) else w)
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(
            f"cov: {name} must be a 1-D tensor of {n} observations, got shape {w.shape}"
        )
    if integer and w.dtype.kind not in "iu":
        raise TypeError(f"cov: fweights must be integers, got {w.dtype}")
    if np.any(w < 0):
        raise ValueError(f"cov: {name} must be non-negative")
    return w


def cov(x: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """Covariance of the rows (variables) over the columns (observations) of a matrix, or
    the variance (0-d) of a vector or a one-row matrix, with frequency and observation
    weights as torch.cov:
    sum(w (x - mean_w)(x - mean_w)^T) / (sum(w) - correction * sum(w aweights) / sum(w)),
    w = fweights * aweights; a divisor <= 0 gives inf/NaN (PyTorch also warns)."""
    a = x.data
    if a.ndim > 2:
        raise ValueError(f"cov: expects a 1-D or 2-D tensor, got shape {a.shape}")
    if a.dtype.kind != "f":
        x = x.float()
    m = x.reshape(1, -1) if a.ndim < 2 else x
    n = m.shape[1]
    w = np.ones(n)
    if fweights is not None:
        w = w * _weights("fweights", fweights, n, True)
    if aweights is not None:
        aw = _weights("aweights", aweights, n, False)
        w = w * aw
    w_sum = w.sum()
    if aweights is None:
        divisor = w_sum - correction
    else:
        divisor = w_sum - correction * (w * aw).sum() / w_sum
    divisor = max(divisor, 0.0)
    wt = Tensor(w.astype(m.data.dtype))
    mean = (m * wt).sum(axis=1, keepdims=True) / float(w_sum)
    centered = m - mean
    with np.errstate(divide="ignore", invalid="ignore"):
        out = ((centered * wt) @ centered.T) / (float(divisor) if divisor else np.float64(0.0))
    return out.reshape(()) if m.shape[0] == 1 else out  # one variable: 0-d, as torch


def corrcoef(x: Tensor) -> Tensor:
    """Pearson correlation of the rows, cov / sqrt(diag outer diag), clipped to [-1, 1]."""
    c = cov(x)
    if c.ndim == 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            return c / c
    d = unary.sqrt((c * Tensor(np.eye(c.shape[0], dtype=c.data.dtype))).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return unary.clip(c / d.reshape(-1, 1) / d.reshape(1, -1), -1, 1)


def dist(x: Tensor, other, p: float = 2) -> Tensor:
    """p-norm of x - other (broadcast): p = 0 counts nonzeros, +-inf the largest/smallest
    |difference|; otherwise (sum |d|^p)^(1/p). The gradient is 0 where the distance is 0."""
    d = x - other
    if d.data.dtype.kind != "f":
        raise TypeError(f"dist: needs floating-point tensors, got {d.data.dtype}")
    p = float(p)
    if p == 0:
        return Tensor.make(np.asarray(np.count_nonzero(d.data), d.data.dtype), (d,),
                           lambda g: (np.zeros(d.shape, g.dtype),))
    if p == np.inf:
        return reduce.norm(d, np.inf)
    if p == -np.inf:
        return unary.abs(d).min()
    return _p_norm(d, p, None, False)


def renorm(x: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice x.select(dim, i) whose p-norm exceeds maxnorm is scaled to norm maxnorm
    (by maxnorm / (norm + 1e-7), as PyTorch); the gradient flows through the norm too."""
    if p <= 0:
        raise ValueError(f"renorm: p must be positive, got {p}")
    if maxnorm < 0:
        raise ValueError(f"renorm: maxnorm must be non-negative, got {maxnorm}")
    a = x.data
    ax = normalize_axis("renorm", dim, a.ndim)
    others = tuple(d for d in range(a.ndim) if d != ax)
    if p == np.inf:
        norms = reduce.amax(unary.abs(x), dim=others, keepdim=True) if others else unary.abs(x)
    else:
        # vector_norm's p-norm: its gradient is 0 (not NaN) for an all-zero slice
        norms = _p_norm(x, float(p), others, True) if others else unary.abs(x)
    factor = select.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return x * factor


