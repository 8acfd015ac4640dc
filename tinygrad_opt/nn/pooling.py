"""`MaxPool2d` and `AvgPool2d`: Numba kernels on channels-last memory, one graph node each.

Output sizes follow PyTorch: floor((H + 2p - k) / s) + 1, or ceil with ceil_mode=True where
the last window must still start inside the input or left padding. Padding is -inf for max
pooling; for average pooling it counts in the divisor when count_include_pad=True (default).
"""

from __future__ import annotations

import numpy as np

from ..jit import serial_twin
from ..tensor import Tensor
from ._layout import channels_last, float_data, pair
from .conv_kernels import (
    _avg_pool_backward,
    _avg_pool_forward,
    _max_pool_backward,
    _max_pool_backward_tiled,
    _max_pool_forward,
)
from .module import Module

# Below this many input elements max pooling runs on the calling thread: Numba's parallel
# launch costs more than it saves there (measured on 2 cores: 50 vs 71 us at 100k).
_PARALLEL_MIN = 1 << 17
_max_pool_forward_serial = serial_twin(_max_pool_forward)
_max_pool_backward_serial = serial_twin(_max_pool_backward)
_max_pool_backward_tiled_serial = serial_twin(_max_pool_backward_tiled)
# The one-pass backward for tiling windows vectorises over channels; with fewer channels
# its short inner loop is slower than zero-then-scatter (measured: 2-5x faster from 16
# channels, 2.8x slower at 6).
_TILED_MIN_CHANNELS = 16


def _pool_output_size(size: int, kernel: int, stride: int, pad: int, ceil_mode: bool) -> int:
    span = size + 2 * pad - kernel
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1  # the last window would start in the right padding
    return out


def _pool_geometry(x: np.ndarray, kernel_size, stride, padding, ceil_mode, who: str):
    kh, kw = pair(kernel_size, "kernel_size", who)
    sh, sw = (kh, kw) if stride is None or stride == () else pair(stride, "stride", who)
    ph, pw = pair(padding, "padding", who)
    if min(kh, kw, sh, sw) < 1 or min(ph, pw) < 0:
        raise ValueError(
            f"{who}: kernel_size and stride must be >= 1 and padding >= 0, got "
            f"kernel_size={kernel_size}, stride={stride}, padding={padding}"
        )
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(
            f"{who}: padding should be at most half of the kernel size, got padding="
            f"{(ph, pw)} for kernel_size={(kh, kw)}"
        )
    if x.ndim not in (3, 4):
        raise ValueError(f"{who}: expected input of shape (N, C, H, W) or (C, H, W), got {x.shape}")
    height, width = x.shape[-2:]
    out_h = _pool_output_size(height, kh, sh, ph, ceil_mode)
    out_w = _pool_output_size(width, kw, sw, pw, ceil_mode)
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"{who}: input of spatial size {height}x{width} is too small for kernel "
            f"{kh}x{kw} with padding {ph},{pw}"
        )
    return (kh, kw, sh, sw, ph, pw), (out_h, out_w)


def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """Max over kernel_size windows of (N, C, H, W) or (C, H, W) input; stride defaults to
    kernel_size."""
    x = float_data(input, "max_pool2d")
    _check_unsupported(dilation, return_indices, "max_pool2d")
    geometry, (out_h, out_w) = _pool_geometry(
        x, kernel_size, stride, padding, ceil_mode, "max_pool2d"
    )
    unbatched = x.ndim == 3
    x4 = x[None] if unbatched else x
    n, channels, height, width = x4.shape
    x_nhwc = channels_last(x4)
    out = np.empty((n, out_h, out_w, channels), dtype=x.dtype)
    argmax = np.empty((n, out_h, out_w, channels), dtype=np.int32)
    parallel = x_nhwc.size >= _PARALLEL_MIN
    (_max_pool_forward if parallel else _max_pool_forward_serial)(x_nhwc, out, argmax, *geometry)
    result = out.transpose(0, 3, 1, 2)

    def backward(g: np.ndarray):
        g_nhwc = channels_last(g[None] if unbatched else g)
        dx = np.empty((n, height, width, channels), dtype=x.dtype)
        kh, kw, sh, sw, ph, pw = geometry
        if (kh, kw) == (sh, sw) and ph == pw == 0 and channels >= _TILED_MIN_CHANNELS:
            tiled = _max_pool_backward_tiled if parallel else _max_pool_backward_tiled_serial
            tiled(g_nhwc, argmax, dx, kh, kw)
        else:
            (_max_pool_backward if parallel else _max_pool_backward_serial)(g_nhwc, argmax, dx)
        gx = dx.transpose(0, 3, 1, 2)
        return (gx[0] if unbatched else gx,)

    return Tensor.make(result[0] if unbatched else result, (input,), backward)


def _check_unsupported(dilation, return_indices: bool, who: str) -> None:
    if pair(dilation, "dilation", who) != (1, 1):
        raise ValueError(f"{who}: only dilation=1 is supported, got {dilation}")
    if return_indices:
        raise ValueError(f"{who}: return_indices=True is not supported")


def _avg_divisors(size_out, size_in, kernel, stride, pad, count_include_pad) -> np.ndarray:
    """Per-output-position window length along one axis, as PyTorch counts it."""
    start = np.arange(size_out) * stride - pad
    end = np.minimum(start + kernel, size_in + pad)
    if count_include_pad:
        return (end - start).astype(np.float64)
    return (np.minimum(end, size_in) - np.maximum(start, 0)).astype(np.float64)


def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over kernel_size windows of (N, C, H, W) or (C, H, W) input, as PyTorch."""
    x = float_data(input, "avg_pool2d")
    geometry, (out_h, out_w) = _pool_geometry(
        x, kernel_size, stride, padding, ceil_mode, "avg_pool2d"
    )
    kh, kw, sh, sw, ph, pw = geometry
    unbatched = x.ndim == 3
    x4 = x[None] if unbatched else x
    n, channels, height, width = x4.shape
    if divisor_override is not None:
        if divisor_override <= 0:
            raise ValueError(f"avg_pool2d: divisor_override must be > 0, got {divisor_override}")
        divisors = np.full((out_h, out_w), float(divisor_override))
    else:
        rows = _avg_divisors(out_h, height, kh, sh, ph, count_include_pad)
        cols = _avg_divisors(out_w, width, kw, sw, pw, count_include_pad)
        divisors = np.outer(rows, cols)
    out = np.empty((n, out_h, out_w, channels), dtype=x.dtype)
    _avg_pool_forward(channels_last(x4), out, divisors, *geometry)
    result = out.transpose(0, 3, 1, 2)

    def backward(g: np.ndarray):
        g_nhwc = channels_last(g[None] if unbatched else g)
        dx = np.empty((n, height, width, channels), dtype=x.dtype)
        _avg_pool_backward(g_nhwc, dx, divisors, *geometry)
        gx = dx.transpose(0, 3, 1, 2)
        return (gx[0] if unbatched else gx,)

    return Tensor.make(result[0] if unbatched else result, (input,), backward)


class MaxPool2d(Module):
    """Max pooling as torch.nn.MaxPool2d (no dilation or return_indices); stride defaults to
    kernel_size."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        _check_unsupported(dilation, return_indices, "MaxPool2d")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        pair(kernel_size, "kernel_size", "MaxPool2d")
        pair(self.stride, "stride", "MaxPool2d")
        pair(padding, "padding", "MaxPool2d")

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4):
            raise ValueError(
                "MaxPool2d: expected input of shape (N, C, H, W) or (C, H, W), "
                f"got {tuple(x.shape)}"
            )
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, ceil_mode=self.ceil_mode)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Average pooling as torch.nn.AvgPool2d; stride defaults to kernel_size."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override
        pair(kernel_size, "kernel_size", "AvgPool2d")
        pair(self.stride, "stride", "AvgPool2d")
        pair(padding, "padding", "AvgPool2d")

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4):
            raise ValueError(
                "AvgPool2d: expected input of shape (N, C, H, W) or (C, H, W), "
                f"got {tuple(x.shape)}"
            )
        return avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
