"""Reductions: sum mean max min var std argmax argmin prod logsumexp amax amin norm, and the
running sum cumsum, with numpy's `axis`/`keepdims` and PyTorch's `dim`/`keepdim` spellings.

Gradient of max/min at ties, following PyTorch: a full reduction (no axis) splits the
gradient evenly between all elements equal to the result; a reduction over an axis sends it
to the first extremal element of each slice, the one `argmax`/`argmin` reports (PyTorch's
`max(dim)` does this through its returned indices). A tuple of axes behaves as torch.amax:
ties within a slice share its gradient evenly.
"""

from __future__ import annotations

import numpy as np

from ..default_dtype import default_float
from ..tensor import Tensor
from .axes import normalize_axes, normalize_axis, pick


def _expand_back(g: np.ndarray, axes: tuple[int, ...] | None, keepdims: bool, shape) -> np.ndarray:
    """Broadcast a reduced gradient back over the input's shape (a read-only view)."""
    if not keepdims and axes:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def _count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    if axes is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[i] for i in axes], dtype=np.int64))


def sum(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    axis, keepdims = pick("sum", axis, dim, keepdims, keepdim)
    axes = normalize_axes("sum", axis, x.data.ndim)
    shape = x.data.shape
    out = np.sum(x.data, axis=axes, keepdims=keepdims)
    if x.data.dtype.kind in "biu" and out.dtype != np.int64:  # PyTorch sums these as int64
        out = out.astype(np.int64)
    return Tensor.make(out, (x,), lambda g: (_expand_back(g, axes, keepdims, shape),))


def mean(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Arithmetic mean; integer tensors are refused, as torch.mean does."""
    axis, keepdims = pick("mean", axis, dim, keepdims, keepdim)
    if x.data.dtype.kind != "f":
        raise TypeError(
            f"mean: needs a floating-point tensor, got {x.data.dtype}; convert it first, "
            "e.g. Tensor(x.numpy(), dtype='float32')"
        )
    axes = normalize_axes("mean", axis, x.data.ndim)
    shape = x.data.shape
    count = _count(shape, axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.mean(x.data, axis=axes, keepdims=keepdims)
    return Tensor.make(out, (x,), lambda g: (_expand_back(g / count, axes, keepdims, shape),))


def _extreme(op: str, x: Tensor, axis, keepdims: bool, dim, keepdim, arg_fn, value_fn) -> Tensor:
    axis, keepdims = pick(op, axis, dim, keepdims, keepdim)
    a = x.data
    _check_not_empty(op, a, axis)
    if axis is None:
        out = value_fn(a)
        if keepdims:
            out = np.reshape(out, (1,) * a.ndim)

        def backward_all(g):
            value = out.reshape(())
            # as PyTorch: a NaN result shares the gradient between the NaNs
            ties = np.isnan(a) if np.isnan(value) else a == value
            return (ties * (g.reshape(()) / np.count_nonzero(ties)),)

        return Tensor.make(np.asarray(out), (x,), backward_all)
    if isinstance(axis, (tuple, list)):
        return _extreme_over_axes(x, normalize_axes(op, axis, a.ndim), keepdims, value_fn)
    ax = normalize_axis(op, axis, a.ndim)
    if a.ndim == 0:
        return Tensor.make(a.copy(), (x,), lambda g: (g,))
    index = np.expand_dims(arg_fn(a, axis=ax), ax)
    out = np.take_along_axis(a, index, axis=ax)
    if not keepdims:
        out = np.squeeze(out, axis=ax)

    def backward(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        np.put_along_axis(grad, index, g if keepdims else np.expand_dims(g, ax), axis=ax)
        return (grad,)

    return Tensor.make(out, (x,), backward)


def _check_not_empty(op: str, a: np.ndarray, axis) -> None:
    """Refuse reducing over a size-0 dimension (other dimensions may be empty, as PyTorch)."""
    if axis is None or a.ndim == 0:
        empty = a.size == 0
    else:
        axes = axis if isinstance(axis, (tuple, list)) else (axis,)
        empty = any(a.shape[normalize_axis(op, d, a.ndim)] == 0 for d in axes)
    if empty:
        raise ValueError(
            f"{op}: cannot reduce an empty tensor of shape {a.shape} over a size-0 dimension"
        )


def _extreme_over_axes(x: Tensor, axes: tuple[int, ...], keepdims: bool, value_fn) -> Tensor:
    """Several axes at once (as torch.amax): ties in a slice share its gradient evenly."""
    a = x.data
    kept = value_fn(a, axis=axes, keepdims=True)
    out = kept if keepdims else np.squeeze(kept, axis=axes)

    def backward(g):
        ties = a == kept
        share = np.sum(ties, axis=axes, keepdims=True)
        return (ties * (_expand_back(g, axes, keepdims, kept.shape) / share),)

    return Tensor.make(out, (x,), backward)


def max(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    """Largest value over all elements or along one axis (values only; see `argmax`)."""
    return _extreme("max", x, axis, keepdims, dim, keepdim, np.argmax, np.max)


def min(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    """Smallest value over all elements or along one axis (values only; see `argmin`)."""
    return _extreme("min", x, axis, keepdims, dim, keepdim, np.argmin, np.min)


def _arg(op: str, fn, x: Tensor, axis, keepdims: bool, dim, keepdim) -> Tensor:
    axis, keepdims = pick(op, axis, dim, keepdims, keepdim)
    a = x.data
    _check_not_empty(op, a, axis)
    if axis is None:
        out = np.asarray(fn(a), dtype=np.int64)
        if keepdims:
            out = out.reshape((1,) * a.ndim)
        return Tensor(out)
    ax = normalize_axis(op, axis, a.ndim)
    if a.ndim == 0:
        return Tensor(np.zeros((), dtype=np.int64))
    return Tensor(np.asarray(fn(a, axis=ax, keepdims=keepdims), dtype=np.int64))


def argmax(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Index (int64) of the first largest element, over the flattened tensor or one axis."""
    return _arg("argmax", np.argmax, x, axis, keepdims, dim, keepdim)


def argmin(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Index (int64) of the first smallest element, over the flattened tensor or one axis."""
    return _arg("argmin", np.argmin, x, axis, keepdims, dim, keepdim)


def var(
    x: Tensor,
    axis=None,
    keepdims: bool = False,
    *,
    dim=None,
    keepdim=None,
    correction: float = 1,
    unbiased: bool | None = None,
) -> Tensor:
    """Variance sum((x - mean)^2) / (N - correction); unbiased (correction=1) by default as
    PyTorch. `unbiased=False` is the old spelling of correction=0. N <= correction gives inf or
    NaN, as PyTorch."""
    out, _, _ = _variance("var", x, axis, keepdims, dim, keepdim, correction, unbiased)
    return out


def std(
    x: Tensor,
    axis=None,
    keepdims: bool = False,
    *,
    dim=None,
    keepdim=None,
    correction: float = 1,
    unbiased: bool | None = None,
) -> Tensor:
    """Standard deviation, the square root of `var` with the same arguments."""
    _, variance, backward_var = _variance(
        "std", x, axis, keepdims, dim, keepdim, correction, unbiased
    )
    out = np.sqrt(variance)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            g_var = g / (2 * out)
        # as PyTorch: a zero std (constant input) passes a zero gradient, not NaN
        return backward_var(np.where(out == 0, 0, g_var))

    return Tensor.make(out, (x,), backward)


def _variance(op, x, axis, keepdims, dim, keepdim, correction, unbiased):
    axis, keepdims = pick(op, axis, dim, keepdims, keepdim)
    if unbiased is not None:
        correction = 1 if unbiased else 0
    a = x.data
    if a.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point tensor, got {a.dtype}")
    axes = normalize_axes(op, axis, a.ndim)
    shape = a.shape
    # PyTorch divides by max(0, N - correction): inf or NaN, never a negative variance
    divisor = _count(shape, axes) - correction
    if divisor < 0:
        divisor = 0
    centered = a - np.mean(a, axis=axes, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.sum(centered * centered, axis=axes, keepdims=keepdims) / np.asarray(
            divisor, dtype=a.dtype
        )
        scale = np.asarray(2.0 / divisor if divisor > 0 else np.inf, dtype=a.dtype)

    def backward(g):
        return (_expand_back(g, axes, keepdims, shape) * (centered * scale),)

    return Tensor.make(variance, (x,), backward), variance, backward


def _drop_kept(kept: np.ndarray, axes: tuple[int, ...] | None, keepdims: bool) -> np.ndarray:
    """A reduction computed with keepdims=True, reshaped as asked."""
    if keepdims:
        return kept
    return kept.reshape(()) if axes is None else np.squeeze(kept, axis=axes)


def _all_axes(axes: tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    return tuple(range(ndim)) if axes is None else axes


def prod(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Product of the elements; integer and bool tensors give int64 as PyTorch.

    d prod / d x_i = prod of the others: out / x_i where the slice holds no zero; where it
    holds one zero, that element gets the product of the rest and the others 0; with two or
    more zeros all get 0 (PyTorch's rule, without dividing by zero)."""
    axis, keepdims = pick("prod", axis, dim, keepdims, keepdim)
    a = x.data
    axes = normalize_axes("prod", axis, a.ndim)
    shape = a.shape
    out = np.prod(a, axis=axes, keepdims=keepdims)
    if a.dtype.kind in "biu" and out.dtype != np.int64:
        out = out.astype(np.int64)

    def backward(g):
        zero = a == 0
        zeros = np.sum(zero, axis=axes, keepdims=True)
        others = np.prod(np.where(zero, 1, a), axis=axes, keepdims=True)  # product of nonzeros
        with np.errstate(divide="ignore", invalid="ignore"):
            no_zero = others / a
        local = np.where(zeros == 0, no_zero, np.where(zero & (zeros == 1), others, 0))
        return (_expand_back(g, axes, keepdims, shape) * local,)

    return Tensor.make(out, (x,), backward)


def cumsum(x: Tensor, dim=None, *, axis=None) -> Tensor:
    """Running sum along `dim` (required, as torch.cumsum); integer and bool tensors give
    int64. The gradient is the reversed running sum of the output's gradient."""
    if axis is not None:
        if dim is not None:
            raise TypeError("cumsum: pass axis= or dim=, not both")
        dim = axis
    if dim is None:
        raise TypeError("cumsum: dim is required (an int), as torch.cumsum")
    a = x.data
    ax = normalize_axis("cumsum", dim, a.ndim)
    if a.ndim == 0:
        out = a.astype(np.int64) if a.dtype.kind in "biu" else a.copy()
        return Tensor.make(out, (x,), lambda g: (g,))
    out = np.cumsum(a, axis=ax, dtype=np.int64 if a.dtype.kind in "biu" else None)

    def backward(g):
        return (np.flip(np.cumsum(np.flip(g, ax), axis=ax), ax),)

    return Tensor.make(out, (x,), backward)


def logsumexp(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the (finite) maximum, so
    it neither overflows nor underflows; the gradient is softmax(x). Integer input gives
    the default float dtype. Unlike torch.logsumexp, dim may be omitted (all dimensions)."""
    axis, keepdims = pick("logsumexp", axis, dim, keepdims, keepdim)
    a = x.data
    if a.dtype.kind != "f":
        a = a.astype(default_float())
    axes = normalize_axes("logsumexp", axis, a.ndim)
    shape = a.shape
    if a.size == 0:
        m = np.zeros(np.sum(a, axis=axes, keepdims=True).shape, a.dtype)
    else:
        m = np.max(a, axis=axes, keepdims=True)
        m = np.where(np.isinf(m), 0, m).astype(a.dtype)  # all -inf (or +inf) slices: no shift
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m
    out = _drop_kept(kept, axes, keepdims)

    def backward(g):
        with np.errstate(invalid="ignore"):
            soft = np.exp(a - kept)
        return (_expand_back(g, axes, keepdims, shape) * soft,)

    return Tensor.make(out, (x,), backward)


def amax(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Largest value over the given dimensions (all by default), as torch.amax: ties within
    a slice share its gradient evenly (unlike `max(dim)`, which picks the first)."""
    return _amax_amin("amax", np.max, x, axis, keepdims, dim, keepdim)


def amin(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Smallest value over the given dimensions (all by default), as torch.amin: ties within
    a slice share its gradient evenly."""
    return _amax_amin("amin", np.min, x, axis, keepdims, dim, keepdim)


def _amax_amin(op, value_fn, x, axis, keepdims, dim, keepdim) -> Tensor:
    axis, keepdims = pick(op, axis, dim, keepdims, keepdim)
    a = x.data
    if isinstance(axis, (tuple, list)) and len(axis) == 0:
        axis = None  # torch's default dim=() means all dimensions
    _check_not_empty(op, a, axis)
    axes = _all_axes(normalize_axes(op, axis, a.ndim), a.ndim)
    return _extreme_over_axes(x, axes, keepdims, value_fn)


def norm(
    x: Tensor, p="fro", axis=None, keepdims: bool = False, *, dim=None, keepdim=None
) -> Tensor:
    """Vector p-norm over the given dimensions (all by default), as torch.norm: p = 1
    (sum |x|), 2 or 'fro' (sqrt(sum x^2)), inf (max |x|). Gradients as PyTorch: sign(x) for
    p = 1; x / norm for p = 2, and 0 where the norm is 0; for inf, sign(x) shared evenly
    among the elements whose |x| is the maximum. Other p (3, 0, -inf, 'nuc') are refused;
    unlike PyTorch, 'fro' over more than two dimensions is allowed (the 2-norm)."""
    axis, keepdims = pick("norm", axis, dim, keepdims, keepdim)
    a = x.data
    if a.dtype.kind != "f":
        raise TypeError(f"norm: needs a floating-point tensor, got {a.dtype}")
    if p == "fro":
        p = 2
    if isinstance(p, bool) or p not in (1, 2, np.inf):
        raise ValueError(f"norm: p must be 1, 2, inf or 'fro', got {p!r}")
    axes = normalize_axes("norm", axis, a.ndim)
    shape = a.shape
    magnitude = np.abs(a)
    if p == 1:
        kept = np.sum(magnitude, axis=axes, keepdims=True)
    elif p == 2:
        kept = np.sqrt(np.sum(a * a, axis=axes, keepdims=True))
    else:
        if a.size == 0 and (axes is None or 0 in (shape[d] for d in axes)):
            raise ValueError(
                f"norm: p=inf over a size-0 dimension (tensor of shape {shape}) is undefined"
            )
        kept = np.max(magnitude, axis=axes, keepdims=True)
    out = _drop_kept(kept, axes, keepdims)

    def backward(g):
        g = _expand_back(g, axes, keepdims, shape)
        if p == 1:
            return (g * np.sign(a),)
        if p == 2:
            with np.errstate(divide="ignore", invalid="ignore"):
                local = np.where(kept == 0, 0, a / kept)
            return (g * local,)
        ties = (magnitude == kept) | np.isnan(magnitude)
        share = np.sum(ties, axis=axes, keepdims=True)
        return (g * (np.sign(a) * ties / share),)

    return Tensor.make(out, (x,), backward)
