"""`nn.utils.parametrizations.orthogonal`: a matrix (or batch of matrices) kept orthogonal,
as torch.nn.utils.parametrizations.orthogonal, through the matrix exponential or the Cayley
map of a skew-symmetric matrix, or a product of Householder reflections.

Built from Tensor ops, so gradients reach the original: the matrix exponential is a Taylor
polynomial of degree 18 after scaling by 2^-s (||A / 2^s||_1 <= 1/2, truncation error below
1e-22) and s squarings; Cayley uses `linalg.inv`. Real tensors only (the package has no
complex dtype).
"""

from __future__ import annotations

import math

import numpy as np

from ...linalg import inv
from ...ops.creation import eye
from ...ops.join import cat
from ...random import generator
from ...tensor import Tensor
from ..module import Module
from . import parametrize

MAPS = ("matrix_exp", "cayley", "householder")


def matrix_exp(a: Tensor) -> Tensor:
    """exp(A) of a (batch of) square matrices, by scaling and squaring a Taylor polynomial."""
    norm = float(np.max(np.sum(np.abs(a.data), axis=-2), initial=0.0))
    squarings = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    b = a * (0.5**squarings)
    identity = eye(a.shape[-1], dtype=a.dtype)
    result = identity
    for degree in range(18, 0, -1):  # Horner: I + B/1 (I + B/2 (I + ... B/18))
        result = identity + (b @ result) * (1.0 / degree)
    for _ in range(squarings):
        result = result @ result
    return result


def householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i = e_i plus the
    entries of column i below the diagonal (LAPACK's orgqr; torch.linalg.householder_product)."""
    n, k = a.shape[-2], a.shape[-1]
    q = Tensor(np.broadcast_to(np.eye(n, k, dtype=a.dtype), a.shape).copy())
    unit = np.eye(n, dtype=a.dtype)
    below = a.tril(-1)
    for i in range(k - 1, -1, -1):  # applied right to left, each to the running product
        v = (below[..., :, i] + Tensor(unit[i])).unsqueeze(-1)  # (..., n, 1)
        t = tau[..., i].unsqueeze(-1).unsqueeze(-1)
        q = q - (v * t) @ (v.transpose(-2, -1) @ q)
    return q


def positive_qr_q(a: np.ndarray) -> np.ndarray:
    """Q of A = QR with diag(R) >= 0 (QR's Q with each column times the sign of R's entry)."""
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


class _Orthogonal(Module):
    """Q from the original X: `orthogonal_map` of X (tall: X transposed when wider than high);
    with `use_trivialization`, Q = base @ map(X), base a buffer set on assignment, X = -I."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization=True):
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x: Tensor) -> Tensor:
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:
            x = x.transpose(-2, -1)
            n, k = k, n
        if self.orthogonal_map == "householder":
            below = x.tril(-1)
            tau = 2.0 / (1.0 + (below * below).sum(axis=-2))
            q = householder_product(below, tau)
            # the diagonal of X holds the signs +-1; constants, as torch's int() cast
            signs = np.trunc(np.diagonal(x.data, axis1=-2, axis2=-1))
            q = q * Tensor(signs[..., None, :].astype(x.dtype))
        else:
            x = x.tril()
            if n != k:  # embed in a square matrix
                zeros = Tensor(np.zeros((*x.shape[:-1], n - k), dtype=x.dtype))
                x = cat([x, zeros], dim=-1)
            a = x - x.transpose(-2, -1)  # skew-symmetric
            if self.orthogonal_map == "matrix_exp":
                q = matrix_exp(a)
            else:  # Cayley: (I - A/2)^-1 (I + A/2)
                identity = eye(n, dtype=a.dtype)
                q = inv(identity - a * 0.5) @ (identity + a * 0.5)
            if n != k:
                q = q[..., :k]
        base = self._buffers.get("base")
        if base is not None:
            q = base @ q
        return q.transpose(-2, -1) if transposed else q

    def right_inverse(self, q: Tensor) -> Tensor:
        if tuple(q.shape) != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor "
                f"of shape {tuple(q.shape)}."
            )
        data = q.data
        n, k = data.shape[-2], data.shape[-1]
        transposed = n < k
        if transposed:
            data = np.swapaxes(data, -2, -1)
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map != "householder":
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential or the Cayley "
                    "parametrizations when use_trivialization=False."
                )
            # X: the Householder vectors of Q's QR (LAPACK geqrf) below the diagonal, the
            # signs of R's diagonal on it (flipped where a reflection was skipped, tau = 0)
            h, tau = np.linalg.qr(data, mode="raw")
            x = np.swapaxes(h, -2, -1).astype(data.dtype)  # a copy
            diagonal = np.sign(np.diagonal(x, axis1=-2, axis2=-1)) * np.where(tau == 0, -1, 1)
            x[..., np.arange(k), np.arange(k)] = diagonal
            return Tensor(np.swapaxes(x, -2, -1).copy() if transposed else x)
        if n == k:
            base = data if _is_orthogonal(data) else positive_qr_q(data)
        else:  # complete Q with random columns to a square orthogonal matrix
            extra = generator().standard_normal((*data.shape[:-1], n - k)).astype(data.dtype)
            base = positive_qr_q(np.concatenate([data, extra], axis=-1))
        self.base = Tensor(np.array(base, dtype=data.dtype, copy=True))
        # X = -I: every map gives I (householder: the reflections flip signs the diagonal
        # flips back), so the weight is base itself
        minus_identity = np.zeros(q.shape, dtype=data.dtype)
        minus_identity[..., np.arange(min(n, k)), np.arange(min(n, k))] = -1.0
        return Tensor(minus_identity)


def _is_orthogonal(q: np.ndarray) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    atol = 10 * n * np.finfo(q.dtype).eps
    return bool(np.allclose(np.swapaxes(q, -2, -1) @ q, np.eye(k), atol=atol))


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Keep `module.<name>` orthogonal (Q^T Q = I for a tall matrix, Q Q^T = I for a wide
    one), as torch.nn.utils.parametrizations.orthogonal. `orthogonal_map`: "matrix_exp"
    (default for square matrices), "cayley", or "householder" (default otherwise). With
    `use_trivialization` (default) the weight is `base @ map(X)`, `base` a buffer
    (`parametrizations.<name>.0.base`) set to the weight made orthogonal (QR) on
    registration and assignment, and X starting at -I."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in MAPS:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
