"""Binary arithmetic `+ - * / **` and unary `-`, each forward next to its backward rule.

Every op has a tensor/tensor path (two parents; the engine sums each gradient back to its
parent's broadcast shape) and a tensor/scalar path (one parent, the scalar is a constant).
Dtype rules are in `dtypes.py`. Backward functions that need no saved data are module-level
functions, so recording such an op allocates no closure.
"""

from __future__ import annotations

import numpy as np

from ..grad_mode import GRAD_MODE
from ..tensor import Tensor, _graph_probe, mark_changed
from .dtypes import float_result, is_scalar, promote, scalar_operand


def broadcast_error(op: str, a: np.ndarray, b: np.ndarray) -> ValueError:
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot broadcast")


def operands(op: str, x: Tensor, other) -> tuple[np.ndarray, np.ndarray, Tensor]:
    """Arrays for a tensor/tensor op with matching dtypes, and `other` as a Tensor."""
    if type(other) is not Tensor:
        if not isinstance(other, Tensor):
            try:
                other = Tensor(other)
            except TypeError:
                raise TypeError(
                    f"{op}: unsupported operand of type {type(other).__name__}; expected a "
                    "Tensor, numpy array or number"
                ) from None
    a = x.data
    b = other.data
    if a.dtype is not b.dtype:
        a, b = promote(a, b)
    return a, b, other


def _pass_both(g):
    return g, g


def _pass_one(g):
    return (g,)


def _negate_one(g):
    return (-g,)


def _pass_and_negate(g):
    return g, -g


# ------------------------------------------------------------------------------ add / sub
def add(x: Tensor, other) -> Tensor:
    if is_scalar(other):
        a, s = scalar_operand(x.data, other)
        return Tensor.make(a + s, (x,), _pass_one)
    a, b, other = operands("add", x, other)
    try:
        out = a + b
    except ValueError:
        raise broadcast_error("add", a, b) from None
    return Tensor.make(out, (x, other), _pass_both)


def sub(x: Tensor, other) -> Tensor:
    if is_scalar(other):
        a, s = scalar_operand(x.data, other)
        return Tensor.make(a - s, (x,), _pass_one)
    a, b, other = operands("sub", x, other)
    try:
        out = a - b
    except ValueError:
        raise broadcast_error("sub", a, b) from None
    return Tensor.make(out, (x, other), _pass_and_negate)


def rsub(x: Tensor, other) -> Tensor:
    """`other - x`."""
    if is_scalar(other):
        a, s = scalar_operand(x.data, other)
        return Tensor.make(s - a, (x,), _negate_one)
    return sub(Tensor(other), x)


def neg(x: Tensor) -> Tensor:
    return Tensor.make(-x.data, (x,), _negate_one)


# ------------------------------------------------------------------------------ mul / div
def mul(x: Tensor, other) -> Tensor:
    if is_scalar(other):
        a, s = scalar_operand(x.data, other)
        return Tensor.make(a * s, (x,), lambda g: (g * s,))
    a, b, other = operands("mul", x, other)
    try:
        out = a * b
    except ValueError:
        raise broadcast_error("mul", a, b) from None
    need_a = x.requires_grad
    need_b = other.requires_grad

    def backward(g):
        return (g * b if need_a else None, g * a if need_b else None)

    return Tensor.make(out, (x, other), backward)


def div(x: Tensor, other) -> Tensor:
    if is_scalar(other):
        a, s = scalar_operand(x.data, other)
        out = float_result(a / s, a, s)
        return Tensor.make(out, (x,), lambda g: (g / s,))
    a, b, other = operands("div", x, other)
    try:
        out = float_result(a / b, a, b)
    except ValueError:
        raise broadcast_error("div", a, b) from None
    need_a = x.requires_grad
    need_b = other.requires_grad

    def backward(g):
        ga = g / b
        # d(a/b)/db = -a/b^2 = -(a/b)/b, reusing the forward output
        return (ga if need_a else None, -ga * out if need_b else None)

    return Tensor.make(out, (x, other), backward)


def rdiv(x: Tensor, other) -> Tensor:
    """`other / x`."""
    if is_scalar(other):
        a, s = scalar_operand(x.data, other)
        out = float_result(s / a, a, s)

        def backward(g):
            return (-g * out / a,)

        backward.scalar = s  # for create_graph's rule (higher_order_rules.py), exact
        return Tensor.make(out, (x,), backward)
    return div(Tensor(other), x)


# ------------------------------------------------------------------------------------ pow
def pow(x: Tensor, other) -> Tensor:  # noqa: A001 - the operator's name
    """`x ** other`. The exponent's gradient is out*log(x), taken as 0 where x == 0 and the
    exponent is >= 0 (as PyTorch), NaN for negative x."""
    if is_scalar(other):
        a, s = scalar_operand(x.data, other)
        out = a**s
        if s == 0:
            return Tensor.make(out, (x,), lambda g: (np.zeros_like(g),))
        return Tensor.make(out, (x,), lambda g: (g * s * a ** (s - 1),))
    a, b, other = operands("pow", x, other)
    try:
        out = a**b
    except ValueError:
        raise broadcast_error("pow", a, b) from None
    need_a = x.requires_grad
    need_b = other.requires_grad

    def backward(g):
        ga = gb = None
        if need_a:
            with np.errstate(divide="ignore", invalid="ignore"):
                ga = g * np.where(b == 0, 0, b * a ** (b - 1))
        if need_b:
            gb = g * _pow_exponent_grad(a, b, out)
        return ga, gb

    return Tensor.make(out, (x, other), backward)


def _pow_exponent_grad(a: np.ndarray, b, out: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = out * np.log(a)
    return np.where((a == 0) & (np.asarray(b) >= 0), 0, grad).astype(out.dtype, copy=False)


def rpow(x: Tensor, other) -> Tensor:
    """`other ** x` for a scalar or array base."""
    if is_scalar(other):
        a, s = scalar_operand(x.data, other)
        out = s**a
        return Tensor.make(out, (x,), lambda g: (g * _pow_exponent_grad(np.asarray(s), a, out),))
    return pow(Tensor(other), x)


# ------------------------------------------------------------------ += -= *= /= **=
def in_place(op: str, fn):
    """`x op= other` as PyTorch: the result is written into x's array (so views, detach()
    and an optimizer's buffers see it), e.g. `p -= lr * p.grad` under no_grad(). A leaf that
    requires grad is refused outside no_grad(), as PyTorch. Where the result is recorded in
    the graph, x is rebound to a new tensor instead (ops saved x's array for backward)."""

    def method(x: Tensor, other) -> Tensor:
        if x.requires_grad and x.is_leaf and GRAD_MODE.enabled:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad cannot be changed in place; "
                "do it inside no_grad() or write x = x " + op[:-1] + " y"
            )
        out = fn(x, other)
        if out.requires_grad:
            return out
        if out.data.shape != x.data.shape:
            raise ValueError(
                f"{op}: the result has shape {out.data.shape} but the tensor has shape "
                f"{x.data.shape}; in place, only the other operand may broadcast"
            )
        if not np.can_cast(out.data.dtype, x.data.dtype, casting="same_kind"):
            raise TypeError(
                f"{op}: the result's dtype {out.data.dtype} cannot be stored in place in a "
                f"{x.data.dtype} tensor"
            )
        np.copyto(x.data, out.data, casting="same_kind")
        mark_changed(x)  # an op that already used x must not backpropagate with new values
        if _graph_probe[0] is not None:  # utils.checkpoint: x now holds what the op made
            _graph_probe[0]((out,), x)
        return x

    return method
