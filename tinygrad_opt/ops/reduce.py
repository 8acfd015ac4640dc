"""Reductions: sum mean max min var std argmax argmin, with numpy's `axis`/`keepdims` and
PyTorch's `dim`/`keepdim` spellings.

Gradient of max/min at ties, following PyTorch: a full reduction (no axis) splits the
gradient evenly between all elements equal to the result; a reduction over an axis sends it
to the first extremal element of each slice, the one `argmax`/`argmin` reports (PyTorch's
`max(dim)` does this through its returned indices). A tuple of axes behaves as torch.amax:
ties within a slice share its gradient evenly.
"""

from __future__ import annotations

import numpy as np

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
