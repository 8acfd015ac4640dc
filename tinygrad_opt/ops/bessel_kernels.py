"""Numba kernels for the Bessel and Airy functions of torch.special, in float64.

- J0, J1, Y0, Y1: power series up to |x| = 5; Miller's backward recurrence up to 25,
  normalised by J0 + 2 sum J2k = 1, with Y0 from Neumann's series
  Y0 = 2/pi (ln(x/2) + gamma) J0 - 4/pi sum (-1)^k J2k / k and Y1 = -Y0' from its
  derivative; Hankel's asymptotic expansion beyond (its smallest term there is ~e^-50).
- I0, I1 (and e^-|x| I0, e^-|x| I1): the power series up to |x| = 20, the asymptotic
  expansion beyond.
- K0, K1 (and e^x K): the series of DLMF 10.31.1 up to x = 2; the trapezoidal rule on
  e^x K_nu(x) = int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt (exponentially convergent,
  the integrand being analytic in a strip) up to 30; the asymptotic expansion beyond.
- Ai: its Maclaurin series on [-8, 2] (absolute error up to ~3e-10 near -8, where the
  terms reach ~1e6), Ai(x) = sqrt(x / 3) K_1/3(2/3 x^1.5) / pi above, and the oscillating
  asymptotic expansion (DLMF 9.7.9) below -8.
Values at +-inf and at negative x for Y and K follow PyTorch (see each function).
"""

from __future__ import annotations

import math

import numpy as np

from ..jit import kernel

_EULER_GAMMA = 0.57721566490153286061
_TWO_OVER_PI = 2.0 / math.pi
_SQRT_HALF = math.sqrt(0.5)


@kernel(parallel=False)
def _hankel(nu, x):
    """(P, Q) of Hankel's expansion J_nu = sqrt(2 / (pi x)) (P cos chi - Q sin chi)."""
    mu = 4.0 * nu * nu
    p = 1.0
    q = 0.0
    term = 1.0
    k = 1
    while k < 80:
        term *= (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        if k % 4 == 1:
            q += term
        elif k % 4 == 2:
            p -= term
        elif k % 4 == 3:
            q -= term
        else:
            p += term
        if abs(term) < 1e-17:
            break
        k += 1
    return p, q


@kernel(parallel=False)
def _jy_series(x):
    """J0, J1, Y0, Y1 of 0 < x <= 5 by their power series (DLMF 10.2.2, 10.8.1)."""
    quarter = -x * x / 4.0
    log_term = math.log(x / 2.0) + _EULER_GAMMA
    j0 = 0.0
    j1 = 0.0
    y0_sum = 0.0
    y1_sum = 0.0
    t0 = 1.0  # (-x^2/4)^k / k!^2
    t1 = 1.0  # (-x^2/4)^k / (k! (k+1)!)
    harmonic = 0.0  # H_k
    for k in range(60):
        if k > 0:
            t0 *= quarter / (k * k)
            t1 *= quarter / (k * (k + 1))
            harmonic += 1.0 / k
        j0 += t0
        j1 += t1
        y0_sum += harmonic * t0
        # psi(k+1) + psi(k+2) = 2 H_k + 1 / (k + 1) - 2 gamma
        y1_sum += (2.0 * harmonic + 1.0 / (k + 1) - 2.0 * _EULER_GAMMA) * t1
    j1 *= x / 2.0
    y0 = _TWO_OVER_PI * (log_term * j0 - y0_sum)
    y1 = -_TWO_OVER_PI / x + _TWO_OVER_PI * math.log(x / 2.0) * j1 - x / (2.0 * math.pi) * y1_sum
    return j0, j1, y0, y1


@kernel(parallel=False)
def _jy_miller(x):
    """J0, J1, Y0, Y1 of 5 < x <= 25 by Miller's backward recurrence."""
    top = 2 * int((x + 40.0) / 2.0)  # even: J_top(x) is below 1e-17 of J0, J1
    upper = 0.0  # J_{k+1}, unnormalised
    current = 1e-30  # J_k
    norm = 0.0  # J0 + 2 sum_m J_2m
    y0_sum = 0.0  # sum_m (-1)^m J_2m / m
    y1_sum = 0.0  # sum_p c_p J_2p+1, the odd terms of Y0's derivative
    j1 = 0.0
    k = top
    while k >= 1:
        if k % 2 == 0:
            m = k // 2
            norm += 2.0 * current
            y0_sum += (1.0 if m % 2 == 0 else -1.0) * current / m
        else:
            p = (k - 1) // 2
            c = 1.0 / (p + 1)
            if p >= 1:
                c += 1.0 / p
            y1_sum += (1.0 if (p + 1) % 2 == 0 else -1.0) * c * current
            if k == 1:
                j1 = current
        lower = 2.0 * k / x * current - upper
        upper = current
        current = lower
        if abs(current) > 1e250:  # rescale everything together
            current *= 1e-250
            upper *= 1e-250
            norm *= 1e-250
            y0_sum *= 1e-250
            y1_sum *= 1e-250
            j1 *= 1e-250
        k -= 1
    norm += current
    j0 = current / norm
    j1 = j1 / norm
    log_term = math.log(x / 2.0) + _EULER_GAMMA
    y0 = _TWO_OVER_PI * (log_term * j0 - 2.0 * y0_sum / norm)
    y1 = -_TWO_OVER_PI * (j0 / x - log_term * j1 - y1_sum / norm)
    return j0, j1, y0, y1


@kernel(parallel=False)
def _jy_asymptotic(x):
    """J0, J1, Y0, Y1 of x > 25 by Hankel's expansion; cos/sin of x - pi/4 and x - 3pi/4
    come from cos x and sin x, exact for any x."""
    scale = math.sqrt(2.0 / (math.pi * x))
    c = math.cos(x)
    s = math.sin(x)
    p0, q0 = _hankel(0.0, x)
    p1, q1 = _hankel(1.0, x)
    cos0 = (c + s) * _SQRT_HALF
    sin0 = (s - c) * _SQRT_HALF
    cos1 = (s - c) * _SQRT_HALF
    sin1 = -(s + c) * _SQRT_HALF
    j0 = scale * (p0 * cos0 - q0 * sin0)
    y0 = scale * (p0 * sin0 + q0 * cos0)
    j1 = scale * (p1 * cos1 - q1 * sin1)
    y1 = scale * (p1 * sin1 + q1 * cos1)
    return j0, j1, y0, y1


@kernel(parallel=False)
def _jy(x):
    """J0, J1, Y0, Y1 of x > 0 (finite)."""
    if x <= 5.0:
        return _jy_series(x)
    if x <= 25.0:
        return _jy_miller(x)
    return _jy_asymptotic(x)


@kernel(parallel=False)
def _bessel_j(order, x):
    """J0 or J1; NaN at +-inf as PyTorch; J0 even, J1 odd."""
    if math.isnan(x) or math.isinf(x):
        return math.nan
    if x == 0.0:
        return 1.0 if order == 0 else x
    j0, j1, _, _ = _jy(abs(x))
    if order == 0:
        return j0
    return j1 if x > 0 else -j1


@kernel(parallel=False)
def _bessel_y(order, x):
    """Y0 or Y1: -inf at 0, NaN below 0 and at +-inf, as PyTorch."""
    if math.isnan(x) or math.isinf(x) or x < 0.0:
        return math.nan
    if x == 0.0:
        return -math.inf
    _, _, y0, y1 = _jy(x)
    return y0 if order == 0 else y1


@kernel(parallel=False)
def _i_scaled(order, ax):
    """e^-x I_order(x) for finite x >= 0."""
    if ax <= 20.0:
        quarter = ax * ax / 4.0
        term = 1.0 if order == 0 else ax / 2.0
        total = term
        for k in range(1, 120):
            term *= quarter / (k * (k + order))
            total += term
            if term < total * 1e-17:
                break
        return total * math.exp(-ax)
    # e^-x I_nu(x) ~ sum_k (-1)^k a_k(nu) / x^k / sqrt(2 pi x)
    mu = 4.0 * order * order
    term = 1.0
    total = 1.0
    for k in range(1, 60):
        term *= -(mu - (2 * k - 1) ** 2) / (k * 8.0 * ax)
        total += term
        if abs(term) < 1e-17:
            break
    return total / math.sqrt(2.0 * math.pi * ax)


@kernel(parallel=False)
def _bessel_i(order, x, scaled):
    """I0, I1 or (scaled) e^-|x| I0, e^-|x| I1; I0 even, I1 odd. Unscaled: NaN at +-inf
    and inf on overflow, as PyTorch; scaled: 0 at +-inf."""
    if math.isnan(x):
        return math.nan
    if math.isinf(x):
        return (0.0 if x > 0 or order == 0 else -0.0) if scaled else math.nan
    ax = abs(x)
    if order == 1 and ax < 1e-150:  # x / 2 without the exp below
        return x / 2.0
    value = _i_scaled(order, ax)
    if not scaled:
        if ax > 700.0:  # e^x overflows before the product does
            value = value * math.exp(ax / 2.0) * math.exp(ax / 2.0)
        else:
            value = value * math.exp(ax)
    return -value if (order == 1 and x < 0) else value


@kernel(parallel=False)
def _k_scaled_integral(nu, x):
    """e^x K_nu(x) = int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt by the trapezoidal rule,
    for x > 2: the step h = 0.1 leaves an error near exp(-2 pi 0.5 / h) e^(0.12 x)."""
    h = 0.1
    total = 0.5
    k = 1
    while True:
        t = k * h
        s = math.sinh(t / 2.0)
        exponent = -2.0 * x * s * s  # -x (cosh t - 1) without cancellation
        if exponent < -745.0:
            break
        total += math.exp(exponent) * math.cosh(nu * t)
        k += 1
    return total * h


@kernel(parallel=False)
def _k_scaled_asymptotic(nu, x):
    """e^x K_nu(x) ~ sqrt(pi / (2x)) sum_k a_k(nu) / x^k, for x > 30."""
    mu = 4.0 * nu * nu
    term = 1.0
    total = 1.0
    for k in range(1, 80):
        term *= (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        total += term
        if abs(term) < 1e-17:
            break
    return total * math.sqrt(math.pi / (2.0 * x))


@kernel(parallel=False)
def _k_scaled(order, x):
    """e^x K_order(x) for finite x > 0."""
    if x <= 2.0:
        quarter = x * x / 4.0
        log_half = math.log(x / 2.0)
        i_value = _i_scaled(order, x) * math.exp(x)
        total = 0.0
        harmonic = 0.0
        if order == 0:
            term = 1.0  # (x^2/4)^k / k!^2
            for k in range(60):
                if k > 0:
                    term *= quarter / (k * k)
                    harmonic += 1.0 / k
                total += harmonic * term
            value = -(log_half + _EULER_GAMMA) * i_value + total
        else:
            term = 1.0  # (x^2/4)^k / (k! (k+1)!)
            for k in range(60):
                if k > 0:
                    term *= quarter / (k * (k + 1))
                    harmonic += 1.0 / k
                total += (2.0 * harmonic + 1.0 / (k + 1) - 2.0 * _EULER_GAMMA) * term
            value = 1.0 / x + log_half * i_value - x / 4.0 * total
        return value * math.exp(x)
    if x <= 30.0:
        return _k_scaled_integral(float(order), x)
    return _k_scaled_asymptotic(float(order), x)


@kernel(parallel=False)
def _bessel_k(order, x, scaled):
    """K0, K1 or e^x K0, e^x K1: inf at 0, NaN below 0 and at -inf, 0 at +inf."""
    if math.isnan(x) or x < 0.0:
        return math.nan
    if x == 0.0:
        return math.inf
    if math.isinf(x):
        return 0.0
    value = _k_scaled(order, x)
    if scaled:
        return value
    return value * math.exp(-x)


_AI0 = 0.355028053887817239260  # Ai(0) = 1 / (3^(2/3) Gamma(2/3))
_AI1 = 0.258819403792806798405  # -Ai'(0) = 1 / (3^(1/3) Gamma(1/3))


@kernel(parallel=False)
def _airy_ai(x):
    """Ai(x); NaN at +-inf, as PyTorch."""
    if math.isnan(x) or math.isinf(x):
        return math.nan
    if x > 2.0:
        zeta = 2.0 / 3.0 * x * math.sqrt(x)
        if zeta > 745.0:
            return 0.0
        return math.sqrt(x / 3.0) / math.pi * _k_scaled_integral_or_asymptotic(zeta) * (
            math.exp(-zeta)
        )
    if x >= -8.0:
        # Ai = Ai(0) f - (-Ai'(0)) g, f = sum 3^k (1/3)_k x^3k / (3k)!,
        # g = sum 3^k (2/3)_k x^(3k+1) / (3k+1)!; term ratios x^3 / ((3k+2)(3k+3)) etc.
        cube = x * x * x
        f_term = 1.0
        g_term = x
        f = 1.0
        g = x
        for k in range(100):
            f_term *= cube / ((3 * k + 2) * (3 * k + 3))
            g_term *= cube / ((3 * k + 3) * (3 * k + 4))
            f += f_term
            g += g_term
            if abs(f_term) + abs(g_term) < 1e-18 * (abs(f) + abs(g)):
                break
        return _AI0 * f - _AI1 * g
    # DLMF 9.7.9: Ai(-z) ~ (cos(zeta - pi/4) sum (-1)^k u_2k / zeta^2k
    #   + sin(zeta - pi/4) sum (-1)^k u_2k+1 / zeta^(2k+1)) / (sqrt(pi) z^(1/4))
    z = -x
    zeta = 2.0 / 3.0 * z * math.sqrt(z)
    even = 1.0
    odd = 0.0
    u = 1.0
    power = 1.0
    for k in range(1, 60):
        u *= (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216.0 * k)
        power /= zeta
        term = u * power
        if k % 4 == 1:
            odd += term
        elif k % 4 == 2:
            even -= term
        elif k % 4 == 3:
            odd -= term
        else:
            even += term
        if abs(term) < 1e-17:
            break
    phase = zeta - math.pi / 4.0
    return (math.cos(phase) * even + math.sin(phase) * odd) / (
        math.sqrt(math.pi) * math.sqrt(math.sqrt(z))
    )


@kernel(parallel=False)
def _k_scaled_integral_or_asymptotic(zeta):
    """e^zeta K_1/3(zeta) for zeta > 1.8."""
    if zeta <= 30.0:
        return _k_scaled_integral(1.0 / 3.0, zeta)
    return _k_scaled_asymptotic(1.0 / 3.0, zeta)


@kernel(parallel=False)
def _spherical_j0(x):
    """sin(x) / x: 1 at 0, 0 at +-inf (as PyTorch)."""
    if math.isinf(x):
        return 0.0
    if abs(x) < 1e-8:
        return 1.0 - x * x / 6.0
    return math.sin(x) / x


# function codes of _apply_kernel
J0, J1, Y0, Y1, I0, I1, I0E, I1E, K0, K1, K0E, K1E, AIRY_AI, SPHERICAL_J0 = range(14)


@kernel(parallel=False)
def _value(code, x):
    if code == 0 or code == 1:
        return _bessel_j(code, x)
    if code == 2 or code == 3:
        return _bessel_y(code - 2, x)
    if code == 4 or code == 5:
        return _bessel_i(code - 4, x, False)
    if code == 6 or code == 7:
        return _bessel_i(code - 6, x, True)
    if code == 8 or code == 9:
        return _bessel_k(code - 8, x, False)
    if code == 10 or code == 11:
        return _bessel_k(code - 10, x, True)
    if code == 12:
        return _airy_ai(x)
    return _spherical_j0(x)


@kernel(parallel=False)
def _apply_kernel(code, x, out):
    for i in range(x.size):
        out[i] = _value(code, x[i])


def evaluate(code: int, x: np.ndarray) -> np.ndarray:
    """The function `code` (J0, ..., SPHERICAL_J0 above) of every element, in float64."""
    flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty_like(flat)
    _apply_kernel(code, flat, out)
    return out.reshape(np.shape(x))
