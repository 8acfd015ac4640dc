"""The linear algebra names torch keeps at top level from before torch.linalg: `cholesky`,
`lu`, `lu_solve`, `lu_unpack`, `triangular_solve`, `matrix_rank`, `frobenius_norm`,
`nuclear_norm`, `svd_lowrank`, `pca_lowrank`, `orgqr`, `ormqr` (geqrf: ops/householder.py).

Each is a thin layer over tinygrad_opt.linalg (gradients come from there). Deviations:
- `matrix_rank` keeps the 1.8 semantics (tol, symmetric) where torch 2.x raises
  RuntimeError telling the caller to use linalg.matrix_rank;
- `svd_lowrank` / `pca_lowrank` (randomized in torch, Halko et al. 2011) compute the exact
  thin SVD and keep its q leading triplets: the same result as torch's when the randomized
  range finder captures the top-q subspace, deterministic, and `niter` is ignored;
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from . import arithmetic, decompositions, linalg, linalg_methods, movement, norms, reduce
from . import lu as _lu
from .householder import householder_product
from .linalg_methods import lu_solve, triangular_solve  # noqa: F401 - re-exported


def cholesky(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """The Cholesky factor, lower (or upper with `upper=True`), as the deprecated
    torch.cholesky (linalg.cholesky)."""
    return linalg_methods.cholesky(input, upper)


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False):  # noqa: N803 - torch's name
    """torch.lu: (LU, pivots), or (LU, pivots, infos) with get_infos=True, as
    linalg.lu_factor_ex (a singular matrix is factored, not refused; infos tells)."""
    lu_data, pivots, info = _lu.lu_factor_ex(A, pivot=pivot)
    return (lu_data, pivots, info) if get_infos else (lu_data, pivots)


class LUUnpackResult(NamedTuple):
    """(P, L, U) with A = P L U, as torch.return_types.lu_unpack."""

    P: Tensor
    L: Tensor
    U: Tensor


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,  # noqa: N803
              unpack_pivots: bool = True) -> LUUnpackResult:
    """The permutation P and the factors L (unit lower) and U of lu/lu_factor's packed
    output, with A = P L U; L and U carry gradients to LU_data. A part not unpacked is an
    empty tensor, as torch."""
    a = LU_data.data
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"lu_unpack: LU_data must be square matrices, got shape {a.shape}")
    empty = Tensor(np.zeros((0,), dtype=a.dtype))
    low = up = perm_matrix = empty
    if unpack_data:
        eye = Tensor(np.eye(a.shape[-1], dtype=a.dtype))
        low = arithmetic.add(linalg.tril(LU_data, -1), eye)
        up = linalg.triu(LU_data)
    if unpack_pivots:
        piv = LU_pivots.data if isinstance(LU_pivots, Tensor) else np.asarray(LU_pivots)
        perm = _lu._permutation(piv)  # A[perm] = L U
        p = np.zeros(a.shape, dtype=a.dtype)
        np.put_along_axis(p, perm[..., :, None], 1, axis=-1)  # row i of P^T: e_perm[i]
        perm_matrix = Tensor(np.swapaxes(p, -1, -2).copy())
    return LUUnpackResult(perm_matrix, low, up)


def matrix_rank(input: Tensor, tol=None, symmetric: bool = False) -> Tensor:  # noqa: A002
    """The number of singular values (eigenvalue magnitudes when `symmetric`) above `tol`,
    by default S.max() * max(m, n) * eps of the dtype (torch 1.8's rule; see the module
    docstring). An int64 tensor of the batch shape."""
    a = input.data
    if a.ndim < 2:
        raise ValueError(f"matrix_rank: needs a matrix or a batch of them, got shape {a.shape}")
    s = np.abs(np.linalg.eigvalsh(a)) if symmetric else np.linalg.svd(a, compute_uv=False)
    if tol is None:
        eps = np.finfo(a.dtype if a.dtype.kind == "f" else np.float64).eps
        top = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
        tol = top * max(a.shape[-2], a.shape[-1]) * eps
    return Tensor((s > tol).sum(axis=-1).astype(np.int64))


def frobenius_norm(input: Tensor, dim=(-2, -1), keepdim: bool = False) -> Tensor:  # noqa: A002
    """sqrt of the sum of squares over `dim` (one int or a pair), as torch.frobenius_norm."""
    return norms.vector_norm(input, 2, dim, keepdim)


def nuclear_norm(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The sum of singular values over the matrix dimensions `dim` (default the last two;
    torch.nuclear_norm(input, keepdim) is also accepted, as torch)."""
    if isinstance(dim, (bool, np.bool_)):  # the (input, keepdim) overload
        dim, keepdim = None, bool(dim)
    return norms.matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2,  # noqa: N803
                M: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:  # noqa: N803
    """(U, S, V) of the q leading singular triplets of A - M: A - M ~ U diag(S) V^T, U of
    shape (..., m, q), V (..., n, q); q above min(m, n) keeps min(m, n) triplets. Exact,
    not randomized (see the module docstring)."""
    x = A if M is None else arithmetic.sub(A, M)
    m, n = x.data.shape[-2:]
    q = 6 if q is None else q
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q < 0:
        raise ValueError(f"svd_lowrank: q must be a non-negative int, got {q!r}")
    q = min(int(q), m, n)  # an overestimate of the rank keeps all min(m, n) triplets, as torch
    u, s, vh = decompositions.svd(x, full_matrices=False)
    return u[..., :q], s[..., :q], movement.transpose(vh, -2, -1)[..., :q]


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True,  # noqa: N803
                niter: int = 2) -> tuple[Tensor, Tensor, Tensor]:
    """svd_lowrank of A with each column's mean subtracted (when `center`); q defaults to
    min(6, m, n). Returns (U, S, V): V's columns are the principal directions."""
    m, n = A.data.shape[-2:]
    q = min(6, m, n) if q is None else q
    x = arithmetic.sub(A, reduce.mean(A, -2, True)) if center else A
    return svd_lowrank(x, q, niter)


def orgqr(input: Tensor, tau: Tensor) -> Tensor:  # noqa: A002
    """The first n columns of Q = H_1 ... H_k from geqrf's output (linalg.householder_product)."""
    return householder_product(input, tau)


def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True,  # noqa: A002
          transpose: bool = False) -> Tensor:
    """Q @ other (other @ Q when not `left`; Q^T with `transpose`), Q the full m x m
    orthogonal matrix of geqrf's reflectors, never formed by LAPACK but built here."""
    m, k = input.data.shape[-2:]
    t = tau if isinstance(tau, Tensor) else Tensor(tau)
    # extra reflectors with tau = 0 are identities, so Q's remaining columns come out too
    square = input.pad((0, m - k)) if m > k else input[..., :, :m]
    taus = t.pad((0, m - t.data.shape[-1])) if m > t.data.shape[-1] else t
    q = householder_product(square, taus)
    if transpose:
        q = movement.transpose(q, -2, -1)
    return linalg.matmul(q, other) if left else linalg.matmul(other, q)
