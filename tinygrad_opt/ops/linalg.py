"""Matrix product `@` with numpy's rules: batched over leading dimensions (which broadcast),
1-D operands promoted to a row (left) or column (right) vector and that dimension removed
from the result. Also PyTorch's strict forms mm, bmm, outer and t, and tril/triu."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, unbroadcast
from .arithmetic import operands


def matmul(x: Tensor, other) -> Tensor:
    a, b, other = operands("matmul", x, other)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}"
        )
    try:
        out = np.matmul(a, b)
    except ValueError:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not match: the last dimension of the first "
            f"({a.shape[-1]}) must equal the {'only' if b.ndim == 1 else 'second-to-last'} "
            f"dimension of the second ({b.shape[0] if b.ndim == 1 else b.shape[-2]}) and batch "
            "dimensions must broadcast"
        ) from None
    need_a = x.requires_grad
    need_b = other.requires_grad

    def backward(g):
        a2 = a if a.ndim > 1 else a[None, :]
        b2 = b if b.ndim > 1 else b[:, None]
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2 if b.ndim > 1 else 0)
        if b.ndim == 1:
            g2 = g2[..., None]
        ga = gb = None
        if need_a:
            ga = unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if need_b:
            gb = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
        return ga, gb

    return Tensor.make(out, (x, other), backward)


def rmatmul(x: Tensor, other) -> Tensor:
    """`other @ x`."""
    return matmul(Tensor(other), x)


def t(x: Tensor) -> Tensor:
    """Transpose of a matrix; 0-d and 1-d tensors are returned as they are (torch.t)."""
    a = x.data
    if a.ndim > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dimensions, got {a.ndim} ({a.shape})")
    if a.ndim < 2:
        return Tensor.make(a, (x,), lambda g: (g,))
    return Tensor.make(a.T, (x,), lambda g: (g.T,))


def _dims_error(op: str, name: str, want: int, shape) -> ValueError:
    return ValueError(f"{op}: {name} must have {want} dimensions, got shape {tuple(shape)}")


def mm(x: Tensor, mat2) -> Tensor:
    """Matrix product of two 2-D tensors (torch.mm): (n, m) @ (m, p), no broadcasting."""
    other = mat2 if isinstance(mat2, Tensor) else Tensor(mat2)
    if x.data.ndim != 2:
        raise _dims_error("mm", "self", 2, x.data.shape)
    if other.data.ndim != 2:
        raise _dims_error("mm", "mat2", 2, other.data.shape)
    (n, m), (m2, p) = x.data.shape, other.data.shape
    if m != m2:
        raise ValueError(f"mm: shapes cannot be multiplied ({n}x{m} and {m2}x{p})")
    return matmul(x, other)


def bmm(x: Tensor, mat2) -> Tensor:
    """Batched matrix product of two 3-D tensors (torch.bmm): (b, n, m) @ (b, m, p), with
    equal batch sizes (no broadcasting)."""
    other = mat2 if isinstance(mat2, Tensor) else Tensor(mat2)
    if x.data.ndim != 3:
        raise _dims_error("bmm", "self", 3, x.data.shape)
    if other.data.ndim != 3:
        raise _dims_error("bmm", "mat2", 3, other.data.shape)
    (b, _, m), (b2, m2, _) = x.data.shape, other.data.shape
    if (b, m) != (b2, m2):
        raise ValueError(
            f"bmm: shapes {x.data.shape} and {other.data.shape} do not match: expected mat2 "
            f"of shape ({b}, {m}, *)"
        )
    return matmul(x, other)


def outer(x: Tensor, vec2) -> Tensor:
    """Outer product out[i, j] = x[i] * vec2[j] of two 1-D tensors (torch.outer)."""
    a, b, other = operands("outer", x, vec2)
    if a.ndim != 1:
        raise _dims_error("outer", "self", 1, a.shape)
    if b.ndim != 1:
        raise _dims_error("outer", "vec2", 1, b.shape)

    def backward(g):
        return (g @ b if x.requires_grad else None, a @ g if other.requires_grad else None)

    return Tensor.make(np.outer(a, b), (x, other), backward)


def _triangle(op: str, x: Tensor, keep) -> Tensor:
    a = x.data
    if a.ndim < 2:
        raise ValueError(f"{op}: needs a tensor with at least 2 dimensions, got shape {a.shape}")
    mask = keep(a.shape[-2], a.shape[-1])
    return Tensor.make(np.where(mask, a, np.zeros((), a.dtype)), (x,), lambda g: (g * mask,))


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """Lower triangle of the last two dimensions: entries with j - i <= diagonal kept."""
    return _triangle("tril", x, lambda n, m: np.tri(n, m, diagonal, dtype=bool))


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """Upper triangle of the last two dimensions: entries with j - i >= diagonal kept."""
    return _triangle("triu", x, lambda n, m: ~np.tri(n, m, diagonal - 1, dtype=bool))
