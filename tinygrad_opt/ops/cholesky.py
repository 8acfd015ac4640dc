"""Cholesky factor and triangular solves over the last two dimensions (batched), with
gradients: torch.linalg.cholesky and torch.linalg.solve_triangular.

cholesky reads only the lower triangle of A (numpy's, as LAPACK). Its gradient for
A = L L^T comes from dL = L Phi(L^-1 dA L^-T), Phi keeping the lower triangle with the
diagonal halved (Murray, "Differentiation of the Cholesky decomposition", 2016):
gA = L^-T Phi(L^T gL) L^-1, symmetrised as torch returns it. For X = A^-1 B with A
triangular, gB = A^-T gX and gA = -gB X^T restricted to A's triangle.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .linalg_error import LinAlgError


def _float_matrix(op: str, name: str, x: Tensor) -> np.ndarray:
    a = x.data
    if a.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got {a.dtype}")
    if a.ndim < 2:
        raise ValueError(
            f"{op}: {name} must have at least 2 dimensions (shape (*, n, k)), got {a.shape}"
        )
    return a


def _phi(m: np.ndarray) -> np.ndarray:
    """Lower triangle of m with the diagonal halved."""
    n = m.shape[-1]
    return np.where(np.tri(n, dtype=bool), m, 0) - 0.5 * np.eye(n, dtype=m.dtype) * m


def cholesky(x: Tensor, *, upper: bool = False) -> Tensor:
    """Lower factor L with A = L L^T of each symmetric positive-definite matrix (or the upper
    factor L^T when `upper=True`). Only one triangle is read, as torch: the lower one, or the
    upper one with `upper=True`. A matrix that is not positive definite raises LinAlgError
    (a ValueError here; torch's is a RuntimeError)."""
    a = _float_matrix("cholesky", "input", x)
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"cholesky: input must be square matrices (*, n, n), got {a.shape}")
    try:
        # numpy reads the lower triangle; A's upper triangle is the lower one of A^T
        low = np.linalg.cholesky(np.swapaxes(a, -1, -2) if upper else a)
    except np.linalg.LinAlgError:
        raise LinAlgError(
            "cholesky: the input is not positive definite (a leading minor is not positive)"
        ) from None
    low = low.astype(a.dtype, copy=False)

    def backward(g):
        gl = np.swapaxes(g, -1, -2) if upper else g
        low_t = np.swapaxes(low, -1, -2)
        inner = _phi(np.matmul(low_t, gl))
        # S = L^-T inner L^-1 by two solves: R = inner L^-1 (R^T = L^-T inner^T), S = L^-T R
        right = np.swapaxes(np.linalg.solve(low_t, np.swapaxes(inner, -1, -2)), -1, -2)
        s = np.linalg.solve(low_t, right)
        return (0.5 * (s + np.swapaxes(s, -1, -2)),)

    out = np.swapaxes(low, -1, -2).copy() if upper else low
    return Tensor.make(out, (x,), backward)


def solve_triangular(A: Tensor, B, *, upper: bool, left: bool = True,  # noqa: N803 - torch's
                     unitriangular: bool = False) -> Tensor:
    """X with A X = B (`left=True`) or X A = B, A triangular (its other triangle is ignored;
    with `unitriangular` its diagonal is taken as ones). Batch dimensions broadcast."""
    if not isinstance(B, Tensor):
        B = Tensor(B)
    a = _float_matrix("solve_triangular", "A", A)
    b = _float_matrix("solve_triangular", "B", B)
    n = a.shape[-1]
    if a.shape[-2] != n:
        raise ValueError(f"solve_triangular: A must be square matrices (*, n, n), got {a.shape}")
    if (b.shape[-2] if left else b.shape[-1]) != n:
        side = "rows" if left else "columns"
        raise ValueError(
            f"solve_triangular: B of shape {b.shape} must have {n} {side} to match A {a.shape}"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"solve_triangular: batch shapes of A {a.shape} and B {b.shape} do not broadcast"
        ) from None
    keep = np.tri(n, dtype=bool)
    keep = keep.T if upper else keep
    if unitriangular:
        keep = keep & ~np.eye(n, dtype=bool)
    tri = np.where(keep, a, 0)
    if unitriangular:
        tri = tri + np.eye(n, dtype=a.dtype)
    dtype = np.result_type(a.dtype, b.dtype)
    tri = tri.astype(dtype, copy=False)
    # X A = B is A^T X^T = B^T: one left solve covers both sides
    lhs = tri if left else np.swapaxes(tri, -1, -2)
    rhs = b if left else np.swapaxes(b, -1, -2)
    with np.errstate(all="ignore"):
        try:
            sol = np.linalg.solve(lhs, rhs)
        except np.linalg.LinAlgError:
            raise LinAlgError("solve_triangular: A is singular (a zero on its diagonal)") from None
    out = sol if left else np.swapaxes(sol, -1, -2)

    def backward(g):
        gr = g if left else np.swapaxes(g, -1, -2)
        gb = np.linalg.solve(np.swapaxes(lhs, -1, -2), gr)  # lhs^-T g
        ga_lhs = -np.matmul(gb, np.swapaxes(sol, -1, -2))
        ga = ga_lhs if left else np.swapaxes(ga_lhs, -1, -2)
        ga = np.where(keep, ga, 0)
        return ga, (gb if left else np.swapaxes(gb, -1, -2))

    return Tensor.make(out.astype(dtype, copy=False), (A, B), backward)
