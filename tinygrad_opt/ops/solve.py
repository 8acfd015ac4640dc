"""Linear systems over the last two dimensions (batched): torch.linalg.solve, lstsq, pinv,
matrix_power, and torch's cholesky_solve / cholesky_inverse, with gradients.

For X = A^-1 B: gB = A^-T gX and gA = -gB X^T (Giles, "Collected matrix derivative results",
2008). For the pseudo-inverse X = A^+ of a matrix of locally constant rank (Golub & Pereyra,
1973): dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X, whose adjoint is
gA = -X^T g X^T + (I - A X) g^T X X^T + X^T X g^T (I - X A). lstsq's solution is A^+ B,
so its gradient follows; matrix_power, cholesky_solve and cholesky_inverse are compositions
of differentiable ops.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor, unbroadcast
from .cholesky import solve_triangular
from .linalg_error import LinAlgError


def _matrix(op: str, name: str, x) -> np.ndarray:
    a = x.data
    if a.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got {a.dtype}")
    if a.ndim < 2:
        raise ValueError(f"{op}: {name} must have at least 2 dimensions (shape (*, m, n)), "
                         f"got {a.shape}")
    return a


def _square(op: str, name: str, x) -> np.ndarray:
    a = _matrix(op, name, x)
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{op}: {name} must be square matrices (shape (*, n, n)), got {a.shape}")
    return a


def _mT(a: np.ndarray) -> np.ndarray:  # noqa: N802 - torch's name for the matrix transpose
    return np.swapaxes(a, -1, -2)


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def solve(A: Tensor, B, *, left: bool = True) -> Tensor:  # noqa: N803 - torch's names
    """X with A X = B (`left=True`) or X A = B, A square and invertible. B may be a vector
    (shape (n,) or A's batch shape + (n,)), as torch decides; batch dimensions broadcast.
    A singular A raises LinAlgError (a ValueError here; torch's is a RuntimeError)."""
    B = _as_tensor(B)
    a = _square("solve", "A", A)
    b = B.data
    if b.dtype.kind != "f":
        raise TypeError(f"solve: B must be a floating-point tensor, got {b.dtype}")
    n = a.shape[-1]
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    bm = b[..., :, None] if vector else b
    if vector and not left:
        bm = _mT(bm)
    if bm.ndim < 2 or (bm.shape[-2] if left else bm.shape[-1]) != n:
        side = "rows" if left else "columns"
        raise ValueError(f"solve: B of shape {b.shape} must have {n} {side} to match A {a.shape}")
    try:
        np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    except ValueError:
        raise ValueError(
            f"solve: batch shapes of A {a.shape} and B {b.shape} do not broadcast") from None
    dtype = np.result_type(a.dtype, b.dtype)
    # X A = B is A^T X^T = B^T: one left solve covers both sides
    lhs = (a if left else _mT(a)).astype(dtype, copy=False)
    rhs = (bm if left else _mT(bm)).astype(dtype, copy=False)
    try:
        sol = np.linalg.solve(lhs, rhs)
    except np.linalg.LinAlgError:
        raise LinAlgError("solve: A is singular (not invertible); use lstsq or pinv for a "
                         "least-squares solution") from None
    out = sol if left else _mT(sol)
    out = out.reshape(out.shape[:-1]) if vector and left else out
    out = out.reshape(out.shape[:-2] + out.shape[-1:]) if vector and not left else out

    def backward(g):
        # back to the column form of `rhs` (a vector's gradient is a column either side)
        gr = g[..., :, None] if vector else (g if left else _mT(g))
        grhs = np.linalg.solve(_mT(lhs), gr)  # lhs^-T g
        glhs = -np.matmul(grhs, _mT(sol))
        ga = unbroadcast(glhs if left else _mT(glhs), a.shape)
        gb = grhs if left else _mT(grhs)
        gb = gb.reshape(gb.shape[:-1]) if vector and left else gb
        gb = gb.reshape(gb.shape[:-2] + gb.shape[-1:]) if vector and not left else gb
        return ga, unbroadcast(gb, b.shape)

    return Tensor.make(out.astype(dtype, copy=False), (A, B), backward)


def _default_rtol(a: np.ndarray, atol) -> np.ndarray:
    """eps * max(m, n) where atol is None or <= 0, else 0; elementwise for a batched atol
    tensor, as torch (`atol in (None, 0)` failed on a tensor and kept rtol 0 for atol < 0)."""
    default = np.finfo(a.dtype).eps * max(a.shape[-2:])
    if atol is None:
        return np.asarray(default, a.dtype)
    tol = np.asarray(atol.data if isinstance(atol, Tensor) else atol, dtype=a.dtype)
    return np.where(tol > 0, 0, default).astype(a.dtype)


def _pinv_backward(a: np.ndarray, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    xt = _mT(x)
    eye_m = np.eye(a.shape[-2], dtype=a.dtype)
    eye_n = np.eye(a.shape[-1], dtype=a.dtype)
    p = eye_m - a @ x  # projector onto the complement of range(A)
    q = eye_n - x @ a  # projector onto the null space of A
    gt = _mT(g)
    return -(xt @ g @ xt) + p @ gt @ x @ xt + xt @ x @ gt @ q


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:  # noqa: N803
    """Moore-Penrose pseudo-inverse from the SVD (the eigendecomposition when `hermitian`,
    reading A's lower triangle): singular values at or below max(atol, rtol * s_max) are
    dropped. rtol defaults to eps * max(m, n) where atol is None or <= 0, else 0 (torch's
    rule, per matrix for a batched atol tensor).
    The gradient assumes the rank does not change near A."""
    a = _matrix("pinv", "A", A)
    tol_a = 0.0 if atol is None else atol
    tol_r = _default_rtol(a, atol) if rtol is None else rtol
    tol_a = np.asarray(tol_a.data if isinstance(tol_a, Tensor) else tol_a, dtype=a.dtype)
    tol_r = np.asarray(tol_r.data if isinstance(tol_r, Tensor) else tol_r, dtype=a.dtype)
    if hermitian:
        if a.shape[-1] != a.shape[-2]:
            raise ValueError(f"pinv: hermitian=True needs square matrices, got {a.shape}")
        w, v = np.linalg.eigh(a)
        mag = np.abs(w)
        cut = np.maximum(tol_a[..., None], tol_r[..., None] * mag.max(-1, keepdims=True,
                                                                       initial=0))
        keep = mag > cut
        inv_w = np.where(keep, 1 / np.where(keep, w, 1), 0)
        out = (v * inv_w[..., None, :]) @ _mT(v)
    else:
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        cut = np.maximum(tol_a[..., None], tol_r[..., None] * s.max(-1, keepdims=True,
                                                                    initial=0))
        keep = s > cut
        inv_s = np.where(keep, 1 / np.where(keep, s, 1), 0)
        out = (_mT(vt) * inv_s[..., None, :]) @ _mT(u)
    out = out.astype(a.dtype, copy=False)
    return Tensor.make(out, (A,), lambda g: (_pinv_backward(a, out, g),))


class LstsqResult(NamedTuple):
    """`(solution, residuals, rank, singular_values)`, as torch.linalg.lstsq's return type."""

    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Tensor, B, rcond=None, *, driver=None) -> LstsqResult:  # noqa: N803
    """Least-squares solution of A X = B (minimum norm when A is rank deficient), as
    torch.linalg.lstsq with torch's CPU default driver 'gelsy'. Which fields are filled follows
    torch: rank for every driver but 'gels'; singular_values for 'gelsd'/'gelss'; residuals
    (squared column norms of A X - B) when m > n, every matrix has full rank and the driver
    is not 'gelsy'; the others are empty tensors. rcond (relative cut-off on the singular
    values) defaults to eps * max(m, n).

    Deviation: every driver computes through the SVD (numpy has no pivoted QR), so 'gelsy''s
    rank decision uses singular values where LAPACK uses the QR's condition estimate; the
    solution is the same minimum-norm one. The gradient is that of pinv(A) @ B."""
    B = _as_tensor(B)
    a = _matrix("lstsq", "A", A)
    b = B.data
    if b.dtype.kind != "f":
        raise TypeError(f"lstsq: B must be a floating-point tensor, got {b.dtype}")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise ValueError(f"lstsq: driver must be one of {_DRIVERS}, got {driver!r}")
    vector = b.ndim == a.ndim - 1
    if b.ndim < 1 or (b.shape[-1] if vector else b.shape[-2]) != a.shape[-2]:
        raise ValueError(f"lstsq: B of shape {b.shape} must have {a.shape[-2]} rows to match "
                         f"A {a.shape}")
    m, n = a.shape[-2:]
    rtol = float(np.finfo(a.dtype).eps * max(m, n)) if rcond is None else float(rcond)
    ap = pinv(A, rtol=rtol)
    bt = B.unsqueeze(-1) if vector else B
    solution = ap @ bt
    s = np.linalg.svd(a, compute_uv=False)
    rank = (s > rtol * s.max(-1, keepdims=True, initial=0)).sum(-1).astype(np.int64)
    dtype = a.dtype
    empty = Tensor(np.zeros((0,), dtype))
    residuals = empty
    if m > n and driver != "gelsy" and np.all(rank == n):
        residuals = ((A @ solution - bt) ** 2).sum(-2)
    if vector:  # the residuals keep B's column dimension (of size 1), as torch's
        solution = solution.squeeze(-1)
    return LstsqResult(
        solution,
        residuals,
        Tensor(rank) if driver != "gels" else Tensor(np.zeros((0,), np.int64)),
        Tensor(s.astype(dtype)) if driver in ("gelsd", "gelss") else empty,
    )


def matrix_power(A: Tensor, n: int) -> Tensor:  # noqa: N803
    """A^n by repeated squaring; n = 0 gives the identity (gradient zero), n < 0 powers the
    inverse (a singular A raises LinAlgError, a ValueError)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: n must be an integer, got {type(n).__name__}")
    a = _square("matrix_power", "A", A) if A.data.dtype.kind == "f" else A.data
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"matrix_power: A must be square matrices (shape (*, n, n)), got "
                         f"{a.shape}")
    if n == 0:
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
        return Tensor.make(eye, (A,), lambda g: (np.zeros_like(a),))
    base = A
    if n < 0:
        from .determinant import inverse

        base, n = inverse(A), -n
    result = None
    while n:  # a loop over the bits of n, not over elements
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """X with A X = B where A = L L^T (or U^T U with `upper`), by two triangular solves;
    torch.cholesky_solve's argument order (B first). Batch dimensions broadcast. Only L's
    triangle is read, so the other triangle's gradient is zero (the true derivative; torch's
    backward puts values there and reads the whole input)."""
    B = _as_tensor(B)
    _square("cholesky_solve", "L", L)
    _matrix("cholesky_solve", "B", B)
    if upper:  # U^T Y = B, then U X = Y
        y = solve_triangular(L.transpose(-1, -2), B, upper=False)
        return solve_triangular(L, y, upper=True)
    y = solve_triangular(L, B, upper=False)
    return solve_triangular(L.transpose(-1, -2), y, upper=True)


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """A^-1 from A's Cholesky factor: (L L^T)^-1, or (U^T U)^-1 with `upper`; gradient
    only in the triangle read, as cholesky_solve's."""
    low = _square("cholesky_inverse", "L", L)
    eye = np.broadcast_to(np.eye(low.shape[-1], dtype=low.dtype), low.shape).copy()
    return cholesky_solve(Tensor(eye), L, upper=upper)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002 - torch's name
    """torch.pinverse: pinv with relative cut-off `rcond` (singular values at or below
    rcond * s_max are dropped)."""
    return pinv(input, rtol=rcond)
