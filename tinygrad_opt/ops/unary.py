"""Elementwise math and activations, each forward next to its backward rule; the step
functions sign/round/floor/ceil have a zero gradient, and isnan/isfinite leave the graph.

Backward rules reuse the forward output where that is cheaper (exp, sqrt, tanh, sigmoid).
Conventions at kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, clip passes the gradient
where min <= x <= max (bounds included).
"""

from __future__ import annotations

import math

import numpy as np

from ..default_dtype import default_float
from ..tensor import Tensor
from .erf import erf


def _float_data(op: str, x: Tensor) -> np.ndarray:
    a = x.data
    if a.dtype.kind != "f":  # integer input gives the default float dtype, as torch.exp
        return a.astype(default_float())
    return a


def exp(x: Tensor) -> Tensor:
    out = np.exp(_float_data("exp", x))
    return Tensor.make(out, (x,), lambda g: (g * out,))


def log(x: Tensor) -> Tensor:
    """Natural log; -inf at 0 and NaN below, as numpy and PyTorch."""
    a = _float_data("log", x)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(a)
    return Tensor.make(out, (x,), lambda g: (g / a,))


def sqrt(x: Tensor) -> Tensor:
    a = _float_data("sqrt", x)
    with np.errstate(invalid="ignore"):
        out = np.sqrt(a)

    def backward(g):
        with np.errstate(divide="ignore"):
            return (g / (2 * out),)

    return Tensor.make(out, (x,), backward)


def abs(x: Tensor) -> Tensor:  # noqa: A001 - the method's name
    a = x.data
    return Tensor.make(np.abs(a), (x,), lambda g: (g * np.sign(a),))


def tanh(x: Tensor) -> Tensor:
    out = np.tanh(_float_data("tanh", x))
    return Tensor.make(out, (x,), lambda g: (g * (1 - out * out),))


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), computed from exp(-|x|) so it neither overflows nor loses the tails."""
    a = _float_data("sigmoid", x)
    e = np.exp(-np.abs(a))
    out = np.where(a >= 0, 1, e) / (1 + e)
    return Tensor.make(out, (x,), lambda g: (g * out * (1 - out),))


def relu(x: Tensor) -> Tensor:
    a = x.data
    out = np.maximum(a, 0)
    return Tensor.make(out, (x,), lambda g: (g * (a > 0),))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere (PyTorch's default slope 0.01)."""
    a = x.data
    positive = a > 0
    out = np.where(positive, a, a * negative_slope)
    return Tensor.make(out, (x,), lambda g: (np.where(positive, g, g * negative_slope),))


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """GELU (Hendrycks & Gimpel 2016): x * Phi(x), exact erf form by default as PyTorch;
    `approximate="tanh"` gives 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    a = _float_data("gelu", x)
    if approximate == "none":
        cdf = 0.5 * (1 + erf(a * _SQRT_HALF))
        out = a * cdf

        def backward(g):
            pdf = np.exp(-0.5 * a * a) * _INV_SQRT_2PI
            return (g * (cdf + a * pdf),)

        return Tensor.make(out, (x,), backward)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (a + 0.044715 * a**3)
        t = np.tanh(inner)
        out = 0.5 * a * (1 + t)

        def backward_tanh(g):
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return (g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner),)

        return Tensor.make(out, (x,), backward_tanh)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def clip(x: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's argument names
    """Clamp to [min, max] (either may be None, not both); the gradient passes where
    min <= x <= max, bounds included, as torch.clamp. Tensor bounds get the gradient where
    they are the result, as PyTorch (min where x < min < max; max where x > max or
    max < min). Unlike PyTorch, a floating x keeps its dtype with float64 bounds."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    a = x.data
    lo = min.data if isinstance(min, Tensor) else min
    hi = max.data if isinstance(max, Tensor) else max
    if a.dtype.kind != "f" and (isinstance(lo, float) or isinstance(hi, float)):
        a = a.astype(default_float())  # as PyTorch: a float bound makes an int tensor float
    out = a
    keep = None
    if lo is not None:
        out = np.maximum(out, lo)
        keep = a >= lo
    if hi is not None:
        out = np.minimum(out, hi)
        keep = (a <= hi) if keep is None else keep & (a <= hi)
    if a.dtype.kind == "f":  # array bounds of another dtype must not change x's dtype
        out = out.astype(a.dtype, copy=False)
    bounds = tuple(b for b in (min, max) if isinstance(b, Tensor))
    if not bounds:
        return Tensor.make(out, (x,), lambda g: (g * keep,))

    def backward(g):
        grads = [g * keep]
        if isinstance(min, Tensor):
            wins = a < lo if hi is None else (a < lo) & (lo < hi)
            grads.append(g * wins if min.requires_grad else None)
        if isinstance(max, Tensor):
            wins = a > hi if lo is None else (a > hi) | (hi < lo)
            grads.append(g * wins if max.requires_grad else None)
        return grads

    return Tensor.make(out, (x, *bounds), backward)


def square(x: Tensor) -> Tensor:
    """x * x; integer tensors stay integer and bool gives int64, as torch.square."""
    a = x.data
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    return Tensor.make(a * a, (x,), lambda g: (g * (2 * a),))


def rsqrt(x: Tensor) -> Tensor:
    """1 / sqrt(x); d/dx = -0.5 * rsqrt(x)^3 (inf at 0, NaN below, as PyTorch)."""
    a = _float_data("rsqrt", x)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1 / np.sqrt(a)
    return Tensor.make(out, (x,), lambda g: (g * (-0.5 * out * out * out),))


def reciprocal(x: Tensor) -> Tensor:
    """1 / x; d/dx = -1 / x^2; integer input gives the default float dtype, as torch."""
    a = _float_data("reciprocal", x)
    with np.errstate(divide="ignore"):
        out = 1 / a
    return Tensor.make(out, (x,), lambda g: (g * -(out * out),))


def sin(x: Tensor) -> Tensor:
    a = _float_data("sin", x)
    with np.errstate(invalid="ignore"):  # sin(+-inf) is NaN, silently as PyTorch
        out = np.sin(a)
    return Tensor.make(out, (x,), lambda g: (g * np.cos(a),))


def cos(x: Tensor) -> Tensor:
    a = _float_data("cos", x)
    with np.errstate(invalid="ignore"):
        out = np.cos(a)
    return Tensor.make(out, (x,), lambda g: (g * -np.sin(a),))


def _zero_gradient(x: Tensor, out: np.ndarray) -> Tensor:
    """A step-like op: its gradient is zero everywhere (not None), as PyTorch's."""
    shape = x.data.shape
    return Tensor.make(out, (x,), lambda g: (np.broadcast_to(np.zeros((), g.dtype), shape),))


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 in x's dtype; sign(NaN) = 0 as torch.sign (numpy gives NaN); zero gradient."""
    a = x.data
    if a.dtype.kind == "b":
        return _zero_gradient(x, a.copy())
    out = np.asarray(np.sign(a))  # np.sign of a 0-d array gives a scalar
    if a.dtype.kind == "f":
        out[np.isnan(a)] = 0
    return _zero_gradient(x, out)


def _not_bool(op: str, x: Tensor) -> np.ndarray:
    if x.data.dtype.kind == "b":
        raise TypeError(f"{op}: not defined for bool tensors (as PyTorch); convert first")
    return x.data


def round(x: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - the method's name
    """Round half to even (torch.round, np.round), to `decimals` places; integer tensors
    are returned unchanged; zero gradient."""
    a = _not_bool("round", x)
    if a.dtype.kind != "f":
        return _zero_gradient(x, a.copy())
    return _zero_gradient(x, np.round(a, decimals))


def floor(x: Tensor) -> Tensor:
    """Largest integer <= x, in x's dtype (integer tensors unchanged); zero gradient."""
    a = _not_bool("floor", x)
    return _zero_gradient(x, np.floor(a) if a.dtype.kind == "f" else a.copy())


def ceil(x: Tensor) -> Tensor:
    """Smallest integer >= x, in x's dtype (integer tensors unchanged); zero gradient."""
    a = _not_bool("ceil", x)
    return _zero_gradient(x, np.ceil(a) if a.dtype.kind == "f" else a.copy())


def nan_to_num(x: Tensor, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """NaN -> nan, +inf -> posinf, -inf -> neginf (defaults: the dtype's largest and smallest
    finite values), as torch.nan_to_num; the gradient passes where x is finite, 0 elsewhere."""
    a = x.data
    if a.dtype.kind != "f":
        return Tensor.make(a.copy(), (x,), lambda g: (g,))
    out = np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)
    return Tensor.make(out, (x,), lambda g: (g * np.isfinite(a),))


def isnan(x: Tensor) -> Tensor:
    """Bool tensor, true where x is NaN (outside the graph)."""
    return Tensor(np.isnan(x.data))


def isfinite(x: Tensor) -> Tensor:
    """Bool tensor, true where x is neither NaN nor +-inf (outside the graph)."""
    return Tensor(np.isfinite(x.data))


def isinf(x: Tensor) -> Tensor:
    """Bool tensor, true where x is +inf or -inf (outside the graph)."""
    return Tensor(np.isinf(x.data))


def isposinf(x: Tensor) -> Tensor:
    """Bool tensor, true where x is +inf (outside the graph)."""
    return Tensor(np.isposinf(x.data))


def isneginf(x: Tensor) -> Tensor:
    """Bool tensor, true where x is -inf (outside the graph)."""
    return Tensor(np.isneginf(x.data))
