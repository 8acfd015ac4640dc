"""torch's questions about types and shapes: `result_type`, `promote_types`, `can_cast`,
`broadcast_shapes`, `typename`, `is_storage`.

Promotion follows torch (see ops/dtypes.py): categories bool < integer < floating; within
a category the wider dtype wins (uint8 with int8 gives int16); across categories the
higher category's dtype wins as is (int64 with float32 gives float32, where numpy says
float64). In `result_type`, dimensioned tensors outrank 0-d tensors, which outrank Python
numbers: a lower rank only decides when its category is higher (float32 tensor with a 0-d
float64 gives float32; int32 tensor with 2.5 gives the default float dtype).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..default_dtype import default_float
from ..size import Size
from ..tensor import Tensor

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_TYPE_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
    "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
}


def _dtype_arg(op: str, name: str, value) -> np.dtype:
    try:
        dt = np.dtype(value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be a dtype, got {value!r}") from None
    if dt.kind not in _CATEGORY:
        raise TypeError(f"{op}: {name} must be a bool, integer or floating dtype, got {dt}")
    return dt


def _promote(a: np.dtype, b: np.dtype, op: str = "promote_types") -> np.dtype:
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    out = np.promote_types(a, b)
    if _CATEGORY[out.kind] != ca:  # uint64 with a signed integer: numpy says float64
        raise TypeError(
            f"{op}: no integer dtype holds both {a} and {b} (torch refuses to "
            "promote uint64 too)"
        )
    return out


def promote_types(type1, type2) -> np.dtype:
    """The dtype both promote to (torch.promote_types; see the module docstring)."""
    return _promote(_dtype_arg("promote_types", "type1", type1),
                    _dtype_arg("promote_types", "type2", type2))


def can_cast(from_, to) -> bool:
    """Whether torch's casting rules allow `from_` -> `to` in an op's output: anything but
    a cast to a lower category (float -> int, int -> bool)."""
    a = _dtype_arg("can_cast", "from_", from_)
    b = _dtype_arg("can_cast", "to", to)
    return _CATEGORY[a.kind] <= _CATEGORY[b.kind]


def _operand(op: str, value) -> tuple[int, np.dtype]:
    """(rank, dtype): rank 2 for a dimensioned tensor, 1 for a 0-d tensor, 0 for a number."""
    if isinstance(value, Tensor):
        return (2 if value.data.ndim else 1), value.data.dtype
    if isinstance(value, (bool, np.bool_)):
        return 0, np.dtype(np.bool_)
    if isinstance(value, numbers.Integral):
        return 0, np.dtype(np.int64)
    if isinstance(value, numbers.Real):
        return 0, default_float()
    raise TypeError(f"{op}: expected Tensors or numbers, got {type(value).__name__}")


def result_type(tensor, other) -> np.dtype:
    """The dtype an arithmetic op on `tensor` and `other` gives (torch.result_type)."""
    operands = [_operand("result_type", tensor), _operand("result_type", other)]
    result = None
    for rank in (2, 1, 0):
        level = [dt for r, dt in operands if r == rank]
        if not level:
            continue
        dt = level[0] if len(level) == 1 else _promote(*level, op="result_type")
        if result is None or _CATEGORY[dt.kind] > _CATEGORY[result.kind]:
            result = dt
    return result


def broadcast_shapes(*shapes) -> Size:
    """The shape tensors of these shapes broadcast to (torch.broadcast_shapes); an int
    stands for a 1-D shape."""
    norm = []
    for shape in shapes:
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) for n in shape):
            raise TypeError(f"broadcast_shapes: shapes must hold ints, got {shape!r}")
        if any(n < 0 for n in shape):
            raise ValueError(f"broadcast_shapes: sizes must be non-negative, got {shape}")
        norm.append(tuple(int(n) for n in shape))
    try:
        return Size(np.broadcast_shapes(*norm))
    except ValueError:
        raise ValueError(
            f"broadcast_shapes: shapes {norm} cannot be broadcast together (each dimension, "
            "aligned from the right, must be equal or 1)"
        ) from None


def typename(obj, /) -> str:
    """A name for obj's type: a tensor's legacy type name under this package
    ("tinygrad_opt.FloatTensor" where torch says "torch.FloatTensor"), otherwise the type's
    module and qualified name (builtins without module), as torch.typename."""
    if isinstance(obj, Tensor):
        return f"tinygrad_opt.{_TYPE_NAMES.get(obj.data.dtype.name, obj.data.dtype.name)}"
    kind = type(obj)
    module = kind.__module__
    if module in ("builtins", "__builtin__", None):
        return kind.__qualname__
    return f"{module}.{kind.__qualname__}"


def is_storage(obj, /) -> bool:
    """Always False: tensors here hold numpy arrays, not torch storages."""
    return False
