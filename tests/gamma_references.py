"""Plain-Python references for the gamma-family functions the distribution tests need."""

import math


def mvlgamma(a: float, p: int) -> float:
    """log Gamma_p(a) = p(p-1)/4 log pi + sum_j lgamma(a - j/2)."""
    return p * (p - 1) / 4 * math.log(math.pi) + sum(math.lgamma(a - j / 2) for j in range(p))


def digamma(x: float) -> float:
    """Recurrence up to x >= 8, then the asymptotic series (error below 1e-14)."""
    acc = 0.0
    while x < 8:
        acc -= 1 / x
        x += 1
    inv2 = 1 / (x * x)
    return acc + math.log(x) - 0.5 / x - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (
        1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
