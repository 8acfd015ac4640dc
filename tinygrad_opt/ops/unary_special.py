"""Elementwise math PyTorch adds to unary_math.py's: the inverse hyperbolic functions
acosh/asinh/atanh, logit (with eps), sinc, i0, polygamma and mvlgamma, all with gradients.

Integer and bool input gives the default float dtype, as torch. i0 and polygamma compute in
float64 and round once. polygamma(n, x) for n >= 2 shifts x up to 20 with the recurrence
and sums the Euler-Maclaurin tail of the Hurwitz zeta function; a negative x is first
split into sums at positive arguments (see _hurwitz_zeta), so no x costs more than 20 steps.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from . import special
from .unary_math import _elementwise


def acosh(x: Tensor) -> Tensor:
    """Inverse hyperbolic cosine (NaN below 1); d/dx = 1 / sqrt(x^2 - 1)."""
    return _elementwise("acosh", x, np.arccosh, lambda a, o: 1 / np.sqrt(a * a - 1))


def asinh(x: Tensor) -> Tensor:
    """Inverse hyperbolic sine; d/dx = 1 / sqrt(x^2 + 1)."""
    return _elementwise("asinh", x, np.arcsinh, lambda a, o: 1 / np.sqrt(a * a + 1))


def atanh(x: Tensor) -> Tensor:
    """Inverse hyperbolic tangent (+-inf at +-1, NaN outside); d/dx = 1 / (1 - x^2)."""
    return _elementwise("atanh", x, np.arctanh, lambda a, o: 1 / (1 - a * a))


def logit(x: Tensor, eps: float | None = None) -> Tensor:
    """log(x / (1 - x)); with eps, x is first clamped to [eps, 1 - eps] and the gradient
    is 0 outside that range, as torch. Without eps the gradient 1 / (x (1 - x)) is NaN
    outside [0, 1], as torch."""
    if eps is None:
        return _elementwise(
            "logit", x, lambda a: np.log(a / (1 - a)),
            lambda a, o: np.where((a < 0) | (a > 1), np.nan, 1 / (a * (1 - a))),
        )
    lo, hi = float(eps), 1.0 - float(eps)

    def forward(a):
        # torch's clamp order (lo first, then hi), not np.clip: they differ for eps > 0.5,
        # where lo > hi and np.clip gives hi everywhere
        c = np.where(a < lo, lo, np.where(a > hi, hi, a))
        return np.log(c / (1 - c))

    return _elementwise(
        "logit", x, forward,
        lambda a, o: np.where((a < lo) | (a > hi), 0, 1 / (a * (1 - a))),
    )


def sinc(x: Tensor) -> Tensor:
    """The normalized sinc, sin(pi x) / (pi x), 1 at 0; d/dx = (cos(pi x) - sinc(x)) / x,
    0 at 0."""

    def derivative(a, o):
        safe = np.where(a == 0, 1, a)
        return np.where(a == 0, 0, (np.cos(math.pi * a) - o) / safe)

    return _elementwise("sinc", x, np.sinc, derivative)


def _i1(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function I1 in float64 (i0's derivative): its power series
    sum (x/2)^(2k+1) / (k! (k+1)!) for |x| <= 20, the asymptotic series beyond."""
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    small = np.minimum(ax, 20.0)
    term = small / 2
    total = term.copy()
    quarter = small * small / 4
    for k in range(1, 80):  # 80 terms reach 1e-17 relative at |x| = 20
        term = term * quarter / (k * (k + 1))
        total = total + term
    big = np.maximum(ax, 20.0)
    # e^x / sqrt(2 pi x) * sum_k (-1)^k prod_{j<=k} (4 - (2j - 1)^2) / (k! (8x)^k)
    coef = np.ones_like(big)
    series = np.ones_like(big)
    for k in range(1, 16):
        coef = coef * -(4.0 - (2 * k - 1) ** 2) / (k * 8 * big)
        series = series + coef
    with np.errstate(over="ignore", invalid="ignore"):
        asymptotic = np.exp(big) / np.sqrt(2 * math.pi * big) * series
    return np.sign(x) * np.where(ax <= 20, total, asymptotic)


def i0(x: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 0; d/dx = I1(x)."""
    return _elementwise(
        "i0", x, lambda a: np.i0(a.astype(np.float64)), lambda a, o: _i1(a)
    )


# B_2j / (2j)! for the Euler-Maclaurin tail of the Hurwitz zeta function
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_TAIL_COEFS = tuple(b / math.factorial(2 * (j + 1)) for j, b in enumerate(_BERNOULLI))
_ZETA_SHIFT_TO = 20.0


def _hurwitz_zeta_positive(s: int, x: np.ndarray) -> np.ndarray:
    """sum_{k>=0} (x + k)^-s for an integer s >= 2 and x > 0 (or NaN/inf): the recurrence up
    to x >= 20 (at most 20 steps), then the Euler-Maclaurin tail."""
    shifts = np.where(np.isfinite(x), np.maximum(np.ceil(_ZETA_SHIFT_TO - x), 0), 0)
    steps = int(shifts.max()) if shifts.size else 0
    head = np.zeros_like(x)
    for k in range(steps):  # the recurrence, until every element has reached the shift
        head = head + np.where(k < shifts, np.power(x + k, -float(s)), 0)
    y = x + shifts
    tail = y ** (1.0 - s) / (s - 1) + 0.5 * y ** (-float(s))
    rising = float(s)  # s (s+1) ... (s + 2j - 2)
    power = y ** (-float(s) - 1)
    for j, coef in enumerate(_TAIL_COEFS):
        tail = tail + coef * rising * power
        rising *= (s + 2 * j + 1) * (s + 2 * j + 2)
        power = power / (y * y)
    return head + tail


def _hurwitz_zeta(s: int, x: np.ndarray) -> np.ndarray:
    """sum_{k>=0} (x + k)^-s for an integer s >= 2 and x not a non-positive integer.

    For x = -y < 0 the terms with x + k < 0 are (-1)^s (r + j)^-s, j = 0..floor(y), with
    r = y - floor(y), and the rest start at 1 - r, so
    zeta(s, x) = (-1)^s (zeta(s, r) - zeta(s, y + 1)) + zeta(s, 1 - r): three sums at
    positive arguments, instead of a recurrence of about y steps over the whole array."""
    neg = x < 0
    if not neg.any():
        return _hurwitz_zeta_positive(s, x)
    y = np.where(neg, -x, 1.0)
    r = y - np.floor(y)
    sign = -1.0 if s % 2 else 1.0
    # the two large sums first: for odd s they cancel (exactly at half-integers, as the
    # paired terms of the direct sum do), before the small zeta(s, y + 1) joins
    near = sign * _hurwitz_zeta_positive(s, r) + _hurwitz_zeta_positive(s, 1 - r)
    reflected = near - sign * _hurwitz_zeta_positive(s, y + 1)
    return np.where(neg, reflected, _hurwitz_zeta_positive(s, np.where(neg, 1.0, x)))


def _polygamma(n: int, a: np.ndarray) -> np.ndarray:
    """psi^(n)(a) in float64: digamma, trigamma, and (-1)^(n+1) n! zeta(n + 1, a) beyond;
    (-1)^(n+1) inf at the poles (non-positive integers), as torch."""
    if n == 0:
        return special.digamma(a)
    a = np.asarray(a, dtype=np.float64)
    sign = -1.0 if n % 2 == 0 else 1.0
    if n == 1:
        out = special.trigamma(a)
    else:
        pole = (a <= 0) & (a == np.floor(a))
        with np.errstate(all="ignore"):
            out = sign * math.factorial(n) * _hurwitz_zeta(n + 1, np.where(pole, 0.5, a))
        out = np.where(pole, sign * np.inf, out)
    return out


def _check_order(op: str, n) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"{op}: n must be a non-negative int, got {n!r}")
    return int(n)


def _polygamma_node(x: Tensor, n: int) -> Tensor:
    return _elementwise(
        "polygamma", x, lambda a: _polygamma(n, a), lambda a, o: _polygamma(n + 1, a)
    )


def polygamma(n: int, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """torch.polygamma(n, input): the n-th derivative of digamma; its gradient is
    polygamma(n + 1, input)."""
    return _polygamma_node(input, _check_order("polygamma", n))


def polygamma_method(x: Tensor, n: int) -> Tensor:
    """Tensor.polygamma(n): note the order of arguments differs from torch.polygamma."""
    return _polygamma_node(x, _check_order("polygamma", n))


def mvlgamma(input: Tensor, p: int) -> Tensor:  # noqa: A002
    """The multivariate log-gamma: p (p - 1) / 4 log(pi) + sum_{i<p} lgamma(x - i / 2);
    its gradient is sum_{i<p} digamma(x - i / 2). Infinite where some x - i / 2 is a
    non-positive integer, as torch."""
    if not isinstance(p, (int, np.integer)) or isinstance(p, bool) or p < 1:
        raise ValueError(f"mvlgamma: p must be an int >= 1, got {p!r}")
    offsets = [i / 2 for i in range(int(p))]
    constant = p * (p - 1) / 4 * math.log(math.pi)

    def forward(a):
        a64 = a.astype(np.float64)
        return constant + sum(special.lgamma(a64 - c) for c in offsets)

    def derivative(a, o):
        a64 = a.astype(np.float64)
        return sum(special.digamma(a64 - c) for c in offsets)

    return _elementwise("mvlgamma", input, forward, derivative)


def positive(x: Tensor) -> Tensor:
    """x itself (torch.positive); refused for bool tensors, as torch."""
    if x.data.dtype.kind == "b":
        raise TypeError("positive: not defined for bool tensors (as PyTorch)")
    return x


def hardshrink(x: Tensor, lambd: float = 0.5) -> Tensor:
    """Tensor.hardshrink: nn.functional.hardshrink (x where |x| > lambd, else 0)."""
    from ..nn.activation_extra import hardshrink as _hardshrink

    return _hardshrink(x, lambd)


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """Tensor.prelu / torch.prelu: nn.functional.prelu (one slope per channel or one)."""
    from ..nn.activation_extra import prelu as _prelu

    return _prelu(x, weight)
