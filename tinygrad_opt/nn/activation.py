"""Activations (ReLU, LeakyReLU, GELU, Tanh, Sigmoid, SiLU, Softmax, LogSoftmax, ELU, SELU,
CELU, Softplus, Hardtanh, ReLU6, Mish, LogSigmoid, Softsign, Hardswish, Hardsigmoid,
Tanhshrink), each one graph node whose backward reuses the saved output where the rule allows.

Kinks take PyTorch's one-sided derivatives (listed in each docstring), so gradients at 0 or at
a clamp boundary match torch's.

Elementwise results keep the input's memory order (numpy's default for ufuncs), so the
channels-last output of a convolution stays channels-last through its activation.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ..jit import kernel, serial_twin
from ..tensor import Tensor
from ._layout import float_data
from .module import Module

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)


@kernel
def _gelu_erf_forward(x, out):
    for i in prange(x.size):
        out[i] = 0.5 * x[i] * (1.0 + math.erf(x[i] * _SQRT_HALF))


@kernel
def _gelu_erf_backward(x, g, out):
    for i in prange(x.size):
        v = x[i]
        cdf = 0.5 * (1.0 + math.erf(v * _SQRT_HALF))
        out[i] = g[i] * (cdf + v * math.exp(-0.5 * v * v) * _INV_SQRT_2PI)


@kernel
def _relu_forward(x, out):
    for i in prange(x.size):
        v = x[i]
        out[i] = 0.0 if v < 0 else v  # NaN passes through, as torch.relu


@kernel
def _relu_backward(out, g, gx):
    for i in prange(out.size):
        gx[i] = 0.0 if out[i] <= 0 else g[i]


_relu_forward_serial = serial_twin(_relu_forward)
_relu_backward_serial = serial_twin(_relu_backward)
# ReLU is memory-bound: one thread was faster than Numba's parallel launch up to 1.6M
# elements on the 2-core reference machine (e.g. 10 us vs 47 us at 100k).
_RELU_PARALLEL_MIN = 1 << 21


def _flat_views(*arrays: np.ndarray) -> list[np.ndarray] | None:
    """1-D views of arrays that share one memory layout (any axis order), else None."""
    first = arrays[0]
    if any(a.strides != first.strides or a.dtype != first.dtype for a in arrays):
        return None
    flats = [a.ravel(order="K") for a in arrays]
    # ravel copies (into an array that owns its data) unless the memory is one block
    if any(f.base is None for f in flats):
        return None
    return flats


def _relu_into(x: np.ndarray, out: np.ndarray) -> None:
    """out = max(x, 0) (NaN stays) on the arrays' own memory order; `out` may be `x`."""
    flats = _flat_views(x, out)
    if flats is not None and x.size:
        (_relu_forward if x.size >= _RELU_PARALLEL_MIN else _relu_forward_serial)(*flats)
    else:
        np.maximum(x, 0, out=out)


def relu_in_place(out: np.ndarray) -> None:
    """out = max(out, 0) in place. For a layer that applies a following ReLU to its own
    fresh output (`Module._takes_relu`); elementwise, so reading and writing one array is
    safe."""
    _relu_into(out, out)


def relu_grad(out: np.ndarray, g: np.ndarray) -> np.ndarray:
    """ReLU's backward from its output: g where out > 0, else 0."""
    gx = np.empty_like(out)
    flats = _flat_views(out, g, gx)
    if flats is not None and out.size:
        (_relu_backward if out.size >= _RELU_PARALLEL_MIN else _relu_backward_serial)(*flats)
        return gx
    return g * (out > 0)


def behind_relu(out: np.ndarray, backward):
    """The backward of an op whose output `out` had ReLU applied in place: ReLU's backward,
    then the op's."""

    def relu_then_backward(g: np.ndarray):
        return backward(relu_grad(out, g))

    return relu_then_backward


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); gradient 0 at x = 0, as PyTorch. A Numba kernel runs on the arrays' own
    memory order (e.g. channels-last conv output), with a numpy fallback for other layouts.
    `inplace` is accepted and ignored (the result is always a new tensor)."""
    x = float_data(input, "relu")
    out = np.empty_like(x)
    _relu_into(x, out)

    def backward(g):
        return (relu_grad(out, g),)

    return Tensor.make(out, (input,), backward)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x (`inplace` accepted and ignored)."""
    x = float_data(input, "leaky_relu")
    positive = x > 0
    out = np.where(positive, x, x * x.dtype.type(negative_slope))

    def backward(g):
        return (np.where(positive, g, g * g.dtype.type(negative_slope)),)

    return Tensor.make(out, (input,), backward)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Hendrycks & Gimpel, 2016); approximate='tanh' uses the tanh formula."""
    x = float_data(input, "gelu")
    if approximate == "none":
        flat = np.ascontiguousarray(x).ravel()
        out_flat = np.empty_like(flat)
        _gelu_erf_forward(flat, out_flat)

        def backward(g):
            grad = np.empty_like(flat)
            _gelu_erf_backward(flat, np.ascontiguousarray(g, dtype=flat.dtype).ravel(), grad)
            return (grad.reshape(x.shape),)

        return Tensor.make(out_flat.reshape(x.shape), (input,), backward)
    if approximate != "tanh":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    c = x.dtype.type(_TANH_C)
    k = x.dtype.type(0.044715)
    t = np.tanh(c * (x + k * x**3))
    out = 0.5 * x * (1 + t)

    def backward_tanh(g):
        return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * k * x * x)),)

    return Tensor.make(out, (input,), backward_tanh)


def tanh(input: Tensor) -> Tensor:
    out = np.tanh(float_data(input, "tanh"))

    def backward(g):
        return (g * (1 - out * out),)

    return Tensor.make(out, (input,), backward)


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a non-positive number never overflows; both branches keep full relative precision.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(input: Tensor) -> Tensor:
    out = _stable_sigmoid(float_data(input, "sigmoid"))

    def backward(g):
        return (g * out * (1 - out),)

    return Tensor.make(out, (input,), backward)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish; `inplace` accepted and ignored)."""
    x = float_data(input, "silu")
    s = _stable_sigmoid(x)

    def backward(g):
        return (g * s * (1 + x * (1 - s)),)

    return Tensor.make(x * s, (input,), backward)


def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """exp(x - max) / sum(exp(x - max)) along dim; dim=None picks PyTorch's legacy axis."""
    x = float_data(input, "softmax")
    if dim is None:
        dim = _legacy_softmax_dim(x.ndim)
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    out = e / e.sum(axis=dim, keepdims=True)

    def backward(g):
        return (out * (g - (g * out).sum(axis=dim, keepdims=True)),)

    return Tensor.make(out, (input,), backward)


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """x - max - log(sum(exp(x - max))) along dim; stable for any finite logits. dim=None
    picks PyTorch's legacy axis."""
    x = float_data(input, "log_softmax")
    if dim is None:
        dim = _legacy_softmax_dim(x.ndim)
    shifted = x - x.max(axis=dim, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=dim, keepdims=True),)

    return Tensor.make(out, (input,), backward)


def _legacy_softmax_dim(ndim: int) -> int:
    # PyTorch's choice when Softmax(dim=None): 0 for 0-, 1- and 3-D input, else 1.
    return 0 if ndim in (0, 1, 3) else 1


class ReLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return relu(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return tanh(x)


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return sigmoid(x)


class SiLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return silu(x)


class Softmax(Module):
    """Softmax along `dim`; dim=None picks PyTorch's legacy axis (0 for 0/1/3-D input, else 1)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


# ----------------------------------------------------------------------------- more activations
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _scalar(x: np.ndarray, value: float):
    # a numpy scalar of x's dtype, so float32 input stays float32
    return x.dtype.type(value)


def _elu_node(input: Tensor, who: str, alpha: float, scale: float, input_scale: float) -> Tensor:
    """scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1)), PyTorch's shared ELU
    kernel; the gradient at x = 0 takes the x <= 0 branch, as torch's."""
    x = float_data(input, who)
    a, s, k = _scalar(x, alpha), _scalar(x, scale), _scalar(x, input_scale)
    positive = x > 0
    # expm1 keeps relative precision for small |x|; the minimum keeps exp from overflowing
    # on the positive side, which np.where would evaluate and discard
    e = np.exp(np.minimum(x, 0) * k)
    out = np.where(positive, x * s, np.expm1(np.minimum(x, 0) * k) * (a * s))

    def backward(g):
        return (np.where(positive, g * s, g * e * (a * s * k)),)

    return Tensor.make(out, (input,), backward)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha (exp(x) - 1) (Clevert et al., 2015); d/dx at 0 is alpha, as
    torch. `inplace` accepted and ignored."""
    return _elu_node(input, "elu", alpha, 1.0, 1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with alpha = 1.6733, scale = 1.0507 (Klambauer et al., 2017)."""
    return _elu_node(input, "selu", _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (Barron, 2017); alpha must be nonzero."""
    if alpha == 0:
        raise ValueError("celu: alpha must be nonzero (it divides x), got 0")
    return _elu_node(input, "celu", alpha, 1.0, 1.0 / alpha)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold; gradient
    sigmoid(beta x) (1 there). Computed as (max(bx, 0) + log1p(exp(-|bx|))) / beta, so a
    threshold above float range stays finite where torch's exp overflows to inf."""
    x = float_data(input, "softplus")
    b = _scalar(x, beta)
    bx = x * b
    linear = bx > threshold
    out = np.where(linear, x, (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / b)

    def backward(g):
        return (np.where(linear, g, g * _stable_sigmoid(bx)),)

    backward.beta = float(b)  # for create_graph's rule (higher_order_rules.py), exact
    return Tensor.make(out, (input,), backward)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """clamp(x, min_val, max_val); gradient 0 at and beyond the bounds, as torch."""
    x = float_data(input, "hardtanh")
    if not min_val <= max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    lo, hi = _scalar(x, min_val), _scalar(x, max_val)
    inside = (x > lo) & (x < hi)
    # clip keeps NaN, as torch.clamp
    out = np.clip(x, lo, hi)

    def backward(g):
        return (g * inside,)

    return Tensor.make(out, (input,), backward)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6); gradient 0 at x = 0 and x = 6, as torch."""
    return hardtanh(input, 0.0, 6.0)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x)) (Misra, 2019); d/dx = t + x sigmoid(x) (1 - t^2), t = tanh(sp(x))."""
    x = float_data(input, "mish")
    t = np.tanh(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))

    def backward(g):
        return (g * (t + x * _stable_sigmoid(x) * (1 - t * t)),)

    return Tensor.make(x * t, (input,), backward)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), finite for any finite x; gradient
    sigmoid(-x)."""
    x = float_data(input, "logsigmoid")
    out = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    def backward(g):
        return (g * _stable_sigmoid(-x),)

    return Tensor.make(out, (input,), backward)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|); gradient 1 / (1 + |x|)^2."""
    x = float_data(input, "softsign")
    d = 1 + np.abs(x)

    def backward(g):
        return (g / (d * d),)

    return Tensor.make(x / d, (input,), backward)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6 (Howard et al., 2019); d/dx is 0 up to -3, x / 3 + 1/2 on
    (-3, 3), 1 from 3 on (so 0 at -3 and 1 at 3, as torch)."""
    x = float_data(input, "hardswish")
    out = x * np.clip(x + 3, 0, 6) / 6

    def backward(g):
        slope = np.where(x <= -3, 0, np.where(x < 3, x / 3 + _scalar(x, 0.5), 1))
        return (g * slope.astype(x.dtype, copy=False),)

    return Tensor.make(out.astype(x.dtype, copy=False), (input,), backward)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6; gradient 1/6 strictly inside (-3, 3), else 0, as torch."""
    x = float_data(input, "hardsigmoid")
    inside = (x > -3) & (x < 3)

    def backward(g):
        return (g * inside / _scalar(x, 6.0),)

    return Tensor.make(np.clip(x + 3, 0, 6) / _scalar(x, 6.0), (input,), backward)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x); gradient tanh(x)^2."""
    x = float_data(input, "tanhshrink")
    t = np.tanh(x)

    def backward(g):
        return (g * t * t,)

    return Tensor.make(x - t, (input,), backward)


def _inplace_repr(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class ELU(Module):
    """ELU(alpha=1.0, inplace=False) as torch.nn.ELU (`inplace` accepted and ignored)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return selu(x)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class CELU(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if alpha == 0:
            raise ValueError("CELU: alpha must be nonzero (it divides x), got 0")
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return celu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Tensor) -> Tensor:
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """Hardtanh(min_val=-1.0, max_val=1.0); max_val must exceed min_val (ValueError, where
    torch raises AssertionError)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if not max_val > min_val:
            raise ValueError(
                f"{type(self).__name__}: max_val ({max_val}) must be greater than min_val "
                f"({min_val})"
            )
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else ""
        )


class ReLU6(Hardtanh):
    """min(max(x, 0), 6), a Hardtanh(0, 6) as in torch."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Mish(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return mish(x)


class LogSigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return logsigmoid(x)


class Softsign(Module):
    def forward(self, x: Tensor) -> Tensor:
        return softsign(x)


class Hardswish(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return hardswish(x)


class Hardsigmoid(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return hardsigmoid(x)


class Tanhshrink(Module):
    def forward(self, x: Tensor) -> Tensor:
        return tanhshrink(x)
