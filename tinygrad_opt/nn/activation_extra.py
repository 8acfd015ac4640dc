"""More activations with torch.nn's names: PReLU (learnable slope), RReLU (random slope),
GLU, Threshold, Hardshrink, Softshrink, Softmin and Softmax2d, each one graph node (or a
composition of existing ones) with its backward next to its forward.

Kinks take PyTorch's one-sided derivatives, named in each docstring.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..random import generator
from ..tensor import Tensor
from ._layout import float_data
from .activation import _scalar, _stable_sigmoid, leaky_relu, softmax
from .module import Module, Parameter


def _channel_slopes(x: np.ndarray, slopes: np.ndarray, who: str) -> np.ndarray:
    """The slopes shaped to broadcast along x's channel axis (axis 1; none below 2-D)."""
    if slopes.size == 1:
        return slopes.reshape(())
    channels = x.shape[1] if x.ndim >= 2 else 1
    if slopes.ndim != 1 or slopes.size != channels:
        raise ValueError(
            f"{who}: the number of parameters ({slopes.size}) must be 1 or the input's channel "
            f"size (dimension 1), got input of shape {x.shape}"
        )
    return slopes.reshape((channels,) + (1,) * (x.ndim - 2))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight * x, one slope per channel (dimension 1) or one for all (He et
    al., 2015); d/dx at 0 is the slope, as torch."""
    x = float_data(input, "prelu")
    a = _channel_slopes(x, float_data(weight, "prelu (weight)"), "prelu")
    positive = x > 0
    out = np.where(positive, x, a * x)

    def backward(g):
        gx = np.where(positive, g, a * g) if input.requires_grad else None
        gw = None
        if weight.requires_grad:
            per_element = np.where(positive, 0, g * x)
            if a.ndim == 0:
                gw = per_element.sum().reshape(weight.data.shape)
            else:
                axes = (0,) + tuple(range(2, x.ndim))
                gw = per_element.sum(axis=axes).reshape(weight.data.shape)
        return gx, gw

    return Tensor.make(out, (input, weight), backward)


class PReLU(Module):
    """PReLU(num_parameters=1, init=0.25) as torch.nn.PReLU: a learnable `weight` of shape
    (num_parameters,), one slope for all or one per channel."""

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, *, device=None, dtype=None
    ) -> None:
        check_cpu("PReLU", device)
        super().__init__()
        count = num_parameters
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got {count!r}")
        self.num_parameters = int(count)
        self.init = init
        dtype = default_float(dtype)
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))

    def reset_parameters(self) -> None:
        self.weight.data[...] = self.init

    def forward(self, x: Tensor) -> Tensor:
        return prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


def _check_bounds(lower: float, upper: float, who: str) -> None:
    if not lower <= upper:
        raise ValueError(f"{who}: lower ({lower}) must not exceed upper ({upper})")


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU (Xu et al., 2015): in training, x <= 0 is multiplied by a slope
    drawn from U(lower, upper) per element (from tinygrad_opt's generator, so manual_seed
    repeats it); otherwise leaky_relu with slope (lower + upper) / 2. `inplace` is ignored."""
    _check_bounds(lower, upper, "rrelu")
    x = float_data(input, "rrelu")
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    slope = generator().uniform(lower, upper, size=x.shape).astype(x.dtype)
    slope[x > 0] = 1  # torch's noise: 1 on the positive side, the drawn slope at and below 0
    out = x * slope

    def backward(g):
        return (g * slope,)

    return Tensor.make(out, (input,), backward)


class RReLU(Module):
    """RReLU(lower=1/8, upper=1/3, inplace=False) as torch.nn.RReLU: a random negative slope
    per element in training, the mean slope (lower + upper) / 2 in eval."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        _check_bounds(lower, upper, "RReLU")
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return rrelu(x, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"lower={self.lower}, upper={self.upper}{inplace}"


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the first and second halves of input along dim
    (Dauphin et al., 2017); the size along dim must be even."""
    x = float_data(input, "glu")
    if x.ndim == 0:
        raise ValueError("glu: does not support 0-d input (it halves a dimension)")
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"glu: dim {dim} is out of range for input of shape {x.shape}")
    dim %= x.ndim
    size = x.shape[dim]
    if size % 2:
        raise ValueError(f"glu: halving dimension must be even, but dimension {dim} is size {size}")
    a, b = np.split(x, 2, axis=dim)
    s = _stable_sigmoid(b)

    def backward(g):
        return (np.concatenate((g * s, g * a * s * (1 - s)), axis=dim),)

    return Tensor.make(a * s, (input,), backward)


class GLU(Module):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x; gradient 0 where x <= threshold, else 1 (`inplace`
    is ignored). A NaN input stays NaN (and passes its gradient), as PyTorch."""
    x = float_data(input, "threshold")
    # `not <=` rather than `>`: NaN compares false both ways and must not become `value`
    kept = ~(x <= threshold)
    out = np.where(kept, x, _scalar(x, value))

    def backward(g):
        return (g * kept,)

    return Tensor.make(out, (input,), backward)


class Threshold(Module):
    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return threshold(x, self.threshold, self.value)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (
            ", inplace=True" if self.inplace else ""
        )


def _check_lambd(lambd: float, who: str) -> None:
    if isinstance(lambd, bool) or not isinstance(lambd, numbers.Real) or not lambd >= 0:
        raise ValueError(f"{who}: lambd must be a number >= 0, got {lambd!r}")


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0; gradient 0 on [-lambd, lambd], as torch."""
    _check_lambd(lambd, "hardshrink")
    x = float_data(input, "hardshrink")
    outside = np.abs(x) > lambd

    def backward(g):
        return (g * outside,)

    return Tensor.make(x * outside, (input,), backward)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between; gradient 0 on [-lambd,
    lambd]. lambd must be >= 0 (ValueError where torch raises RuntimeError)."""
    _check_lambd(lambd, "softshrink")
    x = float_data(input, "softshrink")
    outside = np.abs(x) > lambd
    out = (x - np.sign(x) * _scalar(x, lambd)) * outside

    def backward(g):
        return (g * outside,)

    return Tensor.make(out.astype(x.dtype, copy=False), (input,), backward)


class Hardshrink(Module):
    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        _check_lambd(lambd, "Hardshrink")
        self.lambd = lambd

    def forward(self, x: Tensor) -> Tensor:
        return hardshrink(x, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Module):
    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        _check_lambd(lambd, "Softshrink")
        self.lambd = lambd

    def forward(self, x: Tensor) -> Tensor:
        return softshrink(x, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along dim; dim=None picks PyTorch's legacy axis, as softmax. `dtype`
    casts the input first."""
    x = float_data(input, "softmin")
    if dtype is not None:
        input = input.astype(dtype)
        x = input.data
    neg = Tensor.make(-x, (input,), lambda g: (-g,))
    return softmax(neg, dim)


class Softmin(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return softmin(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at every position of (N, C, H, W) or (C, H, W) input."""

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input of shape (N, C, H, W) or (C, H, W), got {x.shape}"
            )
        return softmax(x, -3)


__all__ = [
    "PReLU", "RReLU", "GLU", "Threshold", "Hardshrink", "Softshrink", "Softmin", "Softmax2d",
    "prelu", "rrelu", "glu", "threshold", "hardshrink", "softshrink", "softmin",
]
