"""Matrix decompositions over the last two dimensions (batched) with gradients: torch.linalg's
qr, svd, svdvals, eigh, eigvalsh and matrix_rank, numpy.linalg underneath.

Backward rules (real matrices; every output's gradient enters one joint rule):
- QR, A = Q R with m >= n (Walter & Lehmann 2018; Seeger et al. 2017):
  M = R gR^T - gQ^T Q, gA = (gQ + Q copyltu(M)) R^-T, copyltu(M) the symmetric matrix with
  M's lower triangle. For m < n, A = [X | Y], R = [U | V]: gY = Q gV and X's rule runs with
  gQ + Y gV^T. Complete mode with m > n and mode 'r' raise on backward, as torch.
- SVD, A = U diag(s) V^T (Townsend, "Differentiating the singular value decomposition",
  2016): F_ij = 1 / (s_j^2 - s_i^2) off the diagonal,
  gA = U [(F o (U^T gU - gU^T U)) S + diag(gs) + S (F o (V^T gV - gV^T V))] V^T
       + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T).
- eigh, A = V diag(w) V^T (Magnus & Neudecker): E_ij = w_j - w_i off the diagonal,
  gA = V (diag(gw) + skew(V^T gV) / E) V^T with skew(M) = (M - M^T) / 2, symmetric as torch's.
Singular vectors and eigenvectors are defined only up to sign (gauge), so only losses that do
not depend on it have a meaning. With repeated singular values / eigenvalues the vector terms
divide by zero: the gradient is inf/NaN when the loss depends on the vectors (as torch, which
gives no error for real input) and exact when it uses the values only (the terms are skipped
where their numerator is zero).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from .solve import _default_rtol, _matrix, _mT, _square


def _joint(parts: list[np.ndarray], parents: tuple, backward) -> list[Tensor]:
    """One graph node for several outputs: `backward(*grads)` receives a gradient for every
    part (zeros for the parts the loss does not use)."""
    nb = parts[0].ndim - 2
    batch = parts[0].shape[:nb]
    sizes = [int(np.prod(p.shape[nb:], dtype=np.int64)) for p in parts]
    packed = np.concatenate([p.reshape(batch + (s,)) for p, s in zip(parts, sizes)], -1)
    bounds = np.cumsum([0] + sizes)

    def unpack(g):
        return backward(*[g[..., lo:hi].reshape(p.shape)
                          for p, lo, hi in zip(parts, bounds[:-1], bounds[1:])])

    node = Tensor.make(packed, parents, unpack)
    outs = []
    for p, lo, hi in zip(parts, bounds[:-1], bounds[1:]):
        def place(g, lo=lo, hi=hi):
            full = np.zeros(packed.shape, packed.dtype)
            full[..., lo:hi] = g.reshape(batch + (hi - lo,))
            return (full,)

        outs.append(Tensor.make(p, (node,), place))
    return outs


def _off_diagonal_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den off the diagonal, 0 on it and wherever num is exactly 0 (unused terms)."""
    n = num.shape[-1]
    use = (num != 0) & ~np.eye(n, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(use, num / np.where(use, den, 1), 0)


class QRResult(NamedTuple):
    """`(Q, R)`, as torch.linalg.qr's return type."""

    Q: Tensor
    R: Tensor


def _copyltu(m: np.ndarray) -> np.ndarray:
    low = np.tril(m, -1)
    return low + _mT(low) + np.eye(m.shape[-1], dtype=m.dtype) * m


def _qr_tall_backward(q, r, gq, gr):
    m_ = r @ _mT(gr) - _mT(gq) @ q
    rhs = gq + q @ _copyltu(m_)
    # gA = rhs R^-T, i.e. gA^T = R^-1 rhs^T
    return _mT(np.linalg.solve(r, _mT(rhs)))


def qr(A: Tensor, mode: str = "reduced") -> QRResult:  # noqa: N803 - torch's name
    """Q R = A with Q orthonormal columns and R upper triangular (numpy's Householder QR, so
    R's diagonal may be negative, as torch's LAPACK). mode 'reduced' (Q m x k, R k x n,
    k = min(m, n)), 'complete' (Q m x m, R m x n) or 'r' (Q empty, R only)."""
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    a = _matrix("qr", "A", A)
    m, n = a.shape[-2:]
    q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    q = q.astype(a.dtype, copy=False)
    r = r.astype(a.dtype, copy=False)

    def backward(gq, gr):
        if mode == "r":
            raise RuntimeError("qr: the gradient needs Q, which mode='r' does not compute; "
                               "use mode='reduced'")
        if mode == "complete" and m > n:
            raise RuntimeError("qr: not differentiable with mode='complete' and more rows "
                               "than columns (the extra columns of Q are not unique)")
        if m >= n:
            return (_qr_tall_backward(q, r, gq, gr),)
        y = a[..., :, m:]
        gv = gr[..., :, m:]
        gx = _qr_tall_backward(q, r[..., :, :m], gq + y @ _mT(gv), gr[..., :, :m])
        return (np.concatenate([gx, q @ gv], -1),)

    qt, rt = _joint([q, r], (A,), backward)
    if mode == "r":
        qt = Tensor(np.zeros((0,), a.dtype))
    return QRResult(qt, rt)


class SVDResult(NamedTuple):
    """`(U, S, Vh)`, as torch.linalg.svd's return type."""

    U: Tensor
    S: Tensor
    Vh: Tensor


def _svd_backward(u, s, vt, gu, gs, gvt):
    """Townsend's rule on the reduced factors (U m x k, s k, V^T k x n)."""
    v, gv = _mT(vt), _mT(gvt)
    s2 = s[..., None, :] ** 2 - s[..., :, None] ** 2  # s_j^2 - s_i^2 at (i, j)
    ut_gu = _mT(u) @ gu
    vt_gv = vt @ gv
    j = _off_diagonal_divide(ut_gu - _mT(ut_gu), s2)
    k = _off_diagonal_divide(vt_gv - _mT(vt_gv), s2)
    inner = j * s[..., None, :] + k * s[..., :, None]  # J S + S K
    inner = inner + gs[..., :, None] * np.eye(s.shape[-1], dtype=s.dtype)
    out = u @ inner @ vt
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s = 1 / s
    m, n = u.shape[-2], vt.shape[-1]
    if m > s.shape[-1] and np.any(gu):  # U's columns do not span R^m: its complement moves
        proj = gu - u @ ut_gu
        out = out + (proj * inv_s[..., None, :]) @ vt
    if n > s.shape[-1] and np.any(gv):
        proj = gv - v @ vt_gv
        out = out + (u * inv_s[..., None, :]) @ _mT(proj)
    return out


def svd(A: Tensor, full_matrices: bool = True, *, driver=None) -> SVDResult:  # noqa: N803
    """A = U diag(S) Vh, singular values descending (numpy's gesdd). `full_matrices` gives
    square U and Vh; the gradient then flows through their first min(m, n) columns / rows
    only, as torch. `driver` (a CUDA-only choice in torch) must be None."""
    if driver is not None:
        raise ValueError(f"svd: driver is a CUDA-only option; it must be None, got {driver!r}")
    a = _matrix("svd", "A", A)
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    u, s, vt = (t.astype(a.dtype, copy=False) for t in (u, s, vt))
    k = s.shape[-1]

    def backward(gu, gs, gvt):
        ur, vr = u[..., :, :k], vt[..., :k, :]
        return (_svd_backward(ur, s, vr, gu[..., :, :k], gs, gvt[..., :k, :]),)

    ut, st, vht = _joint([u, s[..., None, :], vt], (A,), _svd_vector_s(backward))
    return SVDResult(ut, st.squeeze(-2), vht)


def _svd_vector_s(backward):
    """The joint node stores S as a row (its parts are matrices): undo that for the rule."""
    return lambda gu, gs, gvt: backward(gu, gs[..., 0, :], gvt)


def svdvals(A: Tensor, *, driver=None) -> Tensor:  # noqa: N803
    """Singular values, descending; gradient U diag(g) V^T (defined even when values repeat)."""
    if driver is not None:
        raise ValueError(f"svdvals: driver is a CUDA-only option; it must be None, got "
                         f"{driver!r}")
    a = _matrix("svdvals", "A", A)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    s = s.astype(a.dtype, copy=False)
    return Tensor.make(s, (A,), lambda g: ((u * g[..., None, :]) @ vt,))


class EighResult(NamedTuple):
    """`(eigenvalues, eigenvectors)`, as torch.linalg.eigh's return type."""

    eigenvalues: Tensor
    eigenvectors: Tensor


def _uplo(op: str, uplo: str) -> str:
    if uplo not in ("L", "U"):
        raise ValueError(f"{op}: UPLO must be 'L' or 'U', got {uplo!r}")
    return uplo


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:  # noqa: N803
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric matrices,
    reading only the triangle UPLO ('L' lower, 'U' upper) as torch."""
    a = _square("eigh", "A", A)
    w, v = np.linalg.eigh(a, UPLO=_uplo("eigh", UPLO))
    w = w.astype(a.dtype, copy=False)
    v = v.astype(a.dtype, copy=False)

    def backward(gw, gv):
        gw = gw[..., 0, :]
        vt_gv = _mT(v) @ gv
        gaps = w[..., None, :] - w[..., :, None]  # w_j - w_i at (i, j)
        inner = _off_diagonal_divide(0.5 * (vt_gv - _mT(vt_gv)), gaps)
        inner = inner + gw[..., :, None] * np.eye(w.shape[-1], dtype=w.dtype)
        return (v @ inner @ _mT(v),)

    wt, vt_ = _joint([w[..., None, :], v], (A,), backward)
    return EighResult(wt.squeeze(-2), vt_)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    """Eigenvalues (ascending) of symmetric matrices; gradient V diag(g) V^T."""
    a = _square("eigvalsh", "A", A)
    w, v = np.linalg.eigh(a, UPLO=_uplo("eigvalsh", UPLO))
    w = w.astype(a.dtype, copy=False)
    return Tensor.make(w, (A,), lambda g: ((v * g[..., None, :]) @ _mT(v),))


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:  # noqa: N803
    """Number of singular values (|eigenvalues| when `hermitian`) above
    max(atol, rtol * largest); rtol defaults as pinv's. int64, no gradient."""
    a = _matrix("matrix_rank", "A", A)
    if hermitian:
        a = _square("matrix_rank", "A", A)
        s = np.abs(np.linalg.eigvalsh(a))
    else:
        s = np.linalg.svd(a, compute_uv=False)
    tol_a = 0.0 if atol is None else atol
    tol_r = _default_rtol(a, atol) if rtol is None else rtol
    tol_a = np.asarray(tol_a.data if isinstance(tol_a, Tensor) else tol_a, dtype=a.dtype)
    tol_r = np.asarray(tol_r.data if isinstance(tol_r, Tensor) else tol_r, dtype=a.dtype)
    cut = np.maximum(tol_a, tol_r * s.max(-1, initial=0))
    return Tensor((s > cut[..., None]).sum(-1).astype(np.int64))


class LegacySVDResult(NamedTuple):
    """`(U, S, V)`, as torch.svd's return type (V, not its transpose)."""

    U: Tensor
    S: Tensor
    V: Tensor


def svd_legacy(input: Tensor, some: bool = True, compute_uv: bool = True) -> LegacySVDResult:  # noqa: A002
    """torch.svd / Tensor.svd: V instead of Vh, `some=True` for the reduced factors; with
    compute_uv=False, U and V are zero matrices of the full shapes (m x m, n x n), as torch."""
    if not compute_uv:
        a = _matrix("svd", "input", input)
        m, n = a.shape[-2:]
        return LegacySVDResult(Tensor(np.zeros(a.shape[:-2] + (m, m), a.dtype)), svdvals(input),
                               Tensor(np.zeros(a.shape[:-2] + (n, n), a.dtype)))
    u, s, vh = svd(input, full_matrices=not some)
    return LegacySVDResult(u, s, vh.transpose(-1, -2))


def qr_legacy(input: Tensor, some: bool = True) -> QRResult:  # noqa: A002
    """torch.qr / Tensor.qr: `some=True` is mode 'reduced', False is 'complete'."""
    return qr(input, mode="reduced" if some else "complete")
