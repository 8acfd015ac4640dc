"""torch.linalg's vector_norm, matrix_norm and norm.

Vector norms reuse reduce.norm for p = 1, 2, inf (its gradients follow PyTorch); other
orders are composed from differentiable ops. Matrix norms 'fro', 1, -1, inf, -inf are sums
and extrema of |A|; 2, -2 and 'nuc' come from the singular values, whose gradient is
u_i v_i^T (valid where the chosen singular values are distinct, as PyTorch warns).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import reduce, unary
from .axes import normalize_axes, normalize_axis


def _floating(op: str, x: Tensor) -> Tensor:
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point tensor, got {x.data.dtype}")
    return x


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """(sum |x|^ord)^(1/ord) over `dim` (all by default, x flattened); ord 0 counts nonzeros,
    inf/-inf take the largest/smallest |x|."""
    if dtype is not None:
        x = x.to(dtype)
    _floating("vector_norm", x)
    if isinstance(ord, str) or isinstance(ord, bool):
        raise ValueError(f"vector_norm: ord must be a number, got {ord!r}")
    axes = normalize_axes("vector_norm", dim, x.data.ndim)
    ord = float(ord)
    if ord in (1.0, 2.0, np.inf):
        return reduce.norm(x, ord if ord != np.inf else np.inf, axis=axes, keepdims=keepdim)
    if ord == -np.inf:
        return reduce.amin(unary.abs(x), axis=axes, keepdims=keepdim)
    if ord == 0:
        count = np.count_nonzero(x.data, axis=axes, keepdims=keepdim)
        return Tensor.make(np.asarray(count, dtype=x.data.dtype), (x,),
                           lambda g: (np.zeros(x.data.shape, g.dtype),))
    return _p_norm(x, ord, axes, keepdim)


def _p_norm(x: Tensor, p: float, axes: tuple[int, ...], keepdim: bool) -> Tensor:
    """(sum |x|^p)^(1/p) over `axes` (None: all) for any other p. The gradient
    sign(x) (|x| / norm)^(p-1) is taken as 0 where x is 0, as PyTorch: composed from pow
    and sum it would be 0 * inf = NaN for a zero slice (p > 1) and at zero entries (p < 1)."""
    a = x.data
    if axes is None:
        axes = tuple(range(a.ndim))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        kept = (np.abs(a) ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
    out = kept if keepdim else kept.reshape([n for d, n in enumerate(kept.shape) if d not in axes])

    def backward(g):
        g = g.reshape(kept.shape)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            grad = g * np.sign(a) * (np.abs(a) / kept) ** (p - 1)
        return (np.where(a == 0, 0, grad).astype(a.dtype, copy=False),)

    return Tensor.make(np.asarray(out, dtype=a.dtype), (x,), backward)


def _singular_values(x: Tensor) -> Tensor:
    """Singular values of the last two dimensions, differentiable (d s_i = u_i v_i^T)."""
    a = x.data
    u, s, vt = np.linalg.svd(a, full_matrices=False)

    def backward(g):
        return (np.matmul(u * g[..., None, :], vt),)

    return Tensor.make(s.astype(a.dtype), (x,), backward)


def matrix_norm(  # noqa: A002 - torch's argument name ord
    x: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None
) -> Tensor:
    """Matrix norm over the two dimensions `dim`: 'fro', 'nuc', 1/-1 (max/min column sum of
    |A|), inf/-inf (max/min row sum), 2/-2 (largest/smallest singular value)."""
    if dtype is not None:
        x = x.to(dtype)
    _floating("matrix_norm", x)
    if x.data.ndim < 2:
        raise ValueError(f"matrix_norm: needs at least 2 dimensions, got shape {x.data.shape}")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ValueError(f"matrix_norm: dim must be a pair of dimensions, got {dim!r}")
    rows, cols = (normalize_axis("matrix_norm", d, x.data.ndim) for d in dim)
    if rows == cols:
        raise ValueError(f"matrix_norm: dim must name two different dimensions, got {dim!r}")
    if ord == "fro":
        return reduce.norm(x, 2, axis=(rows, cols), keepdims=keepdim)
    if ord in ("nuc", 2, -2):
        rest = [d for d in range(x.data.ndim) if d not in (rows, cols)]
        s = _singular_values(x.permute(*rest, rows, cols))
        out = s.sum(axis=-1) if ord == "nuc" else (s.max(axis=-1) if ord == 2 else s.min(axis=-1))
        if keepdim:
            for d in sorted((rows, cols)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, np.inf, -np.inf):
        summed, other = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = unary.abs(x).sum(axis=summed, keepdims=True)
        pick = reduce.amax if ord in (1, np.inf) else reduce.amin
        out = pick(sums, axis=other, keepdims=True)
        return out if keepdim else _drop(out, rows, cols)
    raise ValueError(
        f"matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got {ord!r}"
    )


def _drop(out: Tensor, rows: int, cols: int) -> Tensor:
    for d in sorted((rows, cols), reverse=True):
        out = out.squeeze(d)
    return out


def norm(x: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """torch.linalg.norm: a vector norm for an int dim or 1-D input, a matrix norm for a
    pair of dims or 2-D input; ord=None is the 2-norm of the flattened input (or 'fro')."""
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(x, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(x, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if x.data.ndim == 1:
            return vector_norm(x, ord, None, keepdim, dtype=dtype)
        if x.data.ndim == 2:
            return matrix_norm(x, ord, (-2, -1), keepdim, dtype=dtype)
        raise ValueError(
            "norm: with ord given and dim=None the input must be 1-D or 2-D, got shape "
            f"{x.data.shape}"
        )
    if len(dim) == 1:
        return vector_norm(x, ord, dim, keepdim, dtype=dtype)
    if len(dim) == 2:
        return matrix_norm(x, ord, dim, keepdim, dtype=dtype)
    raise ValueError(f"norm: dim must name 1 or 2 dimensions, got {dim!r}")
