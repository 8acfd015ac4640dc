"""PyTorch's legacy typed constructors, still common in tutorials (the chatbot tutorial's
`torch.LongTensor(indexes)`, `torch.BoolTensor(mask)`, `nn.Parameter(torch.FloatTensor(n))`).

`FloatTensor(2, 3)` or `FloatTensor(Size([2, 3]))` makes a tensor of that shape;
`FloatTensor()` an empty one; `FloatTensor(data)` one from a list, tuple or numpy array
(converted as numpy does: `LongTensor([1.7])` truncates to 1); `FloatTensor(t)` shares t's
array when t already has the type's dtype (another dtype raises TypeError, as PyTorch). A
plain tuple is data, not a shape, as in PyTorch. `isinstance(x, FloatTensor)` tests x's dtype.
The dtype is fixed: FloatTensor is float32 whatever `set_default_dtype` says, as PyTorch.
Deviation: a tensor made from a shape is zero-filled (PyTorch leaves its memory
uninitialised). BFloat16Tensor is missing (numpy has no bfloat16).
"""

from __future__ import annotations

import numpy as np

from .devices import check_cpu
from .size import Size
from .tensor import Tensor


class _TensorType(type):
    """The metaclass: calling a type builds a Tensor, isinstance checks the dtype."""

    dtype: np.dtype

    def __call__(cls, *args, device=None) -> Tensor:
        name = cls.__name__
        check_cpu(name, device)
        if not args:
            return Tensor(np.zeros((0,), dtype=cls.dtype), dtype=cls.dtype)
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return Tensor(np.zeros(_shape(name, args), dtype=cls.dtype), dtype=cls.dtype)
        if len(args) > 1:
            raise TypeError(
                f"{name}(): expected sizes as ints or a single data argument, got {args!r}"
            )
        data = args[0]
        if isinstance(data, Size):
            return Tensor(np.zeros(_shape(name, data), dtype=cls.dtype), dtype=cls.dtype)
        if isinstance(data, Tensor):
            if data.data.dtype != cls.dtype:
                raise TypeError(
                    f"{name}(tensor): expected a {cls.dtype} tensor, got {data.data.dtype}; "
                    f"convert it with .to({cls.dtype.name}) or tensor(..., dtype=...)"
                )
            return Tensor(data.data, dtype=cls.dtype)  # shares the array, as PyTorch
        if not isinstance(data, (list, tuple, np.ndarray)):
            raise TypeError(
                f"{name}(): data must be a sequence (list, tuple or numpy array) or sizes "
                f"as ints, got {type(data).__name__}"
            )
        return Tensor(np.array(data, dtype=cls.dtype), dtype=cls.dtype)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.data.dtype == cls.dtype


def _shape(name: str, dims) -> tuple[int, ...]:
    shape = tuple(int(d) for d in dims)
    if any(d < 0 for d in shape):
        raise ValueError(f"{name}(): sizes must be non-negative, got {shape}")
    return shape


def _make(name: str, dtype) -> _TensorType:
    doc = f"`{name}(*sizes)` or `{name}(data)`: a {np.dtype(dtype).name} Tensor (module doc)."
    return _TensorType(name, (), {"dtype": np.dtype(dtype), "__doc__": doc})


FloatTensor = _make("FloatTensor", np.float32)
DoubleTensor = _make("DoubleTensor", np.float64)
HalfTensor = _make("HalfTensor", np.float16)
LongTensor = _make("LongTensor", np.int64)
IntTensor = _make("IntTensor", np.int32)
ShortTensor = _make("ShortTensor", np.int16)
CharTensor = _make("CharTensor", np.int8)
ByteTensor = _make("ByteTensor", np.uint8)
BoolTensor = _make("BoolTensor", np.bool_)
