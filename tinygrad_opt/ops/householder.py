"""Householder QR in LAPACK's compact form: torch.geqrf (numpy's qr(mode='raw') calls the same
LAPACK routine) and torch.linalg.householder_product, which rebuilds Q from the reflectors.

householder_product(A, tau) is the first n columns of H_1 H_2 ... H_k with
H_i = I - tau_i v_i v_i^T, where v_i is 0 above row i, 1 at row i and A[i+1:, i] below
(LAPACK's orgqr). It is computed here as k rank-one updates of Tensor ops, applied to
I[:, :n] from the last reflector back, so its gradient (for A's strict lower triangle and for
tau) comes from autograd; a loop over the k reflectors, not over entries.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from .solve import _matrix, _mT


class GeqrfResult(NamedTuple):
    """`(a, tau)`, as torch.geqrf's return type."""

    a: Tensor
    tau: Tensor


def geqrf(input: Tensor) -> GeqrfResult:  # noqa: A002 - torch's name
    """LAPACK's geqrf of (*, m, n) matrices: `a` holds R on and above the diagonal and the
    Householder vectors below it, `tau` (*, min(m, n)) their scales. Not differentiable, as
    torch's."""
    a = _matrix("geqrf", "input", input)
    if a.size == 0:  # LAPACK is not called for empty matrices
        return GeqrfResult(Tensor(a.copy()), Tensor(np.zeros(a.shape[:-2] + (min(a.shape[-2:]),),
                                                             a.dtype)))
    h, tau = np.linalg.qr(a, mode="raw")  # h is the transposed (Fortran-order) result
    return GeqrfResult(Tensor(np.ascontiguousarray(_mT(h)).astype(a.dtype, copy=False)),
                       Tensor(tau.astype(a.dtype, copy=False)))


def householder_product(A: Tensor, tau) -> Tensor:  # noqa: N803 - torch's name
    """The first n columns of the product of the Householder reflectors stored in A
    (*, m, n) below the diagonal with scales tau (*, k), m >= n >= k: Q from geqrf's output.
    A's diagonal and upper triangle are not read. Gradients for A and tau."""
    tau = tau if isinstance(tau, Tensor) else Tensor(tau)
    a = _matrix("householder_product", "A", A)
    t = tau.data
    if t.dtype.kind != "f":
        raise TypeError(f"householder_product: tau must be a floating-point tensor, got {t.dtype}")
    m, n = a.shape[-2:]
    if m < n:
        raise ValueError(f"householder_product: A must have at least as many rows as columns "
                         f"(m >= n), got shape {a.shape}")
    if t.ndim < 1 or t.shape[-1] > n:
        raise ValueError(f"householder_product: tau must have shape (*, k) with k <= n = {n}, "
                         f"got {t.shape}")
    if t.shape[:-1] != a.shape[:-2]:
        raise ValueError(f"householder_product: tau's batch shape {t.shape[:-1]} must equal "
                         f"A's {a.shape[:-2]}")
    eye = np.eye(m, n, dtype=np.result_type(a.dtype, t.dtype))
    vectors = A.tril(-1) + Tensor(eye)
    q = Tensor(np.broadcast_to(eye, a.shape[:-2] + (m, n)).copy())
    for i in reversed(range(t.shape[-1])):  # Q = H_1 (H_2 (... (H_k I)))
        v = vectors[..., :, i:i + 1]
        q = q - (tau[..., i:i + 1, None] * v) @ (v.transpose(-1, -2) @ q)
    return q
