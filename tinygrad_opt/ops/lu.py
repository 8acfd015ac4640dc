"""LU factorisation with partial pivoting over the last two dimensions (batched):
torch.linalg.lu (square or rectangular), lu_factor, lu_solve, solve_ex and inv_ex, with
gradients.

numpy has no LU, so `_lu` is the textbook right-looking elimination (Golub & Van Loan,
Algorithm 3.4.1) run for the whole batch at once, one column per step; pivots are LAPACK's
1-based row interchanges (the first largest |entry|, as idamax). A zero pivot leaves its
column unscaled, as LAPACK's getf2. Backward of A = P L U (square, Murray 2016 §3 /
Giles 2008): gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T, with gL and gU the strict
lower and upper parts of the packed gradient; `_lu_backward` extends it to wide and tall
matrices. lu_solve is a composition of triangular
solves, so its gradient (for LU and B) follows from theirs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from .cholesky import solve_triangular
from .linalg_error import LinAlgError
from .solve import _matrix, _mT, _square


def _lu(a: np.ndarray):
    """(packed LU, 1-based pivots int32, permutation with P^T A = A[perm] = L U) of (*, m, n)
    matrices; min(m, n) elimination steps, so L is m x k and U is k x n, k = min(m, n)."""
    m, n = a.shape[-2:]
    k_max = min(m, n)
    batch = a.shape[:-2]
    # the batch size spelled out: reshape cannot infer -1 for 0 x 0 matrices
    lu = a.reshape((int(np.prod(batch, dtype=np.int64)), m, n)).copy()
    count = lu.shape[0]
    rows = np.arange(count)
    perm = np.broadcast_to(np.arange(m), (count, m)).copy()
    piv = np.zeros((count, k_max), np.int32)
    for k in range(k_max):  # one column per step, the whole batch at once
        p = k + np.argmax(np.abs(lu[:, k:, k]), axis=-1)
        piv[:, k] = p + 1
        top = lu[rows, k].copy()
        lu[rows, k] = lu[rows, p]
        lu[rows, p] = top
        top_perm = perm[rows, k].copy()
        perm[rows, k] = perm[rows, p]
        perm[rows, p] = top_perm
        pivot = lu[:, k, k]
        lu[:, k + 1:, k] /= np.where(pivot == 0, 1, pivot)[:, None]
        lu[:, k + 1:, k + 1:] -= lu[:, k + 1:, k, None] * lu[:, k, None, k + 1:]
    return lu.reshape(a.shape), piv.reshape(batch + (k_max,)), perm.reshape(batch + (m,))


def _unpack(lu: np.ndarray):
    """(L, U): L unit lower m x k, U upper k x n, k = min(m, n)."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    return low, np.triu(lu[..., :k, :])


def _solve_upper(up: np.ndarray, b: np.ndarray) -> np.ndarray:
    """up^-1 b for batched upper-triangular up; a matrix with a zero on its diagonal (the U
    of a singular A, which lu factors without error) gets NaN, as torch's gradient there,
    instead of numpy's error for the whole batch."""
    singular = (np.diagonal(up, axis1=-2, axis2=-1) == 0).any(-1)[..., None, None]
    if not singular.any():
        return np.linalg.solve(up, b)
    safe = np.where(singular, np.eye(up.shape[-1], dtype=up.dtype), up)
    return np.where(singular, np.nan, np.linalg.solve(safe, b))


def _square_lu_backward(low, up, gl, gu):
    """gA of A = L U (square, no pivoting) from the gradients of L's strict lower and U's
    upper part."""
    inner = np.tril(_mT(low) @ np.tril(gl, -1), -1) + np.triu(np.triu(gu) @ _mT(up))
    # L^-T inner U^-T by two triangular solves (numpy's general solve on triangles)
    left = np.linalg.solve(_mT(low), inner)
    return _mT(_solve_upper(up, _mT(left)))


def _lu_backward(low, up, perm, g):
    """gA of the packed factor of A = P L U from its gradient g (m x n). A wide A = L [U1 U2]
    has U2 = L^-1 A2 (so gA2 = L^-T gU2 and gL gains -gA2 U2^T); a tall A = [L1; L2] U has
    L2 = A2 U^-1 (so gA2 = gL2 U^-T and gU gains -L2^T gA2); the square block then takes the
    square rule."""
    m, n = g.shape[-2:]
    k = min(m, n)
    gl, gu = np.tril(g[..., :, :k], -1), np.triu(g[..., :k, :])
    if m < n:
        g2 = np.linalg.solve(_mT(low), gu[..., :, m:])
        g1 = _square_lu_backward(low, up[..., :, :m], gl - g2 @ _mT(up[..., :, m:]),
                                 gu[..., :, :m])
        plu = np.concatenate([g1, g2], axis=-1)
    elif m > n:
        g2 = _mT(_solve_upper(up, _mT(gl[..., n:, :])))
        g1 = _square_lu_backward(low[..., :n, :], up, gl[..., :n, :],
                                 gu - _mT(low[..., n:, :]) @ g2)
        plu = np.concatenate([g1, g2], axis=-2)
    else:
        plu = _square_lu_backward(low, up, gl, gu)
    # undo the row permutation: gA[perm] = plu
    out = np.empty_like(plu)
    np.put_along_axis(out, np.broadcast_to(perm[..., :, None], plu.shape), plu, axis=-2)
    return out


def _packed(A: Tensor, a: np.ndarray):  # noqa: N803
    """(packed LU Tensor with its gradient, pivots, perm) of the array a of A."""
    lu, piv, perm = _lu(a)
    low, up = _unpack(lu)
    return Tensor.make(lu, (A,), lambda g: (_lu_backward(low, up, perm, g),)), piv, perm


class LUFactorResult(NamedTuple):
    """`(LU, pivots)`, as torch.linalg.lu_factor's return type."""

    LU: Tensor
    pivots: Tensor


class LUFactorExResult(NamedTuple):
    """`(LU, pivots, info)`, as torch.linalg.lu_factor_ex's return type."""

    LU: Tensor
    pivots: Tensor
    info: Tensor


def _zero_pivot_info(lu: np.ndarray) -> np.ndarray:
    """LAPACK getrf's info: the 1-based index of the first zero on U's diagonal, else 0."""
    zero = np.diagonal(lu, axis1=-2, axis2=-1) == 0
    if zero.shape[-1] == 0:  # 0 x 0 matrices: nothing to pivot (argmax refuses empty rows)
        return np.zeros(zero.shape[:-1], np.int32)
    return np.where(zero.any(-1), zero.argmax(-1) + 1, 0).astype(np.int32)


def lu_factor(A: Tensor, *, pivot: bool = True) -> LUFactorResult:  # noqa: N803 - torch's name
    """Packed LU factors (L's unit diagonal implied) and LAPACK's 1-based pivots (int32) of
    square matrices; a zero pivot (a singular matrix) raises LinAlgError (a ValueError; torch's
    is a RuntimeError). Deviation: rectangular A is refused (torch factors it), and so is
    pivot=False (CUDA-only in torch)."""
    lu, piv, info = lu_factor_ex(A, pivot=pivot)
    if info.data.any():
        k = int(info.data.max())
        raise LinAlgError(f"lu_factor: U[{k},{k}] is zero (the matrix is singular); "
                         "lu_factor_ex factors it without raising")
    return LUFactorResult(lu, piv)


def lu_factor_ex(A: Tensor, *, pivot: bool = True,  # noqa: N803 - torch's name
                 check_errors: bool = False) -> LUFactorExResult:
    """lu_factor without raising on a zero pivot: info (int32, batch shape) as LAPACK's getrf
    (0, or the 1-based index of the first zero on U's diagonal); `check_errors` raises."""
    if not pivot:
        raise ValueError("lu_factor: pivot=False is not supported (CUDA-only in PyTorch)")
    a = _square("lu_factor", "A", A)
    packed, piv, _ = _packed(A, a)
    info = _zero_pivot_info(packed.data)
    if check_errors and info.any():
        raise LinAlgError(f"lu_factor_ex: U[{int(info.max())},{int(info.max())}] is zero "
                          "(the matrix is singular)")
    return LUFactorExResult(packed, Tensor(piv), Tensor(info))


class LUResult(NamedTuple):
    """`(P, L, U)`, as torch.linalg.lu's return type."""

    P: Tensor
    L: Tensor
    U: Tensor


def lu(A: Tensor, *, pivot: bool = True) -> LUResult:  # noqa: N803 - torch's name
    """A = P L U with partial pivoting for (*, m, n) matrices, square or not: P an m x m
    permutation (A's dtype), L unit lower m x k, U upper k x n, k = min(m, n). A singular A
    is factored without error, as torch (its gradient is NaN). Gradients flow to A through L
    and U (the square, wide and tall rules of the module docstring). pivot=False is refused
    (CUDA-only in PyTorch)."""
    if not pivot:
        raise ValueError("lu: pivot=False is not supported (CUDA-only in PyTorch)")
    a = _matrix("lu", "A", A)
    m, n = a.shape[-2:]
    k = min(m, n)
    packed, _, perm = _packed(A, a)
    # P^T A = A[perm]: column i of P has its one in row perm[i]
    p_mat = np.zeros(a.shape[:-2] + (m, m), a.dtype)
    np.put_along_axis(p_mat, perm[..., None, :], 1, axis=-2)
    low = packed[..., :, :k].tril(-1) + Tensor(np.eye(m, k, dtype=a.dtype))
    return LUResult(Tensor(p_mat), low, packed[..., :k, :].triu())


def _permutation(pivots: np.ndarray) -> np.ndarray:
    """perm with P^T B = B[perm] from sequential 1-based row interchanges."""
    n = pivots.shape[-1]
    flat = pivots.reshape((int(np.prod(pivots.shape[:-1], dtype=np.int64)), n)).astype(np.int64) - 1
    rows = np.arange(flat.shape[0])
    perm = np.broadcast_to(np.arange(n), flat.shape).copy()
    for k in range(n):  # the interchanges happen in order
        p = flat[:, k]
        top = perm[rows, k].copy()
        perm[rows, k] = perm[rows, p]
        perm[rows, p] = top
    return perm.reshape(pivots.shape)


def lu_solve(LU: Tensor, pivots: Tensor, B, *, left: bool = True,  # noqa: N803 - torch's names
             adjoint: bool = False) -> Tensor:
    """X with A X = B (A^T X = B with `adjoint`; X A = B or X A^T = B when not `left`) from
    lu_factor's output. Batch dimensions broadcast."""
    B = B if isinstance(B, Tensor) else Tensor(B)
    lu = _square("lu_solve", "LU", LU)
    n = lu.shape[-1]
    piv = pivots.data if isinstance(pivots, Tensor) else np.asarray(pivots)
    if piv.shape[-1:] != (n,) or piv.shape[:-1] != lu.shape[:-2]:
        raise ValueError(f"lu_solve: pivots of shape {piv.shape} must have shape "
                         f"{lu.shape[:-2] + (n,)} to match LU {lu.shape}")
    if np.any(piv < 1) or np.any(piv > n):
        raise ValueError(f"lu_solve: pivots must be 1-based row indices in [1, {n}]")
    perm = Tensor(_permutation(piv)[..., :, None])
    low = LU.tril(-1) + Tensor(np.eye(n, dtype=lu.dtype))
    up = LU.triu()
    if left != adjoint:
        # (left, not adjoint) A X = B: X = U^-1 L^-1 P^T B; (not left, adjoint) X A^T = B is
        # A X^T = B^T, the same solve on transposes
        b = B if left else B.transpose(-1, -2)
        y = solve_triangular(low, _permute_rows(b, perm), upper=False, unitriangular=True)
        x = solve_triangular(up, y, upper=True)
        return x if left else x.transpose(-1, -2)
    # (left, adjoint) A^T X = B: X = P L^-T U^-T B; (not left, not adjoint) X A = B is
    # A^T X^T = B^T
    b = B if left else B.transpose(-1, -2)
    y = solve_triangular(up.transpose(-1, -2), b, upper=False)
    z = solve_triangular(low.transpose(-1, -2), y, upper=True, unitriangular=True)
    x = _unpermute_rows(z, perm)
    return x if left else x.transpose(-1, -2)


def _permute_rows(b: Tensor, perm: Tensor) -> Tensor:
    """b[..., perm, :] with b's batch broadcast against perm's."""
    shape = tuple(np.broadcast_shapes(b.shape[:-2], perm.shape[:-2])) + tuple(b.shape[-2:])
    b = b.expand(*shape)
    return b.take_along_dim(perm.expand(*(shape[:-1] + (1,))).expand(*shape), -2)


def _unpermute_rows(z: Tensor, perm: Tensor) -> Tensor:
    """out with out[..., perm, :] = z: the rows of z sent back through P."""
    inverse = np.argsort(perm.data, axis=-2)
    return _permute_rows(z, Tensor(inverse))


class InvExResult(NamedTuple):
    """`(inverse, info)`, as torch.linalg.inv_ex's return type."""

    inverse: Tensor
    info: Tensor


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:  # noqa: N803
    """inverse without raising: info (int32, batch shape) is 0 for an invertible matrix, else
    the 1-based index of the first zero pivot of its LU factor (LAPACK's getrf info); a
    singular matrix's inverse is zeros here (torch leaves LAPACK's partial result).
    `check_errors` raises LinAlgError (a ValueError) instead."""
    from .determinant import inverse

    a = _square("inv_ex", "A", A)
    info = _zero_pivot_info(_lu(a)[0])
    if check_errors and info.any():
        raise LinAlgError(f"inv_ex: the matrix is singular (zero pivot at index "
                         f"{int(info.max())} of its LU factor)")
    ok = (info == 0)[..., None, None]
    safe = A * Tensor(ok.astype(a.dtype)) + Tensor((~ok) * np.eye(a.shape[-1], dtype=a.dtype))
    return InvExResult(inverse(safe) * Tensor(ok.astype(a.dtype)), Tensor(info))


class SolveExResult(NamedTuple):
    """`(result, info)`, as torch.linalg.solve_ex's return type."""

    result: Tensor
    info: Tensor


def solve_ex(A: Tensor, B, *, left: bool = True,  # noqa: N803 - torch's names
             check_errors: bool = False) -> SolveExResult:
    """solve without raising: info (int32, A's batch shape) is 0 where A is invertible, else
    the 1-based index of the first zero pivot of its LU factor (LAPACK's getrf info). A
    singular matrix's solution is NaN here (torch leaves LAPACK's partial result, inf/NaN);
    its gradient is zero. `check_errors` raises LinAlgError instead."""
    from .solve import solve

    B = B if isinstance(B, Tensor) else Tensor(B)
    a = _square("solve_ex", "A", A)
    info = _zero_pivot_info(_lu(a)[0])
    if check_errors and info.any():
        raise LinAlgError(f"solve_ex: the matrix is singular (zero pivot at index "
                          f"{int(info.max())} of its LU factor)")
    if not info.any():
        return SolveExResult(solve(A, B, left=left), Tensor(info))
    bad = (info != 0)[..., None, None]
    # solve against the identity in a singular matrix's place, then mark its solution NaN
    safe = A.masked_fill(Tensor(np.broadcast_to(bad, a.shape)), 0.0) + Tensor(
        bad * np.eye(a.shape[-1], dtype=a.dtype))
    x = solve(safe, B, left=left)
    vector = x.ndim == a.ndim - 1
    mask = bad[..., 0] if vector else bad
    return SolveExResult(x.masked_fill(Tensor(mask), np.nan), Tensor(info))
