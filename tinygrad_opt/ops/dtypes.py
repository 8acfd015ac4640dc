"""Dtype rules for mixing tensors, arrays and Python scalars in one op.

The rules follow PyTorch rather than numpy where the two differ:
- a Python scalar never changes a tensor's floating dtype (float32 stays float32);
- an integer tensor with a Python int stays integer; with a Python float it becomes the
  default float dtype (float32 unless `set_default_dtype` changed it);
- an integer tensor with a floating tensor takes the floating tensor's dtype (numpy would
  give float64 for int64 with float32);
- true division of two integer tensors gives the default float dtype (numpy: float64);
- a 0-d tensor or array with a dimensioned tensor acts like a Python scalar unless it is of
  a higher category (bool < integer < floating): float32 with a 0-d float64 stays float32.
"""

from __future__ import annotations

import numpy as np

from ..default_dtype import default_float

FLOAT32 = np.dtype(np.float32)
_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}  # bool < integer < floating


def promote(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cast two operands to the dtype their op should compute in (see the module rules)."""
    # PyTorch: a 0-d operand only decides the dtype if its category is higher
    if a.ndim == 0 and b.ndim and _CATEGORY[a.dtype.kind] <= _CATEGORY[b.dtype.kind]:
        return a.astype(b.dtype), b
    if b.ndim == 0 and a.ndim and _CATEGORY[b.dtype.kind] <= _CATEGORY[a.dtype.kind]:
        return a, b.astype(a.dtype)
    a_float = a.dtype.kind == "f"
    b_float = b.dtype.kind == "f"
    if a_float and not b_float:
        return a, b.astype(a.dtype)
    if b_float and not a_float:
        return a.astype(b.dtype), b
    dtype = np.result_type(a.dtype, b.dtype)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def scalar_operand(a: np.ndarray, value):
    """`(array, scalar)` ready for a numpy op that keeps the tensor's dtype.

    `value` is a Python or numpy scalar; numpy scalars are turned into Python ones so that a
    `np.float64` does not upcast a float32 tensor (numpy 2 would).
    """
    if isinstance(value, np.generic):
        value = value.item()
    if a.dtype.kind != "f" and isinstance(value, float):
        a = a.astype(default_float())
    elif a.dtype.kind == "b" and isinstance(value, int) and not isinstance(value, bool):
        a = a.astype(np.int64)
    return a, value


def is_scalar(value) -> bool:
    """Python numbers and numpy scalars (not 0-d arrays or Tensors)."""
    return isinstance(value, (int, float, np.generic)) and not isinstance(value, np.ndarray)


def float_result(out: np.ndarray, a: np.ndarray, b) -> np.ndarray:
    """Give integer/integer true division the default float dtype, as PyTorch, instead of
    numpy's float64."""
    if out.dtype != np.float64 or a.dtype.kind == "f" or default_float() == np.float64:
        return out
    # a is integer here; a Python float b already made `a` floating in scalar_operand
    if not isinstance(b, np.ndarray) or b.dtype.kind != "f":
        return out.astype(FLOAT32)
    return out
