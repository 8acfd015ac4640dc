"""The Bessel and Airy functions of torch.special as Tensor ops (kernels in
bessel_kernels.py, computed in float64 and rounded once).

i1, i0e and i1e have gradients, as PyTorch: I1' = I0 - I1 / x (1/2 at 0),
(e^-|x| I0)' = e^-|x| (I1 - sign(x) I0) and (e^-|x| I1)' = e^-|x| (I0 - I1 (sign(x) + 1/x))
(1/2 at 0). The others (bessel_j0/j1/y0/y1, modified_bessel_i0/i1/k0/k1,
scaled_modified_bessel_k0/k1, airy_ai, spherical_bessel_j0) return a tensor without a
gradient, as PyTorch's have no grad_fn. Integer input gives the default float dtype.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import bessel_kernels as kernels
from .unary import _float_data
from .unary_math import _elementwise


def _check_tensor(op: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")


def _value(code: int):
    return lambda a: kernels.evaluate(code, a)


def _no_gradient(op: str, code: int, x) -> Tensor:
    _check_tensor(op, x)
    a = _float_data(op, x)
    return Tensor(kernels.evaluate(code, a).astype(a.dtype, copy=False))


def i1(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """The modified Bessel function of the first kind, order 1; d/dx = I0 - I1 / x."""
    _check_tensor("i1", input)

    def derivative(a, o):
        i0 = kernels.evaluate(kernels.I0, a)
        i1 = kernels.evaluate(kernels.I1, a)
        safe = np.where(a == 0, 1.0, a)
        return np.where(a == 0, 0.5, i0 - i1 / safe)

    return _elementwise("i1", input, _value(kernels.I1), derivative)


def i0e(input: Tensor) -> Tensor:  # noqa: A002
    """e^-|x| I0(x), finite for every x; d/dx = i1e(x) - sign(x) i0e(x)."""
    _check_tensor("i0e", input)

    def derivative(a, o):
        return kernels.evaluate(kernels.I1E, a) - np.sign(a) * kernels.evaluate(kernels.I0E, a)

    return _elementwise("i0e", input, _value(kernels.I0E), derivative)


def i1e(input: Tensor) -> Tensor:  # noqa: A002
    """e^-|x| I1(x); d/dx = i0e(x) - i1e(x) (sign(x) + 1 / x), 1/2 at 0."""
    _check_tensor("i1e", input)

    def derivative(a, o):
        i0e_value = kernels.evaluate(kernels.I0E, a)
        i1e_value = kernels.evaluate(kernels.I1E, a)
        safe = np.where(a == 0, 1.0, a)
        return np.where(a == 0, 0.5, i0e_value - i1e_value * (np.sign(a) + 1 / safe))

    return _elementwise("i1e", input, _value(kernels.I1E), derivative)


def bessel_j0(input: Tensor) -> Tensor:  # noqa: A002
    """The Bessel function of the first kind J0 (NaN at +-inf, as PyTorch); no gradient."""
    return _no_gradient("bessel_j0", kernels.J0, input)


def bessel_j1(input: Tensor) -> Tensor:  # noqa: A002
    """The Bessel function of the first kind J1 (NaN at +-inf, as PyTorch); no gradient."""
    return _no_gradient("bessel_j1", kernels.J1, input)


def bessel_y0(input: Tensor) -> Tensor:  # noqa: A002
    """The Bessel function of the second kind Y0: -inf at 0, NaN below 0 and at inf (as
    PyTorch); no gradient."""
    return _no_gradient("bessel_y0", kernels.Y0, input)


def bessel_y1(input: Tensor) -> Tensor:  # noqa: A002
    """The Bessel function of the second kind Y1: -inf at 0, NaN below 0 and at inf (as
    PyTorch); no gradient."""
    return _no_gradient("bessel_y1", kernels.Y1, input)


def modified_bessel_i0(input: Tensor) -> Tensor:  # noqa: A002
    """I0(x) (NaN at +-inf, as PyTorch); no gradient (i0 has one)."""
    return _no_gradient("modified_bessel_i0", kernels.I0, input)


def modified_bessel_i1(input: Tensor) -> Tensor:  # noqa: A002
    """I1(x) (NaN at +-inf, as PyTorch); no gradient (special.i1 has one)."""
    return _no_gradient("modified_bessel_i1", kernels.I1, input)


def modified_bessel_k0(input: Tensor) -> Tensor:  # noqa: A002
    """The modified Bessel function of the second kind K0: inf at 0, NaN below; no
    gradient."""
    return _no_gradient("modified_bessel_k0", kernels.K0, input)


def modified_bessel_k1(input: Tensor) -> Tensor:  # noqa: A002
    """The modified Bessel function of the second kind K1: inf at 0, NaN below; no
    gradient."""
    return _no_gradient("modified_bessel_k1", kernels.K1, input)


def scaled_modified_bessel_k0(input: Tensor) -> Tensor:  # noqa: A002
    """e^x K0(x), finite for large x; no gradient."""
    return _no_gradient("scaled_modified_bessel_k0", kernels.K0E, input)


def scaled_modified_bessel_k1(input: Tensor) -> Tensor:  # noqa: A002
    """e^x K1(x), finite for large x; no gradient."""
    return _no_gradient("scaled_modified_bessel_k1", kernels.K1E, input)


def airy_ai(input: Tensor) -> Tensor:  # noqa: A002
    """The Airy function Ai(x) (NaN at +-inf, as PyTorch); no gradient."""
    return _no_gradient("airy_ai", kernels.AIRY_AI, input)


def spherical_bessel_j0(input: Tensor) -> Tensor:  # noqa: A002
    """The spherical Bessel function j0(x) = sin(x) / x (1 at 0, 0 at +-inf); no
    gradient."""
    return _no_gradient("spherical_bessel_j0", kernels.SPHERICAL_J0, input)
