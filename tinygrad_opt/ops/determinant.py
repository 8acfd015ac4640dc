"""Square-matrix functions over the last two dimensions (batched): det, slogdet, logdet,
inverse, with PyTorch's gradients.

d det(A) = det(A) inv(A)^T is the cofactor matrix; it is computed from the SVD
(A = U S V^T: cofactor = det(U) det(V) U diag(prod_{j != i} s_j) V^T) so it stays right for
singular matrices, where inv does not exist. d log|det A| = inv(A)^T; d inv(A) maps g to
-inv(A)^T g inv(A)^T. Matrices are computed in their own float dtype; integer input is refused.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from .linalg_error import LinAlgError


class SignLogAbsDet(NamedTuple):
    """`(sign, logabsdet)`, as torch.linalg.slogdet's return type."""

    sign: Tensor
    logabsdet: Tensor


def _square(op: str, x: Tensor) -> np.ndarray:
    a = x.data
    if a.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point tensor, got {a.dtype}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(
            f"{op}: expects a square matrix or a batch of them (shape (*, n, n)), got {a.shape}"
        )
    return a


def _cofactor(a: np.ndarray) -> np.ndarray:
    u, s, vt = np.linalg.svd(a)
    n = s.shape[-1]
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(s, -1)[..., :-1]], axis=-1),
                               axis=-1), -1)
    others = before * after  # prod_{j != i} s_j, without dividing by a zero singular value
    sign = np.linalg.det(u) * np.linalg.det(vt)
    cof = np.matmul(u * others[..., None, :], vt) * sign[..., None, None]
    return cof if n else np.zeros_like(a)


def det(x: Tensor) -> Tensor:
    """Determinant of each matrix (LU, numpy's det); gradient g * cofactor(A)."""
    a = _square("det", x)
    out = np.linalg.det(a).astype(a.dtype)
    return Tensor.make(out, (x,), lambda g: (g[..., None, None] * _cofactor(a),))


def _inverse_transpose(a: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        try:
            return np.swapaxes(np.linalg.inv(a), -1, -2)
        except np.linalg.LinAlgError:  # singular: log|det| = -inf, its gradient infinite
            return np.swapaxes(np.linalg.pinv(a), -1, -2) * np.inf


def slogdet(x: Tensor) -> SignLogAbsDet:
    """`(sign, logabsdet)` with det = sign * exp(logabsdet); sign 0 and logabsdet -inf for
    a singular matrix. logabsdet's gradient is inv(A)^T; sign has none."""
    a = _square("slogdet", x)
    sign, logabs = np.linalg.slogdet(a)
    logabs = logabs.astype(a.dtype)
    out = Tensor.make(logabs, (x,), lambda g: (g[..., None, None] * _inverse_transpose(a),))
    return SignLogAbsDet(Tensor(sign.astype(a.dtype)), out)


def logdet(x: Tensor) -> Tensor:
    """log(det(A)): NaN for a negative determinant, -inf for a singular matrix, as
    torch.logdet; gradient inv(A)^T."""
    a = _square("logdet", x)
    sign, logabs = np.linalg.slogdet(a)
    out = np.where(sign < 0, np.nan, logabs).astype(a.dtype)
    return Tensor.make(out, (x,), lambda g: (g[..., None, None] * _inverse_transpose(a),))


def inverse(x: Tensor) -> Tensor:
    """Inverse of each matrix; a singular one raises LinAlgError (a ValueError here;
    torch's is a RuntimeError). Gradient -inv^T g inv^T."""
    a = _square("inverse", x)
    try:
        out = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise LinAlgError(
            "inverse: the input matrix is singular (not invertible); torch.linalg.pinv-style "
            "pseudo-inverses are not provided"
        ) from None
    out_t = np.swapaxes(out, -1, -2)
    return Tensor.make(out, (x,), lambda g: (-(out_t @ g @ out_t),))
