"""`autograd.Variable`: PyTorch's deprecated wrapper, now just Tensor (as in torch >= 0.4)."""

from __future__ import annotations

from .tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """`Variable(data, requires_grad=False)` returns a Tensor sharing `data`'s array (a Tensor
    or anything numpy takes), as torch; every Tensor is an instance of Variable."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False) -> Tensor:
        del volatile  # torch ignores it too (it warns that it has no effect)
        if data is None:
            raise TypeError("Variable: give the data (a Tensor or an array)")
        if isinstance(data, Tensor):
            tensor = data.detach()
        else:
            tensor = Tensor(data)
        return tensor.requires_grad_(bool(requires_grad)) if requires_grad else tensor
