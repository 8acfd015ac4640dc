"""In-place forms of Tensor's elementwise math methods, PyTorch's names: `x.exp_()`,
`x.relu_()`, `x.sqrt_()`, `x.pow_(2)`, `x.lerp_(end, weight)`, `x.round_(decimals=1)`, ...

Each computes its out-of-place method's result and writes it into x's array through
`apply_in_place` (ops/in_place.py), so it follows the same rules: views, detach() and
optimizer buffers see the change; an op that already used x refuses to backpropagate; a
tensor or operand that requires grad is refused while grad mode is on (PyTorch records the
non-leaf case, see ops/in_place.py); the result must be storable in x's dtype
(`int_tensor.sqrt_()` raises TypeError; PyTorch raises RuntimeError).
"""

from __future__ import annotations

from ..tensor import Tensor
from .in_place import apply_in_place

# methods whose result has the input's shape (the operands of the binary ones broadcast)
UNARY = (
    "abs acos asin atan ceil cos cosh erf exp exp2 expm1 floor frac log log10 log1p log2 neg "
    "reciprocal relu round rsqrt sigmoid sign sin sinh sqrt square tan tanh trunc nan_to_num"
).split()
BINARY = (
    "pow lerp fmod remainder atan2 hypot floor_divide true_divide"
).split()


def _in_place_form(name: str):
    op = name + "_"

    def method(x: Tensor, *args, **kwargs) -> Tensor:
        compute = getattr(Tensor, name)
        operands = (*args, *kwargs.values())
        return apply_in_place(op, x, lambda: compute(x, *args, **kwargs), *operands)

    method.__name__ = op
    method.__doc__ = f"`{name}` in place: x's array gets the result; returns x."
    return method


def methods() -> dict:
    """`name_` for every method above that Tensor has and whose in-place form it lacks."""
    return {
        name + "_": _in_place_form(name)
        for name in UNARY + BINARY
        if hasattr(Tensor, name) and not hasattr(Tensor, name + "_")
    }
