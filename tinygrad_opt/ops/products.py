"""Products as PyTorch, built on einsum and matmul (so their gradients come with them):
tensordot, kron, inner, dot, vdot, mv, addmm, addmv, addbmm, baddbmm, cross and vander."""

from __future__ import annotations

import string

import numpy as np

from ..tensor import Tensor
from .arithmetic import operands
from .axes import normalize_axis
from .einsum import einsum
from .linalg import _dims_error, bmm, matmul, mm


def _tensor(value) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(value)


def tensordot(a, b, dims=2) -> Tensor:
    """Sum over the last `dims` dimensions of a and the first `dims` of b, or over the
    dimension lists `dims = (dims_a, dims_b)`."""
    a, b = _tensor(a), _tensor(b)
    na, nb = a.data.ndim, b.data.ndim
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        if not 0 <= dims <= min(na, nb):
            raise ValueError(f"tensordot: dims must be in [0, {min(na, nb)}], got {dims}")
        dims_a, dims_b = list(range(na - dims, na)), list(range(dims))
    else:
        try:
            dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        except (TypeError, ValueError):
            raise TypeError(
                f"tensordot: dims must be an int or a pair of lists, got {dims!r}"
            ) from None
        if len(dims_a) != len(dims_b):
            raise ValueError(f"tensordot: dims lists differ in length: {dims_a} and {dims_b}")
    dims_a = [normalize_axis("tensordot", d, na) for d in dims_a]
    dims_b = [normalize_axis("tensordot", d, nb) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.data.shape[da] != b.data.shape[db]:
            raise ValueError(
                f"tensordot: contracted dimensions differ in size: dim {da} of a "
                f"({a.data.shape[da]}) and dim {db} of b ({b.data.shape[db]})"
            )
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for da, db in zip(dims_a, dims_b):
        sb[db] = sa[da]
    out = [c for k, c in enumerate(sa) if k not in dims_a] + [
        c for k, c in enumerate(sb) if k not in dims_b
    ]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


def kron(input, other) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """Kronecker product: out[i*m + k, ...] = input[i, ...] * other[k, ...]; the operand with
    fewer dimensions gets leading ones."""
    a, b = _tensor(input), _tensor(other)
    n = max(a.data.ndim, b.data.ndim)
    a = a.reshape((1,) * (n - a.data.ndim) + a.data.shape)
    b = b.reshape((1,) * (n - b.data.ndim) + b.data.shape)
    sa, sb = string.ascii_lowercase[:n], string.ascii_uppercase[:n]
    pairs = "".join(x + y for x, y in zip(sa, sb))
    shape = tuple(p * q for p, q in zip(a.data.shape, b.data.shape))
    return einsum(f"{sa},{sb}->{pairs}", a, b).reshape(shape)


def inner(input, other) -> Tensor:  # noqa: A002
    """Sum over the last dimensions: shape input.shape[:-1] + other.shape[:-1]; a 0-d
    operand multiplies."""
    a, b = _tensor(input), _tensor(other)
    if a.data.ndim == 0 or b.data.ndim == 0:
        return a * b
    if a.data.shape[-1] != b.data.shape[-1]:
        raise ValueError(
            f"inner: last dimensions differ: {a.data.shape} and {b.data.shape}"
        )
    return tensordot(a, b, ([-1], [-1]))


def _vectors(op: str, a: Tensor, b: Tensor) -> None:
    if a.data.ndim != 1 or b.data.ndim != 1:
        raise ValueError(
            f"{op}: expects two 1-D tensors, got shapes {a.data.shape} and {b.data.shape}"
        )
    if a.data.shape != b.data.shape:
        raise ValueError(
            f"{op}: expects vectors of the same size, got {a.data.shape[0]} and {b.data.shape[0]}"
        )


def dot(input, tensor) -> Tensor:  # noqa: A002
    """Dot product of two 1-D tensors of one size (no broadcasting)."""
    a, b = _tensor(input), _tensor(tensor)
    _vectors("dot", a, b)
    return matmul(a, b)


def vdot(input, other) -> Tensor:  # noqa: A002
    """As dot (the conjugate of input is itself: there are no complex tensors here)."""
    a, b = _tensor(input), _tensor(other)
    _vectors("vdot", a, b)
    return matmul(a, b)


def mv(input, vec) -> Tensor:  # noqa: A002
    """Matrix (n, m) times vector (m,)."""
    a, v = _tensor(input), _tensor(vec)
    if a.data.ndim != 2:
        raise _dims_error("mv", "input", 2, a.data.shape)
    if v.data.ndim != 1:
        raise _dims_error("mv", "vec", 1, v.data.shape)
    if a.data.shape[1] != v.data.shape[0]:
        raise ValueError(f"mv: size mismatch, got input {a.data.shape} and vec {v.data.shape}")
    return matmul(a, v)


def _scaled_sum(op: str, input, product: Tensor, beta, alpha) -> Tensor:
    """beta * input + alpha * product; beta = 0 ignores input's values (NaN included)."""
    base = _tensor(input)
    try:
        np.broadcast_shapes(base.data.shape, product.data.shape)
    except ValueError:
        raise ValueError(
            f"{op}: input of shape {base.data.shape} does not broadcast to the product's "
            f"shape {product.data.shape}"
        ) from None
    out = product if alpha == 1 else product * alpha
    if beta == 0:  # input only fixes the shape; it gets a zero gradient, as PyTorch
        zero = np.zeros((), out.data.dtype)
        return Tensor.make(out.data, (out, base), lambda g: (g, np.broadcast_to(zero, g.shape)))
    return out + (base if beta == 1 else base * beta)


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2) (input broadcast); beta = 0 ignores input."""
    return _scaled_sum("addmm", input, mm(_tensor(mat1), mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat @ vec)."""
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * sum_b batch1[b] @ batch2[b] (a 2-D result)."""
    product = bmm(_tensor(batch1), batch2).sum(axis=0)
    return _scaled_sum("addbmm", input, product, beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    return _scaled_sum("baddbmm", input, bmm(_tensor(batch1), batch2), beta, alpha)


def cross(input, other, dim=None) -> Tensor:  # noqa: A002
    """Cross product of 3-vectors along `dim` (operands broadcast); dim=None takes the first
    dimension of size 3 (torch.cross's deprecated default; torch.linalg.cross uses -1).
    Gradients: other x g for input, g x input for other."""
    x = _tensor(input)
    a, b, other = operands("cross", x, other)
    if a.ndim != b.ndim:
        raise ValueError(
            f"cross: inputs must have the same number of dimensions, got {a.shape} and {b.shape}"
        )
    shape = np.broadcast_shapes(a.shape, b.shape)
    if dim is None:
        sizes = [k for k, n in enumerate(shape) if n == 3]
        if not sizes:
            raise ValueError(f"cross: no dimension of size 3 in shape {shape}")
        dim = sizes[0]
    ax = normalize_axis("cross", dim, len(shape))
    if a.shape[ax] != 3 or b.shape[ax] != 3:
        raise ValueError(
            f"cross: dimension {dim} must have size 3, got shapes {a.shape} and {b.shape}"
        )
    out = np.cross(a, b, axis=ax)
    need = (x.requires_grad, other.requires_grad)

    def backward(g):
        return (np.cross(b, g, axis=ax) if need[0] else None,
                np.cross(g, a, axis=ax) if need[1] else None)

    return Tensor.make(out, (x, other), backward)


def vander(x, N=None, increasing: bool = False) -> Tensor:  # noqa: N803 - torch's name
    """Vandermonde matrix of a 1-D tensor: columns x^(N-1), ..., x^0 (reversed when
    increasing); N defaults to len(x)."""
    v = _tensor(x)
    if v.data.ndim != 1:
        raise _dims_error("vander", "x", 1, v.data.shape)
    n = v.data.shape[0] if N is None else N
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"vander: N must be a non-negative int, got {N!r}")
    powers = np.arange(n) if increasing else np.arange(n)[::-1].copy()
    data = v.data
    if data.dtype.kind == "b":
        v = Tensor(data.astype(np.int64))
    return v.reshape(-1, 1) ** Tensor(powers.astype(v.data.dtype).reshape(1, -1))
