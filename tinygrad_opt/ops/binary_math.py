"""Binary elementwise math as PyTorch: atan2, hypot, fmod, remainder, floor_divide,
true_divide, float_power, xlogy, logaddexp, logaddexp2, lerp, and the logical ops and isin.

Operands broadcast and mix dtypes as `+` does (dtypes.py; a Python scalar never upcasts a
float32 tensor); ops that are only defined on reals give the default float dtype
(float32 unless `set_default_dtype` changed it) for integer operands.
Each gradient is returned at the broadcast shape; the engine sums it back (`unbroadcast`).
"""

from __future__ import annotations

import math

import numpy as np

from ..default_dtype import default_float
from ..tensor import Tensor
from .arithmetic import broadcast_error, operands


def _binary(op: str, x, other, forward, grads, float_only: bool = True) -> Tensor:
    """`forward(a, b)`; `grads(a, b, out, g)` gives the pair (ga, gb), called only when some
    operand needs it. Either operand may be a Python number."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    a, b, other = operands(op, x, other)
    if float_only and a.dtype.kind != "f":
        a, b = a.astype(default_float()), b.astype(default_float())
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(op, a, b) from None
    with np.errstate(all="ignore"):
        out = np.asarray(forward(a, b))
    need = (x.requires_grad, other.requires_grad)

    def backward(g):
        with np.errstate(all="ignore"):
            ga, gb = grads(a, b, out, g)
        return (ga if need[0] else None, gb if need[1] else None)

    return Tensor.make(out, (x, other), backward)


def atan2(input, other) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """Angle of the point (other, input), in (-pi, pi]; integer operands give float32.
    Gradients b / r^2 and -a / r^2, taken as 0 at the origin (as PyTorch, not 0/0 = NaN)."""

    def grads(a, b, out, g):
        r2 = a * a + b * b
        scale = np.where(r2 == 0, 0, g / r2)
        return scale * b, -scale * a

    return _binary("atan2", input, other, np.arctan2, grads)


arctan2 = atan2


def hypot(input, other) -> Tensor:  # noqa: A002
    """sqrt(input^2 + other^2) without overflow; floating operands only, as torch.hypot."""
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.data.dtype.kind != "f":
        raise TypeError(f"hypot: needs floating-point tensors, got {input.data.dtype}")
    return _binary("hypot", input, other, np.hypot, lambda a, b, o, g: (g * a / o, g * b / o))


def _check_integer_divisor(op: str, a: np.ndarray, b: np.ndarray) -> None:
    if a.dtype.kind in "biu" and np.any(b == 0):
        raise ZeroDivisionError(f"{op}: integer division by zero")


def fmod(input, other) -> Tensor:  # noqa: A002
    """C's fmod: the remainder has the sign of the dividend. Integer tensors stay integer
    (division by zero raises). Gradients: 1 and -trunc(input / other)."""

    def forward(a, b):
        _check_integer_divisor("fmod", a, b)
        return np.fmod(a, b)

    return _binary(
        "fmod", input, other, forward,
        lambda a, b, o, g: (g, -g * np.trunc(a / b)), float_only=False,
    )


def remainder(input, other) -> Tensor:  # noqa: A002
    """Python's modulus: the remainder has the sign of the divisor. Integer tensors stay
    integer (division by zero raises). Gradients: 1 and -floor(input / other)."""

    def forward(a, b):
        _check_integer_divisor("remainder", a, b)
        return np.remainder(a, b)

    return _binary(
        "remainder", input, other, forward,
        lambda a, b, o, g: (g, -g * np.floor(a / b)), float_only=False,
    )


def floor_divide(input, other) -> Tensor:  # noqa: A002
    """floor(input / other) (PyTorch >= 1.13 rounds down); integers stay integer; zero
    gradient, as PyTorch."""

    def forward(a, b):
        _check_integer_divisor("floor_divide", a, b)
        return np.floor_divide(a, b)

    return _binary(
        "floor_divide", input, other, forward,
        lambda a, b, o, g: (np.zeros(o.shape, g.dtype), np.zeros(o.shape, g.dtype)),
        float_only=False,
    )


def true_divide(input, other) -> Tensor:  # noqa: A002
    """Alias of `div` (true division; integer operands give float32)."""
    from .arithmetic import div

    return div(input if isinstance(input, Tensor) else Tensor(input), other)


def float_power(input, exponent) -> Tensor:  # noqa: A002
    """input ** exponent computed and returned in float64, as torch.float_power."""
    if not isinstance(input, Tensor):
        input = Tensor(input)
    x64 = input.to(np.float64) if input.data.dtype != np.float64 else input
    if isinstance(exponent, Tensor) and exponent.data.dtype != np.float64:
        exponent = exponent.to(np.float64)
    elif not isinstance(exponent, Tensor):
        exponent = Tensor(np.asarray(exponent, dtype=np.float64))
    return x64**exponent


def xlogy(input, other) -> Tensor:  # noqa: A002
    """input * log(other), 0 where input == 0 (NaN if other is NaN), as torch.xlogy.
    Gradients: log(other) (also where input == 0: 0 log y is 0 for every input, its slope
    is still log y; 0 only where input == 0 and other <= 0, as torch) and input / other."""

    def forward(a, b):
        out = a * np.log(b)
        return np.where((a == 0) & ~np.isnan(b), 0, out).astype(out.dtype, copy=False)

    def grads(a, b, out, g):
        return g * np.where((a == 0) & (b <= 0), 0, np.log(b)), g * a / b

    return _binary("xlogy", input, other, forward, grads)


def _logaddexp_grads(base):
    def grads(a, b, out, g):
        # the two softmax weights 1 / (1 + base^(b - a)) and 1 / (1 + base^(a - b)): with
        # one operand +inf they are 0 and 1 (base^(b - out) would be inf - inf = NaN); two
        # equal infinities give NaN, as PyTorch
        return g / (1 + base ** (b - a)), g / (1 + base ** (a - b))

    return grads


def logaddexp(input, other) -> Tensor:  # noqa: A002
    """log(exp(input) + exp(other)) without overflow."""
    return _binary("logaddexp", input, other, np.logaddexp, _logaddexp_grads(math.e))


def logaddexp2(input, other) -> Tensor:  # noqa: A002
    """log2(2^input + 2^other) without overflow."""
    return _binary("logaddexp2", input, other, np.logaddexp2, _logaddexp_grads(2.0))


def lerp(input, end, weight) -> Tensor:  # noqa: A002
    """input + weight * (end - input); weight a number or a tensor. Floating operands only."""
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.data.dtype.kind != "f":
        raise TypeError(f"lerp: needs floating-point tensors, got {input.data.dtype}")
    if not isinstance(end, Tensor):
        end = Tensor(end)
    if isinstance(weight, (int, float, np.generic)) and not isinstance(weight, bool):
        w = float(weight)
        return _binary(
            "lerp", input, end, lambda a, b: a + w * (b - a),
            lambda a, b, o, g: (g * (1 - w), g * w),
        )
    if not isinstance(weight, Tensor):
        weight = Tensor(weight)
    return input + weight * (end - input)


def _truth(value) -> np.ndarray:
    a = value.data if isinstance(value, Tensor) else np.asarray(value)
    return a.astype(bool)


def logical_and(input, other) -> Tensor:  # noqa: A002
    """Bool tensor: both operands nonzero (any dtypes); outside the graph."""
    return Tensor(np.asarray(np.logical_and(_truth(input), _truth(other))))


def logical_or(input, other) -> Tensor:  # noqa: A002
    return Tensor(np.asarray(np.logical_or(_truth(input), _truth(other))))


def logical_xor(input, other) -> Tensor:  # noqa: A002
    return Tensor(np.asarray(np.logical_xor(_truth(input), _truth(other))))


def logical_not(input) -> Tensor:  # noqa: A002
    return Tensor(np.asarray(np.logical_not(_truth(input))))


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Bool tensor of elements' shape: whether each element occurs in test_elements (either
    may be a number); outside the graph."""
    a = elements.data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements.data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return Tensor(np.asarray(np.isin(a, b, assume_unique=assume_unique, invert=invert)))
