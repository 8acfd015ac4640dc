"""`LPPool1d/2d/3d` and `F.lp_pool1d/2d/3d`: power-average pooling, as PyTorch.

out = (sum over the window of x ** p) ** (1 / p), computed as PyTorch does: an average
pool (no padding, PyTorch's ceil_mode windows and divisors) of x ** p, times the kernel
area, to the power 1 / p. So negative x with a non-integer p gives NaN, a partial last
window (ceil_mode) is rescaled by its own length, and where the window's sum is 0 the
gradient is 0. p = inf is the max of |x|, p = -inf its min. stride defaults to
kernel_size. Deviation: errors are ValueError/TypeError (PyTorch: RuntimeError).
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from ._layout import float_data
from .module import Module
from .pool_geometry import pool_sizes
from .pooling import avg_pool2d, max_pool2d
from .pooling1d import avg_pool1d, max_pool1d
from .pooling3d import avg_pool3d, max_pool3d

_POOLS = {1: (max_pool1d, avg_pool1d), 2: (max_pool2d, avg_pool2d), 3: (max_pool3d, avg_pool3d)}


def _check_norm_type(norm_type, who: str) -> float:
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, np.number)):
        raise TypeError(f"{who}: norm_type must be a number, got {norm_type!r}")
    if norm_type == 0:
        raise ValueError(f"{who}: norm_type must be non-zero (the root 1 / p), got 0")
    return norm_type


def _root(pooled: Tensor, area: int, norm_type: float) -> Tensor:
    """(area * pooled) ** (1 / p), with a zero gradient where pooled is 0."""
    a = pooled.data
    with np.errstate(invalid="ignore"):  # negative sums with a fractional root: NaN, as torch
        out = (area * a) ** (1.0 / norm_type)

    def backward(g: np.ndarray):
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = out / (norm_type * a)  # d/da (area a)^(1/p) = (area a)^(1/p) / (p a)
        return (g * np.where(a == 0, 0.0, slope),)

    return Tensor.make(out, (pooled,), backward)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, dims: int, who: str) -> Tensor:
    """lp_pool1d/2d/3d for `dims` spatial axes."""
    float_data(input, who)
    p = _check_norm_type(norm_type, who)
    kernel = pool_sizes(kernel_size, dims, "kernel_size", who)
    window = kernel[0] if dims == 1 else kernel  # as the 1-D poolings print it in errors
    max_pool, avg_pool = _POOLS[dims]
    if p in (math.inf, -math.inf):
        sign = 1.0 if p > 0 else -1.0
        return sign * max_pool(sign * input.abs(), window, stride, 0, 1, ceil_mode)
    return _root(avg_pool(input.pow(p), window, stride, 0, ceil_mode), math.prod(kernel), p)


def lp_pool1d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling of (N, C, L) or (C, L) input with power norm_type."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


def lp_pool2d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling of (N, C, H, W) or (C, H, W) input with power norm_type."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


def lp_pool3d(
    input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False
) -> Tensor:
    """Power-average pooling of (N, C, D, H, W) or (C, D, H, W) input with power norm_type."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, "lp_pool3d")


class _LPPoolNd(Module):
    """The arguments kept as given (stride None means kernel_size), as PyTorch keeps them."""

    _dims = 2

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        who = type(self).__name__
        self.norm_type = _check_norm_type(norm_type, who)
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode
        pool_sizes(kernel_size, self._dims, "kernel_size", who)
        if stride is not None:
            pool_sizes(stride, self._dims, "stride", who)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """LPPool1d(norm_type, kernel_size, stride=None, ceil_mode=False) as torch.nn.LPPool1d."""

    _dims = 1

    def forward(self, x: Tensor) -> Tensor:
        return lp_pool1d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """LPPool2d(norm_type, kernel_size, stride=None, ceil_mode=False) as torch.nn.LPPool2d."""

    def forward(self, x: Tensor) -> Tensor:
        return lp_pool2d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool3d(_LPPoolNd):
    """LPPool3d(norm_type, kernel_size, stride=None, ceil_mode=False) as torch.nn.LPPool3d."""

    _dims = 3

    def forward(self, x: Tensor) -> Tensor:
        return lp_pool3d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)
