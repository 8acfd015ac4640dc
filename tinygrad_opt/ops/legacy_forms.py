"""Top-level spellings torch keeps for compatibility: `rsub`, `chain_matmul`, `concat` /
`concatenate` (cat), and the complex-number functions on real tensors: `conj_physical`
(a copy), `conj_physical_` (nothing to do), `isreal`, `adjoint` and `angle`
(ops/tensor_queries.py; angle is pi for negative values, 0 otherwise, NaN kept, with a
zero gradient, as torch for real input).
"""

from __future__ import annotations

from ..tensor import Tensor
from . import arithmetic, join, tensor_queries
from .utility import clone


def rsub(input: Tensor, other, alpha=1) -> Tensor:  # noqa: A002 - torch's name
    """other - alpha * input (torch.rsub: subtraction with the operands reversed)."""
    scaled = input if alpha == 1 else arithmetic.mul(input, alpha)
    if isinstance(other, Tensor):  # keeps other's graph (arithmetic.rsub wraps it anew)
        return arithmetic.sub(other, scaled)
    return arithmetic.rsub(scaled, other)


def chain_matmul(*matrices, out=None) -> Tensor:
    """The product of 2-D matrices, left to right (deprecated torch.chain_matmul; see
    linalg.multi_dot). One matrix is returned as a copy. `out=` is not supported."""
    if out is not None:
        raise TypeError("chain_matmul: out= is not supported; use the returned tensor")
    if not matrices:
        raise ValueError("chain_matmul: expects at least one matrix")
    for i, m in enumerate(matrices):
        if not isinstance(m, Tensor) or m.data.ndim != 2:
            raise ValueError(
                f"chain_matmul: matrix {i} must be a 2-D Tensor, got "
                f"{getattr(m, 'shape', type(m).__name__)}"
            )
    result = clone(matrices[0])
    for m in matrices[1:]:
        result = result @ m
    return result


def concat(tensors, dim: int = 0) -> Tensor:
    """cat under numpy's/the array API's name (torch.concat)."""
    return join.cat(tensors, dim)


def concatenate(tensors, dim: int = 0) -> Tensor:
    """cat under numpy's name (torch.concatenate; `axis=` as numpy is not taken)."""
    return join.cat(tensors, dim)


def conj_physical(input: Tensor) -> Tensor:  # noqa: A002
    """The complex conjugate, materialised: a copy for real tensors."""
    return clone(input)


def conj_physical_(input: Tensor) -> Tensor:  # noqa: A002
    """Conjugate in place: nothing to do for real tensors; returns input."""
    return input


def isreal(input: Tensor) -> Tensor:  # noqa: A002
    """All True for a real tensor (torch.isreal)."""
    return tensor_queries.isreal(input)


def adjoint(input: Tensor) -> Tensor:  # noqa: A002
    """The last two dimensions swapped (no conjugation on real tensors), as torch.adjoint."""
    return tensor_queries.adjoint(input)


def angle(input: Tensor) -> Tensor:  # noqa: A002
    """pi for negative values, 0 otherwise, NaN kept; a zero gradient (torch.angle on reals)."""
    return tensor_queries.angle(input)
