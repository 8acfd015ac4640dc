"""More binary elementwise math as PyTorch: fmax, fmin, copysign, heaviside, ldexp,
nextafter, and frexp (one input, two outputs).

Operands broadcast and mix dtypes as binary_math.py's ops. Gradients as torch: fmax/fmin
send the gradient to the operand they picked (the first one on ties and where the other is
NaN); copysign's is sign(input) * sign(result) (0 where input is 0) and 0 for `other`;
nextafter's is 1 and 0 (0 for both where input == other); heaviside has no gradient
(backward raises, as torch).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from .binary_math import _binary


def _zeros(g):
    return np.zeros(g.shape, g.dtype)


def fmax(input, other) -> Tensor:  # noqa: A002 - torch's name
    """Elementwise maximum that ignores NaN (NaN only where both are NaN), as np.fmax."""

    def grads(a, b, out, g):
        first = (a >= b) | np.isnan(b)
        return np.where(first, g, 0), np.where(first, 0, g)

    return _binary("fmax", input, other, np.fmax, grads, float_only=False)


def fmin(input, other) -> Tensor:  # noqa: A002
    """Elementwise minimum that ignores NaN, as np.fmin."""

    def grads(a, b, out, g):
        first = (a <= b) | np.isnan(b)
        return np.where(first, g, 0), np.where(first, 0, g)

    return _binary("fmin", input, other, np.fmin, grads, float_only=False)


def copysign(input, other) -> Tensor:  # noqa: A002
    """|input| with the sign of other (-0.0 counts as negative); integers give floats."""

    def grads(a, b, out, g):
        ratio = np.where(a == 0, 0, out / np.where(a == 0, 1, a))
        return g * ratio, _zeros(g)

    return _binary("copysign", input, other, np.copysign, grads)


def _no_gradient(op: str):
    def grads(a, b, out, g):
        raise RuntimeError(f"the derivative of {op} is not implemented (as PyTorch)")

    return grads


def heaviside(input, values) -> Tensor:  # noqa: A002
    """0 where input < 0, `values` where input == 0, 1 where input > 0 (0 where input is
    NaN), in the inputs' dtype (bool and integers included). Both must have the same dtype,
    as torch."""
    a = input.data if isinstance(input, Tensor) else np.asarray(input)
    b = values.data if isinstance(values, Tensor) else np.asarray(values)
    if isinstance(values, Tensor) and a.dtype != b.dtype:
        raise TypeError(
            f"heaviside: input and values must have the same dtype, got {a.dtype} and {b.dtype}"
        )
    # not np.heaviside, which computes in floating point (int64 inputs gave float64) and
    # propagates NaN where torch's rule gives 0 (NaN is neither == 0 nor > 0)
    return _binary("heaviside", input, values,
                   lambda a, b: np.where(a == 0, b, (a > 0).astype(np.result_type(a, b))),
                   _no_gradient("heaviside"), float_only=False)


def ldexp(input, other) -> Tensor:  # noqa: A002
    """input * 2^other, in floating point; gradients 2^other and result * log(2)."""
    return _binary(
        "ldexp", input, other, lambda a, b: a * np.exp2(b),
        lambda a, b, o, g: (g * np.exp2(b), g * o * math.log(2.0)),
    )


def nextafter(input, other) -> Tensor:  # noqa: A002
    """The next floating-point value after input towards other (other itself where they are
    equal), in input's float dtype."""
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.data.dtype.kind != "f":
        raise TypeError(f"nextafter: needs floating-point tensors, got {input.data.dtype}")
    return _binary(
        "nextafter", input, other, np.nextafter,
        lambda a, b, o, g: (np.where(a != b, g, 0), _zeros(g)),
    )


class Frexp(NamedTuple):
    """frexp's result: (mantissa, exponent), as torch.return_types.frexp."""

    mantissa: Tensor
    exponent: Tensor


def frexp(input: Tensor) -> Frexp:  # noqa: A002
    """input = mantissa * 2^exponent with |mantissa| in [0.5, 1) (0 for 0); exponent is
    int32, as torch. Floating tensors only. The mantissa's gradient is g / 2^exponent."""
    a = input.data
    if a.dtype.kind != "f":
        raise TypeError(f"frexp: needs a floating-point tensor, got {a.dtype}")
    mantissa, exponent = np.frexp(a)
    scale = np.exp2(-exponent.astype(a.dtype))
    out = Tensor.make(mantissa, (input,), lambda g: (g * scale,))
    return Frexp(out, Tensor(exponent.astype(np.int32)))
