"""`tinygrad_opt.linalg`: torch.linalg's names for the matrix functions of ops/."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .ops.cholesky import cholesky, solve_triangular
from .ops.decompositions import eigh, eigvalsh, matrix_rank, qr, svd, svdvals
from .ops.determinant import det, inverse, slogdet
from .ops.determinant import inverse as _inverse
from .ops.diagonal import diagonal as _diagonal
from .ops.householder import householder_product
from .ops.linalg import matmul as _matmul
from .ops.linalg_error import LinAlgError
from .ops.lu import inv_ex, lu, lu_factor, lu_factor_ex, lu_solve, solve_ex
from .ops.matrix_exp import matrix_exp
from .ops.norms import matrix_norm, norm, vector_norm
from .ops.products import cross as _cross
from .ops.products import vander as _vander
from .ops.solve import lstsq, matrix_power, pinv, solve
from .tensor import Tensor

inv = inverse

__all__ = [
    "cholesky", "cross", "det", "inv", "matrix_norm", "norm", "slogdet", "solve_triangular",
    "vander", "vector_norm",
    "cholesky_ex", "cond", "diagonal", "eigh", "eigvalsh", "lstsq", "matrix_exp",
    "matrix_power", "matrix_rank", "multi_dot", "pinv", "qr", "solve", "svd", "svdvals",
    "vecdot", "inv_ex", "lu_factor", "lu_factor_ex", "lu_solve",
    "LinAlgError", "eig", "eigvals", "householder_product", "lu", "matmul", "solve_ex",
    "tensorinv", "tensorsolve",
]


def cross(input: Tensor, other, *, dim: int = -1) -> Tensor:  # noqa: A002 - torch's name
    """Cross product along `dim` (default -1, unlike torch.cross's first size-3 dimension)."""
    return _cross(input, other, dim=dim)


def vander(x: Tensor, *, N=None) -> Tensor:  # noqa: N803
    """torch.linalg.vander: increasing powers x^0 ... x^(N-1) (torch.vander decreases)."""
    return _vander(x, N=N, increasing=True)


def vecdot(x: Tensor, y, *, dim: int = -1) -> Tensor:
    """Dot product of x and y along `dim` (broadcasting; real tensors, so no conjugation)."""
    return (x * y).sum(dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """torch.diagonal with the matrix dimensions (-2, -1) as defaults."""
    return _diagonal(A, offset, dim1, dim2)


def multi_dot(tensors) -> Tensor:
    """Product of a chain of matrices; the first may be a 1-D row and the last a 1-D column
    vector (their dimension is removed). Multiplied left to right (torch picks the cheapest
    order; the value is the same up to rounding)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ValueError(f"multi_dot: expects at least 2 tensors, got {len(tensors)}")
    for i, t in enumerate(tensors):
        ends = i in (0, len(tensors) - 1)
        if t.ndim != 2 and not (ends and t.ndim == 1):
            raise ValueError(
                f"multi_dot: tensor {i} must be 2-D (the first and last may be 1-D), got "
                f"shape {tuple(t.shape)}"
            )
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out


def cond(A: Tensor, p=None) -> Tensor:  # noqa: N803
    """Condition number in norm p: s_max / s_min for p None or 2 (s_min / s_max for -2), else
    matrix_norm(A, p) * matrix_norm(inv(A), p) for square A ('fro', 'nuc', inf, -inf, 1, -1),
    inf (gradient zero) for a singular A, as torch."""
    if p in (None, 2, -2):
        s = svdvals(A)
        top, bottom = s[..., 0], s[..., -1]
        return top / bottom if p != -2 else bottom / top
    if p not in ("fro", "nuc", np.inf, -np.inf, 1, -1):
        raise ValueError(
            f"cond: p must be None, 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2, got {p!r}"
        )
    a = A.data
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"cond: p={p!r} needs square matrices (*, n, n), got {a.shape}")
    singular = (np.linalg.slogdet(a)[0] == 0)[..., None, None]
    # invert the identity in a singular matrix's place, then report inf for it
    eye = np.eye(a.shape[-1], dtype=a.dtype)  # in A's dtype: float32 A gives a float32 cond
    safe = A * Tensor((~singular).astype(a.dtype)) + Tensor(singular * eye)
    value = matrix_norm(safe, p) * matrix_norm(_inverse(safe), p)
    return value.masked_fill(Tensor(singular[..., 0, 0]), np.inf)


class CholeskyExResult(NamedTuple):
    """`(L, info)`, as torch.linalg.cholesky_ex's return type."""

    L: Tensor
    info: Tensor


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:  # noqa: N803
    """cholesky without raising: info (int32, batch shape) is 0 where A is positive definite,
    else the order of its first leading minor that is not positive (or is NaN), read from
    the triangle cholesky reads; those matrices' L is zero (torch leaves LAPACK's partial
    result there). `check_errors` raises instead."""
    a = A.data
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"cholesky_ex: A must be square matrices (*, n, n), got {a.shape}")
    zero_info = Tensor(np.zeros(a.shape[:-2], np.int32))
    try:
        low = cholesky(A, upper=upper)
        # numpy factors NaN without complaint; LAPACK's potrf stops at a NaN pivot, as torch
        if not np.isnan(np.diagonal(low.data, axis1=-2, axis2=-1)).any():
            return CholeskyExResult(low, zero_info)
    except ValueError:
        pass
    n = a.shape[-1]
    # the matrix cholesky factors: the triangle it reads, mirrored (A's other triangle, which
    # may differ for a non-symmetric A, must not decide info)
    if upper:
        sym = np.triu(a) + np.swapaxes(np.triu(a, 1), -1, -2)
    else:
        sym = np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)
    info = np.zeros(a.shape[:-2], np.int32)
    for k in range(n, 0, -1):  # leading minors, largest first, so the smallest failing wins
        with np.errstate(invalid="ignore"):
            sign, logdet = np.linalg.slogdet(sym[..., :k, :k])
        info = np.where((sign <= 0) | np.isnan(logdet), k, info).astype(np.int32)
    if check_errors and info.any():
        raise LinAlgError(f"cholesky_ex: the leading minor of order {int(info.max())} is not "
                         "positive (the input is not positive definite)")
    ok_mask = np.broadcast_to((info == 0)[..., None, None], a.shape)
    ok = ok_mask.astype(a.dtype)
    eye = np.eye(n, dtype=a.dtype)
    # masked_fill, not a product: NaN * 0 would leave NaN in a failed matrix's place
    safe = A.masked_fill(Tensor(~ok_mask), 0.0) + Tensor((1 - ok) * eye)
    return CholeskyExResult(cholesky(safe, upper=upper) * Tensor(ok), Tensor(info))


def matmul(input: Tensor, other) -> Tensor:  # noqa: A002 - torch's name
    """torch.linalg.matmul: an alias of Tensor.matmul (`@`)."""
    return _matmul(input, other)


def _prod(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:  # noqa: N803
    """The inverse of A for tensordot over its first `ind` dimensions: A viewed as a
    prod(shape[:ind]) x prod(shape[ind:]) matrix (which must be square) is inverted and
    given the shape shape[ind:] + shape[:ind]. A singular A raises LinAlgError."""
    if isinstance(ind, bool) or not isinstance(ind, int) or ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind!r}")
    shape = tuple(A.shape)
    if ind > len(shape):
        raise ValueError(f"tensorinv: ind={ind} exceeds A's {len(shape)} dimensions")
    rows, cols = _prod(shape[:ind]), _prod(shape[ind:])
    if rows != cols:
        raise ValueError(f"tensorinv: prod(A.shape[:ind]) must equal prod(A.shape[ind:]), got "
                         f"{rows} != {cols} for shape {shape} and ind={ind}")
    return _inverse(A.reshape(rows, cols)).reshape(*(shape[ind:] + shape[:ind]))


def tensorsolve(A: Tensor, B, dims=None) -> Tensor:  # noqa: N803
    """X with tensordot(A, X, X.ndim) = B: the dimensions `dims` of A (if given) are first
    moved to the end, then A is viewed as a prod(B.shape) x prod(A.shape[B.ndim:]) matrix
    (which must be square) and solved against B flattened; X has shape A.shape[B.ndim:].
    A singular A raises LinAlgError."""
    B = B if isinstance(B, Tensor) else Tensor(B)
    if dims is not None:
        dims = [dims] if isinstance(dims, int) else list(dims)
        for d in dims:
            if not -A.ndim <= d < A.ndim:
                raise ValueError(f"tensorsolve: dim {d} is out of range for A with {A.ndim} "
                                 "dimensions")
        moved = [d % A.ndim for d in dims]
        if len(set(moved)) != len(moved):
            raise ValueError(f"tensorsolve: dims {tuple(dims)} repeat a dimension")
        A = A.permute(*([d for d in range(A.ndim) if d not in moved] + moved))
    shape = tuple(A.shape)
    rows, cols = _prod(B.shape), _prod(shape[B.ndim:])
    if B.ndim > len(shape) or rows != _prod(shape[:B.ndim]) or rows != cols:
        raise ValueError(f"tensorsolve: A of shape {shape} must be B.shape + X.shape with "
                         f"prod(B.shape) = prod(X.shape); B has shape {tuple(B.shape)}")
    x = solve(A.reshape(rows, cols), B.reshape(rows))
    return x.reshape(*shape[B.ndim:])


def eig(A: Tensor):  # noqa: N803
    """Not provided: general eigenvectors are complex and tinygrad_opt has no complex
    tensors. Raises NotImplementedError; use eigh for symmetric matrices."""
    raise NotImplementedError("linalg.eig: eigenvalues of a general matrix are complex and "
                              "complex tensors are not supported; for a symmetric matrix use "
                              "linalg.eigh")


def eigvals(A: Tensor):  # noqa: N803
    """Not provided (complex output); raises NotImplementedError, pointing to eigvalsh."""
    raise NotImplementedError("linalg.eigvals: eigenvalues of a general matrix are complex and "
                              "complex tensors are not supported; for a symmetric matrix use "
                              "linalg.eigvalsh")
