"""`tinygrad_opt.linalg`: torch.linalg's names for the matrix functions of ops/."""

from __future__ import annotations

from .ops.cholesky import cholesky, solve_triangular
from .ops.determinant import det, inverse, slogdet
from .ops.norms import matrix_norm, norm, vector_norm
from .ops.products import cross as _cross
from .ops.products import vander as _vander
from .tensor import Tensor

inv = inverse

__all__ = [
    "cholesky", "cross", "det", "inv", "matrix_norm", "norm", "slogdet", "solve_triangular",
    "vander", "vector_norm",
]


def cross(input: Tensor, other, *, dim: int = -1) -> Tensor:  # noqa: A002 - torch's name
    """Cross product along `dim` (default -1, unlike torch.cross's first size-3 dimension)."""
    return _cross(input, other, dim=dim)


def vander(x: Tensor, *, N=None) -> Tensor:  # noqa: N803
    """torch.linalg.vander: increasing powers x^0 ... x^(N-1) (torch.vander decreases)."""
    return _vander(x, N=N, increasing=True)
