"""Matrix exponential over the last two dimensions (batched): torch.linalg.matrix_exp.

Forward: scaling and squaring with the diagonal [6/6] Padé approximant (Moler & Van Loan,
"Nineteen dubious ways...", 2003): each matrix is scaled by 2^-s so its 1-norm is at most 1/2,
where the [6/6] error is below 1e-18, then squared s times (s per matrix; the squarings run
for the batch at once, a matrix that is done keeps its value). Backward: the adjoint of the
Fréchet derivative, gA = L(A^T, G), is the upper-right block of
exp([[A^T, G], [0, A^T]]) (Najfeld & Havel 1995; Mathias 1996).
"""

from __future__ import annotations

from math import factorial

import numpy as np

from ..tensor import Tensor
from .solve import _mT, _square

_ORDER = 6
_PADE = np.array([factorial(2 * _ORDER - j) * factorial(_ORDER)
                  / (factorial(2 * _ORDER) * factorial(j) * factorial(_ORDER - j))
                  for j in range(_ORDER + 1)])


def _expm(a: np.ndarray) -> np.ndarray:
    n = a.shape[-1]
    if n == 0 or a.size == 0:
        return np.zeros(a.shape, a.dtype)
    norm = np.abs(a).sum(-2).max(-1)  # the 1-norm: largest column sum
    with np.errstate(divide="ignore"):
        steps = np.ceil(np.log2(np.maximum(norm, 1e-300) / 0.5))
    steps = np.where(np.isfinite(steps), np.maximum(steps, 0), 0).astype(np.int64)
    x = a / np.exp2(steps)[..., None, None].astype(a.dtype)
    eye = np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape)
    power = eye
    num = _PADE[0] * eye
    den = _PADE[0] * eye
    for j in range(1, _ORDER + 1):  # the approximant's few powers, not a loop over elements
        power = power @ x
        num = num + _PADE[j] * power
        den = den + (-1) ** j * _PADE[j] * power
    out = np.linalg.solve(den, num)
    for k in range(int(steps.max(initial=0))):
        out = np.where((k < steps)[..., None, None], out @ out, out)
    return out.astype(a.dtype, copy=False)


def _expm_backward(a: np.ndarray, g: np.ndarray) -> np.ndarray:
    n = a.shape[-1]
    at = _mT(a)
    block = np.zeros(a.shape[:-2] + (2 * n, 2 * n), a.dtype)
    block[..., :n, :n] = at
    block[..., n:, n:] = at
    block[..., :n, n:] = g
    return _expm(block)[..., :n, n:]


def matrix_exp(A: Tensor) -> Tensor:  # noqa: N803 - torch's name
    """exp(A) = sum_k A^k / k! of each square matrix (Padé scaling and squaring for every
    matrix, symmetric ones included, where torch may differ in the last bits)."""
    a = _square("matrix_exp", "A", A)
    return Tensor.make(_expm(a), (A,), lambda g: (_expm_backward(a, g),))
