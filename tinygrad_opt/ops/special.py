"""Special functions on arrays without scipy: erfc, erfinv, lgamma, digamma, trigamma.

lgamma uses Lanczos' approximation (g = 7, 9 coefficients; Lanczos 1964, as in Numerical
Recipes and Godfrey's table), accurate to about 1e-15 in absolute terms (so not in relative
terms right at its roots x = 1 and x = 2), with the reflection formula below 0.5. digamma and
trigamma shift x up by 6 with their recurrences, then sum the asymptotic (Bernoulli) series;
below 0.5 they reflect. All compute in float64; callers round to their dtype once.
"""

from __future__ import annotations

import math

import numpy as np

from ..jit import kernel

_LANCZOS_G = 7.0
_LANCZOS = np.array(
    [
        0.99999999999980993,
        676.5203681218851,
        -1259.1392167224028,
        771.32342877765313,
        -176.61502916214059,
        12.507343278686905,
        -0.13857109526572012,
        9.9843695780195716e-6,
        1.5056327351493116e-7,
    ]
)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@kernel(parallel=False)
def _erfc_kernel(x, out):
    for i in range(x.size):
        out[i] = math.erfc(x[i])


def erfc(x: np.ndarray) -> np.ndarray:
    """Elementwise 1 - erf(x) without cancellation (the C library's erfc), in x's dtype."""
    flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty_like(flat)
    _erfc_kernel(flat, out)
    return out.reshape(x.shape).astype(x.dtype, copy=False)


def erfinv(y: np.ndarray) -> np.ndarray:
    """Inverse erf in float64: +-inf at +-1 and NaN outside [-1, 1], as torch.erfinv; inside,
    nn.init's Newton-polished approximation."""
    from ..nn.init import _erfinv  # nn imports ops: import at call time

    y = np.asarray(y, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = _erfinv(np.where(np.abs(y) < 1, y, 0.0))
        out = np.where(np.abs(y) == 1, np.sign(y) * np.inf, out)
    return np.where((np.abs(y) > 1) | np.isnan(y), np.nan, out)


def _lanczos_lgamma(x: np.ndarray) -> np.ndarray:
    """log|Gamma(x)| for x >= 0.5."""
    z = x - 1.0
    series = np.full(z.shape, _LANCZOS[0])
    for k in range(1, _LANCZOS.size):  # 8 terms, each a whole-array operation
        series = series + _LANCZOS[k] / (z + k)
    t = z + _LANCZOS_G + 0.5
    return _HALF_LOG_2PI + (z + 0.5) * np.log(t) - t + np.log(series)


def lgamma(x: np.ndarray) -> np.ndarray:
    """log|Gamma(x)| in float64: +inf at 0, the negative integers and +-inf; NaN stays NaN."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect = x < 0.5
        high = np.where(reflect, 1.0 - x, x)
        finite_high = np.where(np.isfinite(high), high, 1.0)
        out = _lanczos_lgamma(finite_high)
        out = np.where(np.isinf(high), np.inf, out)
        # Gamma(x) Gamma(1 - x) = pi / sin(pi x); sin(pi x) from x's fraction keeps precision
        s = np.abs(np.sin(math.pi * (x - np.floor(x))))
        reflected = math.log(math.pi) - np.log(s) - out
        out = np.where(reflect, reflected, out)
        out = np.where(reflect & (x == np.floor(x)), np.inf, out)  # poles
        out = np.where(np.isneginf(x), np.inf, out)
        out = np.where((x == 1) | (x == 2), 0.0, out)  # exact roots, as the C library
    return np.where(np.isnan(x), np.nan, out)


# Bernoulli numbers B2k / (2k) for psi's asymptotic series, k = 1..7
_PSI_SERIES = np.array([1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12])
# B2k for trigamma's series 1/y + 1/(2y^2) + sum B2k / y^(2k+1)
_TRIGAMMA_SERIES = np.array([1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6])
_SHIFT = 6


def _reflect_args(x: np.ndarray):
    reflect = x < 0.5
    return reflect, np.where(reflect, 1.0 - x, x)


def digamma(x: np.ndarray) -> np.ndarray:
    """psi(x) = d lgamma / dx in float64; -inf at +0, +inf at -0 and NaN at the negative
    integers, as torch.digamma."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect, z = _reflect_args(x)
        shift = np.zeros(z.shape)
        for k in range(_SHIFT):  # psi(z) = psi(z + 6) - sum 1 / (z + k)
            shift = shift + 1.0 / (z + k)
        y = z + _SHIFT
        inv2 = 1.0 / (y * y)
        tail = np.zeros(z.shape)
        for coef in _PSI_SERIES[::-1]:
            tail = (tail + coef) * inv2
        out = np.log(y) - 0.5 / y - tail - shift
        out = np.where(np.isposinf(z), np.inf, out)
        frac = x - np.floor(x)
        out = np.where(reflect, out - math.pi / np.tan(math.pi * frac), out)
        out = np.where(reflect & (frac == 0), np.nan, out)
        out = np.where(x == 0, np.where(np.signbit(x), np.inf, -np.inf), out)  # psi(-0) = +inf
        out = np.where(np.isneginf(x), np.nan, out)
    return out


def trigamma(x: np.ndarray) -> np.ndarray:
    """psi'(x) in float64 (digamma's gradient); inf at the poles."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect, z = _reflect_args(x)
        shift = np.zeros(z.shape)
        for k in range(_SHIFT):
            shift = shift + 1.0 / ((z + k) * (z + k))
        y = z + _SHIFT
        inv2 = 1.0 / (y * y)
        tail = np.zeros(z.shape)
        for coef in _TRIGAMMA_SERIES[::-1]:
            tail = (tail + coef) * inv2
        out = 1.0 / y + 0.5 * inv2 + tail / y + shift
        frac = x - np.floor(x)
        # psi'(1 - x) + psi'(x) = pi^2 / sin^2(pi x)
        s = np.sin(math.pi * frac)
        out = np.where(reflect, math.pi**2 / (s * s) - out, out)
        out = np.where(reflect & (frac == 0), np.inf, out)
    return out
