"""More elementwise math as PyTorch: inverse and hyperbolic trigonometry, erf/erfc/erfinv,
lgamma/digamma, log1p/log2/log10/exp2/expm1, trunc/frac, sgn/signbit, deg2rad/rad2deg.

Integer and bool input gives the default float dtype, float32 unless changed (as
torch.sin(int_tensor)); float dtypes are kept. The
special functions compute in float64 and round once (see special.py). NaN and Inf follow
numpy, which agrees with PyTorch for these (acos(2) is NaN, log1p(-1) is -inf, ...).
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from . import special
from .erf import erf as _erf_array
from .unary import _float_data, _zero_gradient


def _elementwise(op: str, x: Tensor, forward, derivative) -> Tensor:
    """`forward(a)` with gradient `g * derivative(a, out)`, quietly producing NaN/Inf."""
    a = _float_data(op, x)
    with np.errstate(all="ignore"):
        out = np.asarray(forward(a)).astype(a.dtype, copy=False)

    def backward(g):
        with np.errstate(all="ignore"):
            return (g * derivative(a, out),)

    return Tensor.make(out, (x,), backward)


def acos(x: Tensor) -> Tensor:
    return _elementwise("acos", x, np.arccos, lambda a, o: -1 / np.sqrt(1 - a * a))


def asin(x: Tensor) -> Tensor:
    return _elementwise("asin", x, np.arcsin, lambda a, o: 1 / np.sqrt(1 - a * a))


def atan(x: Tensor) -> Tensor:
    return _elementwise("atan", x, np.arctan, lambda a, o: 1 / (1 + a * a))


def sinh(x: Tensor) -> Tensor:
    return _elementwise("sinh", x, np.sinh, lambda a, o: np.cosh(a))


def cosh(x: Tensor) -> Tensor:
    return _elementwise("cosh", x, np.cosh, lambda a, o: np.sinh(a))


def tan(x: Tensor) -> Tensor:
    return _elementwise("tan", x, np.tan, lambda a, o: 1 + o * o)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0


def erf(x: Tensor) -> Tensor:
    """erf(x); d/dx = 2/sqrt(pi) exp(-x^2)."""
    return _elementwise(
        "erf", x, _erf_array, lambda a, o: _TWO_OVER_SQRT_PI * np.exp(-a * a)
    )


def erfc(x: Tensor) -> Tensor:
    """1 - erf(x), without cancellation for large x."""
    return _elementwise(
        "erfc", x, special.erfc, lambda a, o: -_TWO_OVER_SQRT_PI * np.exp(-a * a)
    )


def erfinv(x: Tensor) -> Tensor:
    """Inverse of erf on [-1, 1] (+-inf at +-1, NaN outside); d/dy = sqrt(pi)/2 exp(out^2)."""
    return _elementwise(
        "erfinv", x, special.erfinv, lambda a, o: _SQRT_PI_OVER_2 * np.exp(o * o)
    )


def lgamma(x: Tensor) -> Tensor:
    """log|Gamma(x)| (Lanczos, see special.py); its gradient is digamma(x)."""
    return _elementwise("lgamma", x, special.lgamma, lambda a, o: special.digamma(a))


def digamma(x: Tensor) -> Tensor:
    """psi(x) = d lgamma / dx; its gradient is trigamma (torch's polygamma(1, x))."""
    return _elementwise("digamma", x, special.digamma, lambda a, o: special.trigamma(a))


def log1p(x: Tensor) -> Tensor:
    return _elementwise("log1p", x, np.log1p, lambda a, o: 1 / (1 + a))


def log2(x: Tensor) -> Tensor:
    return _elementwise("log2", x, np.log2, lambda a, o: 1 / (a * math.log(2.0)))


def log10(x: Tensor) -> Tensor:
    return _elementwise("log10", x, np.log10, lambda a, o: 1 / (a * math.log(10.0)))


def exp2(x: Tensor) -> Tensor:
    return _elementwise("exp2", x, np.exp2, lambda a, o: o * math.log(2.0))


def expm1(x: Tensor) -> Tensor:
    return _elementwise("expm1", x, np.expm1, lambda a, o: o + 1)


def deg2rad(x: Tensor) -> Tensor:
    return _elementwise("deg2rad", x, np.deg2rad, lambda a, o: math.pi / 180.0)


def rad2deg(x: Tensor) -> Tensor:
    return _elementwise("rad2deg", x, np.rad2deg, lambda a, o: 180.0 / math.pi)


def trunc(x: Tensor) -> Tensor:
    """Round toward zero, in x's dtype (integer tensors unchanged); zero gradient."""
    a = x.data
    if a.dtype.kind == "b":
        raise TypeError("trunc: not defined for bool tensors (as PyTorch); convert first")
    return _zero_gradient(x, np.trunc(a) if a.dtype.kind == "f" else a.copy())


fix = trunc


def frac(x: Tensor) -> Tensor:
    """x - trunc(x) (keeps x's sign); gradient 1. Floating tensors only, as torch.frac."""
    a = x.data
    if a.dtype.kind != "f":
        raise TypeError(f"frac: needs a floating-point tensor, got {a.dtype}")
    with np.errstate(invalid="ignore"):
        out = a - np.trunc(a)
    return Tensor.make(out, (x,), lambda g: (g,))


def sgn(x: Tensor) -> Tensor:
    """torch.sgn: for real tensors the same as sign (there are no complex tensors here)."""
    from .unary import sign

    return sign(x)


def signbit(x: Tensor) -> Tensor:
    """Bool tensor, true where the sign bit is set (-0.0 included); outside the graph."""
    return Tensor(np.asarray(np.signbit(x.data)))
