"""The regularized incomplete gamma functions P(a, x) = gamma(a, x) / Gamma(a) (torch.igamma,
torch.special.gammainc) and Q(a, x) = 1 - P(a, x) (igammac, gammaincc).

One Numba kernel evaluates either, in float64 (Numerical Recipes, section 6.2): the power
series gamma(a, x) = e^-x x^a sum_n x^n / (a (a+1) ... (a+n)) for x < a + 1, the continued
fraction for Gamma(a, x) (evaluated by the modified Lentz method) otherwise; the other
function is 1 minus the one computed. The prefactor x^a e^-x / Gamma(a) is taken as
exp(a log x - x - lgamma(a)), so large a and x neither overflow nor underflow early.
Each loop stops at double precision; near x = a both need about 9 sqrt(a) terms, so very
large a (1e10 and beyond) is slow, and relative precision there is ~|a| * 1e-16
(PyTorch switches to an asymptotic expansion). Where the result is 1 minus a number close
to 1 (Q for tiny a and x < a + 1, say) it is exact only in absolute terms.

Edge values as PyTorch: NaN for a < 0, x < 0, a = x = 0, a = x = inf or a NaN operand;
P(0, x > 0) = 1, P(a, 0) = 0, P(a, inf) = 1, P(inf, x < inf) = 0.
"""

from __future__ import annotations

import math

import numpy as np

from ..jit import kernel
from ..tensor import Tensor
from .special_operands import tensor_pair

_EPS = 1e-16
_TINY = 1e-300
_MAX_TERMS = 100_000_000


@kernel(parallel=False)
def _lower_regularized(a, x):
    """P(a, x) for finite a > 0 and finite x > 0."""
    log_prefactor = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = 1.0 / a
        total = term
        n = 1.0
        while n < _MAX_TERMS:
            term *= x / (a + n)
            total += term
            if abs(term) < abs(total) * _EPS:
                break
            n += 1.0
        return math.exp(log_prefactor) * total
    return 1.0 - _upper_fraction(a, x, log_prefactor)


@kernel(parallel=False)
def _upper_fraction(a, x, log_prefactor):
    """Q(a, x) by Gamma(a, x) = e^-x x^a / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...))."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    i = 1.0
    while i < _MAX_TERMS:
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            break
        i += 1.0
    return math.exp(log_prefactor) * h


@kernel(parallel=False)
def _incomplete_gamma(a, x, upper):
    """P(a, x), or Q(a, x) when `upper`, with PyTorch's values at the edges."""
    if math.isnan(a) or math.isnan(x) or a < 0.0 or x < 0.0:
        return math.nan
    if a == 0.0:
        if x == 0.0:
            return math.nan
        return 0.0 if upper else 1.0
    if math.isinf(a):
        if math.isinf(x):
            return math.nan
        return 1.0 if upper else 0.0
    if x == 0.0:
        return 1.0 if upper else 0.0
    if math.isinf(x):
        return 0.0 if upper else 1.0
    if x < a + 1.0:  # the series converges fast: compute P, Q = 1 - P
        p = _lower_regularized(a, x)
        return 1.0 - p if upper else p
    q = _upper_fraction(a, x, a * math.log(x) - x - math.lgamma(a))
    return q if upper else 1.0 - q


@kernel(parallel=False)
def _incomplete_gamma_kernel(a, x, upper, out):
    for i in range(out.size):
        out[i] = _incomplete_gamma(a[i], x[i], upper)


def incomplete_gamma(a: np.ndarray, x: np.ndarray, upper: bool) -> np.ndarray:
    """P(a, x) (or Q) elementwise in float64, a and x broadcast together."""
    a64, x64 = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    flat_a = np.ascontiguousarray(a64).reshape(-1)
    flat_x = np.ascontiguousarray(x64).reshape(-1)
    out = np.empty(flat_a.size)
    _incomplete_gamma_kernel(flat_a, flat_x, bool(upper), out)
    return out.reshape(a64.shape)


def _igamma(op: str, input, other, upper: bool) -> Tensor:  # noqa: A002
    input, other, a, x = tensor_pair(op, input, other)
    if a.dtype.kind != "f":
        raise TypeError(
            f"{op}: needs a floating-point input or other (as PyTorch), got {a.dtype}; "
            "convert with .float() or .double()"
        )
    out = incomplete_gamma(a, x, upper).astype(a.dtype, copy=False)
    need_input, need_other = input.requires_grad, other.requires_grad

    def backward(g):
        if need_input:
            raise NotImplementedError(
                f"{op}: the derivative with respect to input (a) is not implemented (as "
                "PyTorch); only other (x) can require grad"
            )
        # d/dx P = x^(a-1) e^-x / Gamma(a), in log space as PyTorch (NaN at a = 1, x = 0)
        with np.errstate(all="ignore"):
            a64, x64 = a.astype(np.float64), x.astype(np.float64)
            density = np.exp((a64 - 1) * np.log(x64) - x64 - _lgamma(a64))
            gx = g * (-density if upper else density).astype(g.dtype, copy=False)
        return (None, gx if need_other else None)

    return Tensor.make(out, (input, other), backward)


def _lgamma(a: np.ndarray) -> np.ndarray:
    from .special import lgamma

    return lgamma(a)


def igamma(input, other) -> Tensor:  # noqa: A002 - torch's names
    """The regularized lower incomplete gamma function P(input, other), as torch.igamma
    (torch.special.gammainc). Differentiable in `other` only: the gradient with respect to
    `input` raises NotImplementedError, as PyTorch. Unlike PyTorch, either operand may be
    a Python number."""
    return _igamma("igamma", input, other, upper=False)


def igammac(input, other) -> Tensor:  # noqa: A002
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P, as
    torch.igammac (torch.special.gammaincc); gradient as igamma's, negated."""
    return _igamma("igammac", input, other, upper=True)


gammainc = igamma
gammaincc = igammac
