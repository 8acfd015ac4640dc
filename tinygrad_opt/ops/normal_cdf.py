"""The standard normal distribution's functions of torch.special and the scaled
complementary error function: erfcx, ndtr, log_ndtr and ndtri, all with gradients.

erfcx(x) = e^(x^2) erfc(x) is computed directly below x = 5 and from Laplace's continued
fraction erfc(x) = e^-x^2 / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))))
above (evaluated bottom-up over 80 levels); erfcx(-x) = 2 e^(x^2) - erfcx(x).
log_ndtr uses log1p(-ndtr(-x)) above 0 and log(erfcx(-x / sqrt 2) / 2) - x^2 / 2 below,
so neither tail underflows. ndtri(p) takes 6 Newton steps on log_ndtr(x) = log(p) (on the
lower half, by symmetry ndtri(p) = -ndtri(1 - p)) from sqrt(2) erfinv(2p - 1), or from
the tail's asymptotic form for p < 1e-10. All compute in float64 and round once.
"""

from __future__ import annotations

import math

import numpy as np

from ..jit import kernel
from ..tensor import Tensor
from . import special
from .unary_math import _elementwise

_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@kernel(parallel=False)
def _erfcx_positive(x):
    if x < 5.0:
        return math.exp(x * x) * math.erfc(x)
    if math.isinf(x):
        return 0.0
    t = x
    for k in range(80, 0, -1):
        t = x + (k / 2.0) / t
    return 1.0 / (math.sqrt(math.pi) * t)


@kernel(parallel=False)
def _erfcx_kernel(x, out):
    for i in range(x.size):
        v = x[i]
        if math.isnan(v):
            out[i] = v
        elif v >= 0.0:
            out[i] = _erfcx_positive(v)
        elif v < -26.7:  # e^(x^2) overflows
            out[i] = math.inf
        else:
            out[i] = 2.0 * math.exp(v * v) - _erfcx_positive(-v)


def erfcx_array(x: np.ndarray) -> np.ndarray:
    """e^(x^2) erfc(x) elementwise in float64."""
    flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty_like(flat)
    _erfcx_kernel(flat, out)
    return out.reshape(np.shape(x))


def log_ndtr_array(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        upper = np.log1p(-0.5 * special.erfc(x * _SQRT_HALF))
        lower = np.log(0.5 * erfcx_array(-x * _SQRT_HALF)) - 0.5 * x * x
    return np.where(x > 0, upper, lower)


def _ndtr_ratio(x: np.ndarray) -> np.ndarray:
    """pdf(x) / ndtr(x) = sqrt(2 / pi) / erfcx(-x / sqrt 2), log_ndtr's derivative."""
    return _SQRT_2_OVER_PI / erfcx_array(-x * _SQRT_HALF)


def ndtri_array(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(all="ignore"):
        upper_half = p > 0.5
        q = np.where(upper_half, 1.0 - p, p)  # exact for p >= 0.5 (Sterbenz)
        inside = (q > 0) & (q <= 0.5)
        q = np.where(inside, q, 0.25)
        log_q = np.log(q)
        tail = -np.sqrt(-2 * log_q - np.log(-2 * log_q) - math.log(2 * math.pi))
        x = np.where(q < 1e-10, tail, math.sqrt(2.0) * special.erfinv(2 * q - 1))
        for _ in range(6):  # Newton on the concave log_ndtr: quadratic, no overshoot
            x = x - (log_ndtr_array(x) - log_q) / _ndtr_ratio(x)
        x = np.where(upper_half, -x, x)
        x = np.where(p == 0, -np.inf, np.where(p == 1, np.inf, x))
    return np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, x)


def _check_tensor(op: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")


def erfcx(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """The scaled complementary error function e^(x^2) erfc(x); d/dx = 2 x erfcx(x) -
    2 / sqrt(pi) (NaN at +inf, as PyTorch)."""
    _check_tensor("erfcx", input)
    return _elementwise(
        "erfcx", input, erfcx_array,
        lambda a, o: 2 * a * o.astype(np.float64) - _TWO_OVER_SQRT_PI,
    )


def ndtr(input: Tensor) -> Tensor:  # noqa: A002
    """The standard normal CDF erfc(-x / sqrt 2) / 2; d/dx = e^(-x^2/2) / sqrt(2 pi)."""
    _check_tensor("ndtr", input)
    return _elementwise(
        "ndtr", input, lambda a: 0.5 * special.erfc(-a.astype(np.float64) * _SQRT_HALF),
        lambda a, o: np.exp(-0.5 * a * a) / _SQRT_2PI,
    )


def log_ndtr(input: Tensor) -> Tensor:  # noqa: A002
    """log of the standard normal CDF, accurate in both tails; d/dx = pdf(x) / ndtr(x)."""
    _check_tensor("log_ndtr", input)
    return _elementwise(
        "log_ndtr", input, log_ndtr_array, lambda a, o: _ndtr_ratio(a.astype(np.float64))
    )


def ndtri(input: Tensor) -> Tensor:  # noqa: A002
    """The inverse of ndtr (the standard normal quantile): -inf at 0, inf at 1, NaN
    outside [0, 1]; d/dp = sqrt(2 pi) e^(x^2 / 2) with x = ndtri(p)."""
    _check_tensor("ndtri", input)
    return _elementwise(
        "ndtri", input, ndtri_array,
        lambda a, o: _SQRT_2PI * np.exp(0.5 * np.square(o.astype(np.float64))),
    )
