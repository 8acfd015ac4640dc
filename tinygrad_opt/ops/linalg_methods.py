"""The Tensor-method spellings of linear algebra that torch keeps on Tensor: x.cholesky(),
b.lu_solve(LU_data, LU_pivots) and b.triangular_solve(A, ...), over ops/cholesky.py and
ops/lu.py (gradients included)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from . import cholesky as _cholesky
from . import lu as _lu


class TriangularSolveResult(NamedTuple):
    """torch.return_types.triangular_solve."""

    solution: Tensor
    cloned_coefficient: Tensor


def cholesky(x: Tensor, upper: bool = False) -> Tensor:
    """x.cholesky(upper=False): torch.linalg.cholesky of x (its lower triangle is read)."""
    return _cholesky.cholesky(x, upper=upper)


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: N803 - torch's
    """b.lu_solve(LU_data, LU_pivots): X with A X = b, from torch.linalg.lu_factor's output."""
    return _lu.lu_solve(LU_data, LU_pivots, b)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False) -> TriangularSolveResult:
    """b.triangular_solve(A, upper=True, transpose=False, unitriangular=False): X with
    A X = b (A^T X = b with `transpose`), and a copy of A broadcast to X's batch shape, as
    torch's deprecated method."""
    if not isinstance(A, Tensor):
        raise TypeError(f"triangular_solve: A must be a Tensor, got {type(A).__name__}")
    coefficient = A.transpose(-1, -2) if transpose and A.ndim >= 2 else A
    # A^T of an upper-triangular A is lower triangular
    x = _cholesky.solve_triangular(coefficient, b, upper=upper != transpose,
                                   unitriangular=unitriangular)
    # torch's copy of A has the broadcast batch shape of the solution
    clone = np.broadcast_to(A.data, x.data.shape[:-2] + A.data.shape[-2:]).copy()
    return TriangularSolveResult(x, Tensor(clone))
