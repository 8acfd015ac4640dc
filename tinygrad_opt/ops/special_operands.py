"""Operand handling shared by the two-argument special functions (igamma, zeta, xlog1py,
the orthogonal polynomials): either argument may be a Python number, which takes the
other's floating dtype (so a float64 tensor meets 2.3 itself, not its float32 rounding,
as PyTorch's wrapped scalars), and the shapes must broadcast."""

from __future__ import annotations

import numpy as np

from ..default_dtype import default_float
from ..tensor import Tensor
from .arithmetic import broadcast_error, operands
from .dtypes import is_scalar


def _float_dtype(t: Tensor) -> np.dtype:
    return t.data.dtype if t.data.dtype.kind == "f" else np.dtype(default_float())


def tensor_pair(op: str, input, other) -> tuple[Tensor, Tensor, np.ndarray, np.ndarray]:  # noqa: A002
    """(input, other) as Tensors and their promoted arrays; raises TypeError for anything
    but Tensors and numbers, ValueError for shapes that do not broadcast."""
    for name, value in (("input", input), ("other", other)):
        if not isinstance(value, Tensor) and not is_scalar(value):
            raise TypeError(
                f"{op}: {name} must be a Tensor or a number, got {type(value).__name__}"
            )
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(np.asarray(input, dtype=default_float()))
    if not isinstance(input, Tensor):
        input = Tensor(np.asarray(input, dtype=_float_dtype(other)))
    if not isinstance(other, Tensor):
        other = Tensor(np.asarray(other, dtype=_float_dtype(input)))
    a, b, other = operands(op, input, other)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(op, a, b) from None
    return input, other, a, b
