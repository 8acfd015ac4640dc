"""The classical orthogonal polynomials of torch.special: Chebyshev T, U, V, W (and their
shifted forms on [0, 1], T*_n(x) = T_n(2x - 1), ...), Hermite H (physicists') and He
(probabilists'), Laguerre L and Legendre P, each evaluated at x for degree n.

x and n broadcast together; n is truncated toward zero, a negative or non-finite n gives 0,
as PyTorch. One Numba kernel runs the three-term recurrence in float64 (O(n) per element):
  T, U, V, W: p_k+1 = 2x p_k - p_k-1 from (1, x), (1, 2x), (1, 2x - 1), (1, 2x + 1);
  H: H_k+1 = 2x H_k - 2k H_k-1;  He: He_k+1 = x He_k - k He_k-1;
  L: (k+1) L_k+1 = (2k + 1 - x) L_k - k L_k-1;  P: (k+1) P_k+1 = (2k + 1) x P_k - k P_k-1,
except that for |x| < 1 and n > 6 the Chebyshev polynomials use their trigonometric forms
(T_n(cos t) = cos(n t), U_n = sin((n+1) t) / sin t, V_n = cos((n+1/2) t) / cos(t/2),
W_n = sin((n+1/2) t) / sin(t/2)), so a large degree costs nothing.
The result has the promoted dtype of x and n (the default float dtype for integers) and
no gradient: PyTorch does not differentiate these either (its result has no grad_fn).
Deviation: a NaN x gives NaN for every degree > 0 (PyTorch returns numbers for some).
"""

from __future__ import annotations

import math

import numpy as np

from ..default_dtype import default_float
from ..jit import kernel
from ..tensor import Tensor
from .special_operands import tensor_pair

(CHEBYSHEV_T, CHEBYSHEV_U, CHEBYSHEV_V, CHEBYSHEV_W, HERMITE_H, HERMITE_HE, LAGUERRE_L,
 LEGENDRE_P) = range(8)


@kernel(parallel=False)
def _chebyshev_trig(code, x, n):
    """The Chebyshev polynomial `code` of degree n at x = cos(t), |x| < 1."""
    t = math.acos(x)
    if code == 0:
        return math.cos(n * t)
    if code == 1:
        return math.sin((n + 1.0) * t) / math.sin(t)
    if code == 2:
        return math.cos((n + 0.5) * t) / math.cos(t / 2.0)
    return math.sin((n + 0.5) * t) / math.sin(t / 2.0)


@kernel(parallel=False)
def _polynomial(code, x, degree):
    if not math.isfinite(degree) or degree <= -1.0:
        return 0.0
    n = int(degree)  # truncates toward zero
    if n == 0:
        return 1.0
    if math.isnan(x):
        return math.nan
    if code <= 3 and n > 6 and abs(x) < 1.0:
        return _chebyshev_trig(code, x, float(n))
    previous = 1.0
    if code == 0 or code == 5:
        current = x
    elif code == 1 or code == 4:
        current = 2.0 * x
    elif code == 2:
        current = 2.0 * x - 1.0
    elif code == 3:
        current = 2.0 * x + 1.0
    else:
        current = 1.0 - x if code == 6 else x
    for k in range(1, n):
        if code <= 3:
            following = 2.0 * x * current - previous
        elif code == 4:
            following = 2.0 * x * current - 2.0 * k * previous
        elif code == 5:
            following = x * current - k * previous
        elif code == 6:
            following = ((2.0 * k + 1.0 - x) * current - k * previous) / (k + 1.0)
        else:
            following = ((2.0 * k + 1.0) * x * current - k * previous) / (k + 1.0)
        previous = current
        current = following
        if not math.isfinite(current):  # overflowed: further terms stay inf or NaN
            break
    return current


@kernel(parallel=False)
def _polynomial_kernel(code, x, n, out):
    for i in range(out.size):
        out[i] = _polynomial(code, x[i], n[i])


def evaluate(code: int, x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The polynomial `code` of degree n at x, elementwise with broadcasting, in float64."""
    x64, n64 = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(n, np.float64))
    out = np.empty(x64.size)
    _polynomial_kernel(
        code, np.ascontiguousarray(x64).reshape(-1), np.ascontiguousarray(n64).reshape(-1), out
    )
    return out.reshape(x64.shape)


def _polynomial_op(op: str, code: int, x, n, shifted: bool = False) -> Tensor:
    _, _, a, b = tensor_pair(op, x, n)
    dtype = a.dtype if a.dtype.kind == "f" else default_float()
    a64 = a.astype(np.float64)
    if shifted:
        a64 = 2.0 * a64 - 1.0
    with np.errstate(all="ignore"):
        out = evaluate(code, a64, b).astype(dtype, copy=False)
    return Tensor(out)


def chebyshev_polynomial_t(input, n) -> Tensor:  # noqa: A002 - torch's names
    """Chebyshev polynomial of the first kind T_n(input)."""
    return _polynomial_op("chebyshev_polynomial_t", CHEBYSHEV_T, input, n)


def chebyshev_polynomial_u(input, n) -> Tensor:  # noqa: A002
    """Chebyshev polynomial of the second kind U_n(input)."""
    return _polynomial_op("chebyshev_polynomial_u", CHEBYSHEV_U, input, n)


def chebyshev_polynomial_v(input, n) -> Tensor:  # noqa: A002
    """Chebyshev polynomial of the third kind V_n(input)."""
    return _polynomial_op("chebyshev_polynomial_v", CHEBYSHEV_V, input, n)


def chebyshev_polynomial_w(input, n) -> Tensor:  # noqa: A002
    """Chebyshev polynomial of the fourth kind W_n(input)."""
    return _polynomial_op("chebyshev_polynomial_w", CHEBYSHEV_W, input, n)


def shifted_chebyshev_polynomial_t(input, n) -> Tensor:  # noqa: A002
    """T*_n(input) = T_n(2 input - 1)."""
    return _polynomial_op("shifted_chebyshev_polynomial_t", CHEBYSHEV_T, input, n, True)


def shifted_chebyshev_polynomial_u(input, n) -> Tensor:  # noqa: A002
    """U*_n(input) = U_n(2 input - 1)."""
    return _polynomial_op("shifted_chebyshev_polynomial_u", CHEBYSHEV_U, input, n, True)


def shifted_chebyshev_polynomial_v(input, n) -> Tensor:  # noqa: A002
    """V*_n(input) = V_n(2 input - 1)."""
    return _polynomial_op("shifted_chebyshev_polynomial_v", CHEBYSHEV_V, input, n, True)


def shifted_chebyshev_polynomial_w(input, n) -> Tensor:  # noqa: A002
    """W*_n(input) = W_n(2 input - 1)."""
    return _polynomial_op("shifted_chebyshev_polynomial_w", CHEBYSHEV_W, input, n, True)


def hermite_polynomial_h(input, n) -> Tensor:  # noqa: A002
    """The physicists' Hermite polynomial H_n(input)."""
    return _polynomial_op("hermite_polynomial_h", HERMITE_H, input, n)


def hermite_polynomial_he(input, n) -> Tensor:  # noqa: A002
    """The probabilists' Hermite polynomial He_n(input)."""
    return _polynomial_op("hermite_polynomial_he", HERMITE_HE, input, n)


def laguerre_polynomial_l(input, n) -> Tensor:  # noqa: A002
    """The Laguerre polynomial L_n(input)."""
    return _polynomial_op("laguerre_polynomial_l", LAGUERRE_L, input, n)


def legendre_polynomial_p(input, n) -> Tensor:  # noqa: A002
    """The Legendre polynomial P_n(input)."""
    return _polynomial_op("legendre_polynomial_p", LEGENDRE_P, input, n)
