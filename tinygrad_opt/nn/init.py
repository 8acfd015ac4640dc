"""Weight initialisation in place, with PyTorch's formulas and argument names (`torch.nn.init`).

Every function fills `tensor.data` in place (so optimizer views stay valid), draws from
`tinygrad_opt.random.generator()` (seeded by `manual_seed`) and returns the tensor.
fan_in = size(1) * receptive field, fan_out = size(0) * receptive field, where the
receptive field is the product of the dimensions after the first two.
"""

from __future__ import annotations

import math

import numpy as np

from ..random import generator
from ..tensor import Tensor

_LINEAR_LIKE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def _array(tensor) -> np.ndarray:
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise TypeError(
            f"nn.init: expected a floating-point Tensor or numpy array, got {type(tensor).__name__}"
        )
    return array


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table)."""
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(array: np.ndarray) -> tuple[int, int]:
    if array.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions, got shape {array.shape}"
        )
    receptive = int(np.prod(array.shape[2:])) if array.ndim > 2 else 1
    return array.shape[1] * receptive, array.shape[0] * receptive


def _fan(array: np.ndarray, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(array)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values: np.ndarray):
    np.copyto(_array(tensor), values, casting="unsafe")
    return tensor


def uniform_(tensor, a: float = 0.0, b: float = 1.0):
    """Fill with U(a, b)."""
    array = _array(tensor)
    if not a <= b:
        raise ValueError(f"uniform_: expects a <= b (a [a, b) range), got a={a}, b={b}")
    return _fill(tensor, generator().uniform(a, b, size=array.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0):
    """Fill with N(mean, std^2)."""
    array = _array(tensor)
    if not std >= 0:
        raise ValueError(f"normal_: expects std >= 0, got std={std}")
    return _fill(tensor, generator().normal(mean, std, size=array.shape))


def constant_(tensor, val: float):
    _array(tensor)[...] = val
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain: float = 1.0):
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor))
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain: float = 1.0):
    """N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_array(tensor))
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(
    tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
):
    """U(-b, b), b = gain * sqrt(3 / fan) (He et al., 2015); gain from `nonlinearity` and `a`."""
    array = _array(tensor)
    if 0 in array.shape:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(array, mode))
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """N(0, std^2), std = gain / sqrt(fan) (He et al., 2015)."""
    array = _array(tensor)
    if 0 in array.shape:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(array, mode))
    return normal_(tensor, 0.0, std)
