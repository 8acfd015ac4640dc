"""Bitwise ops on integer and bool tensors as PyTorch: bitwise_and/or/xor/not, the shifts
bitwise_left_shift/right_shift, and gcd/lcm. Results leave the graph (no gradients).

Dtypes follow `+` (dtypes.py): a Python int keeps the tensor's integer dtype. Shifting by the
bit width or more gives 0 (left) or the sign (right), as torch, not C's undefined result;
a negative shift count is refused.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .arithmetic import broadcast_error, operands
from .dtypes import is_scalar, scalar_operand


def _integer_operands(op: str, x, other, allow_bool: bool = True, promote_bool: bool = False):
    """Arrays for a bitwise op. With promote_bool, a bool tensor is taken when a Python int
    makes it int64 first (torch's `mask << 1`)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    allowed = "biu" if allow_bool else "iu"
    kinds = "integer or bool" if allow_bool else "integer"
    if x.data.dtype.kind not in (allowed + "b" if promote_bool else allowed):
        raise TypeError(f"{op}: needs {kinds} tensors, got {x.data.dtype}")
    if is_scalar(other) and not isinstance(other, float):
        a, b = scalar_operand(x.data, other)
    else:
        a, b, _ = operands(op, x, other)
    for arr in (a, np.asarray(b)):
        if arr.dtype.kind not in allowed:
            raise TypeError(f"{op}: needs {kinds} tensors, got {arr.dtype}")
    try:
        np.broadcast_shapes(a.shape, np.shape(b))
    except ValueError:
        raise broadcast_error(op, a, np.asarray(b)) from None
    return a, b


def bitwise_and(input, other) -> Tensor:  # noqa: A002 - torch's name
    a, b = _integer_operands("bitwise_and", input, other)
    return Tensor(np.asarray(np.bitwise_and(a, b)))


def bitwise_or(input, other) -> Tensor:  # noqa: A002
    a, b = _integer_operands("bitwise_or", input, other)
    return Tensor(np.asarray(np.bitwise_or(a, b)))


def bitwise_xor(input, other) -> Tensor:  # noqa: A002
    a, b = _integer_operands("bitwise_xor", input, other)
    return Tensor(np.asarray(np.bitwise_xor(a, b)))


def bitwise_not(input) -> Tensor:  # noqa: A002
    """~x: logical not for bool, two's complement for integers."""
    a = input.data if isinstance(input, Tensor) else np.asarray(input)
    if a.dtype.kind not in "biu":
        raise TypeError(f"bitwise_not: needs integer or bool tensors, got {a.dtype}")
    return Tensor(np.asarray(np.invert(a)))


def _shift_counts(op: str, a: np.ndarray, b) -> np.ndarray:
    b = np.asarray(b)
    if np.any(b < 0):
        raise ValueError(f"{op}: shift counts must be non-negative, got {b.min()}")
    return b


def bitwise_left_shift(input, other) -> Tensor:  # noqa: A002
    """input << other (bits shifted out are lost; 0 from a shift >= the bit width)."""
    a, b = _integer_operands("bitwise_left_shift", input, other, False, True)
    b = _shift_counts("bitwise_left_shift", a, b)
    bits = a.dtype.itemsize * 8
    wide = b >= bits
    out = np.left_shift(a, np.where(wide, 0, b).astype(a.dtype))
    return Tensor(np.asarray(np.where(wide, 0, out).astype(out.dtype)))


def bitwise_right_shift(input, other) -> Tensor:  # noqa: A002
    """input >> other, arithmetic (sign-filling) for signed integers."""
    a, b = _integer_operands("bitwise_right_shift", input, other, False, True)
    b = _shift_counts("bitwise_right_shift", a, b)
    bits = a.dtype.itemsize * 8
    wide = b >= bits
    out = np.right_shift(a, np.where(wide, 0, b).astype(a.dtype))
    fill = np.where(a < 0, -1, 0) if a.dtype.kind == "i" else 0
    return Tensor(np.asarray(np.where(wide, fill, out).astype(out.dtype)))


def gcd(input, other) -> Tensor:  # noqa: A002
    """Greatest common divisor, non-negative (gcd(0, 0) = 0); integer tensors only."""
    a, b = _integer_operands("gcd", input, other, allow_bool=False)
    return Tensor(np.asarray(np.gcd(a, b)))


def lcm(input, other) -> Tensor:  # noqa: A002
    """Least common multiple, non-negative (0 if either is 0); integer tensors only."""
    a, b = _integer_operands("lcm", input, other, allow_bool=False)
    return Tensor(np.asarray(np.lcm(a, b)))
