"""Pooling layers: Numba kernels on channels-last memory, one graph node each.

`MaxPool2d` / `AvgPool2d` output sizes follow PyTorch: floor((H + 2p - d(k-1) - 1) / s) + 1,
or ceil with ceil_mode=True where the last window must still start inside the input or left
padding. Padding is -inf for max pooling; for average pooling it counts in the divisor when
count_include_pad=True (default). `AdaptiveAvgPool2d` / `AdaptiveMaxPool2d` use PyTorch's
windows: output i covers [floor(i * H / OH), ceil((i + 1) * H / OH)).
"""

from __future__ import annotations

import numpy as np

from ..jit import serial_twin
from ..tensor import Tensor
from ._layout import channels_last, float_data, pair
from .module import Module
from .pool_kernels import (
    _adaptive_avg_pool_backward,
    _adaptive_avg_pool_forward,
    _adaptive_max_pool_forward,
    _avg_pool_backward,
    _avg_pool_forward,
    _max_pool_backward,
    _max_pool_backward_dilated,
    _max_pool_backward_tiled,
    _max_pool_forward,
    _max_pool_forward_dilated,
)

# Below this many input elements max pooling runs on the calling thread: Numba's parallel
# launch costs more than it saves there (measured on 2 cores: 50 vs 71 us at 100k).
_PARALLEL_MIN = 1 << 17
_max_pool_forward_serial = serial_twin(_max_pool_forward)
_max_pool_forward_dilated_serial = serial_twin(_max_pool_forward_dilated)
_max_pool_backward_serial = serial_twin(_max_pool_backward)
_max_pool_backward_tiled_serial = serial_twin(_max_pool_backward_tiled)
# The one-pass backward for tiling windows vectorises over channels; with fewer channels
# its short inner loop is slower than zero-then-scatter (measured: 2-5x faster from 16
# channels, 2.8x slower at 6).
_TILED_MIN_CHANNELS = 16


def _pool_pair(value, name: str, who: str) -> tuple[int, int]:
    """`pair`, plus PyTorch's one-element sequence meaning the same value for both axes."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return pair(value, name, who)


def _pool_output_size(size, kernel, stride, pad, dilation, ceil_mode: bool) -> int:
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1  # the last window would start in the right padding
    return out


def _check_rank(x, who: str) -> None:
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{who}: expected input of shape (N, C, H, W) or (C, H, W), got {tuple(x.shape)}"
        )


def _pool_geometry(x: np.ndarray, kernel_size, stride, padding, dilation, ceil_mode, who: str):
    """(kh, kw, sh, sw, ph, pw, dh, dw) and the output size, checked as PyTorch checks them."""
    kh, kw = _pool_pair(kernel_size, "kernel_size", who)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    sh, sw = (kh, kw) if no_stride else _pool_pair(stride, "stride", who)
    ph, pw = _pool_pair(padding, "padding", who)
    dh, dw = _pool_pair(dilation, "dilation", who)
    if min(kh, kw, sh, sw, dh, dw) < 1 or min(ph, pw) < 0:
        raise ValueError(
            f"{who}: kernel_size, stride and dilation must be >= 1 and padding >= 0, got "
            f"kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}"
        )
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(
            f"{who}: padding should be at most half of the kernel size, got padding="
            f"{(ph, pw)} for kernel_size={(kh, kw)}"
        )
    _check_rank(x, who)
    if 0 in x.shape[-3:]:
        raise ValueError(f"{who}: expected non-zero C, H and W, got input of shape {x.shape}")
    height, width = x.shape[-2:]
    out_h = _pool_output_size(height, kh, sh, ph, dh, ceil_mode)
    out_w = _pool_output_size(width, kw, sw, pw, dw, ceil_mode)
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"{who}: input of spatial size {height}x{width} is too small for kernel "
            f"{kh}x{kw} with padding {ph},{pw} and dilation {dh},{dw}"
        )
    return (kh, kw, sh, sw, ph, pw, dh, dw), (out_h, out_w)


def _pool_node(input: Tensor, shape, out: np.ndarray, unbatched: bool, input_gradient) -> Tensor:
    """The graph node of a pooling whose kernel wrote `out` (N, OH, OW, C) from input of
    NCHW `shape`: the output is NCHW-shaped (a transposed view), and backward lets
    `input_gradient(g_nhwc, dx)` write dx (N, H, W, C) from the channels-last output
    gradient. Both drop the batch axis again for unbatched input."""
    n, channels, height, width = shape
    result = out.transpose(0, 3, 1, 2)

    def backward(g: np.ndarray):
        dx = np.empty((n, height, width, channels), dtype=out.dtype)
        input_gradient(channels_last(g[None] if unbatched else g), dx)
        gx = dx.transpose(0, 3, 1, 2)
        return (gx[0] if unbatched else gx,)

    return Tensor.make(result[0] if unbatched else result, (input,), backward)


def _indices_tensor(argmax: np.ndarray, unbatched: bool) -> Tensor:
    """PyTorch's int64 (N, C, OH, OW) indices from the kernels' NHWC argmax."""
    indices = argmax.transpose(0, 3, 1, 2).astype(np.int64, order="C")
    return Tensor(indices[0] if unbatched else indices)


def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over kernel_size windows (taps `dilation` apart) of (N, C, H, W) or (C, H, W)
    input; stride defaults to kernel_size. NaN propagates. With return_indices, also the
    int64 flat index ih * W + iw of each winner in its input plane, as PyTorch."""
    x = float_data(input, "max_pool2d")
    geometry, (out_h, out_w) = _pool_geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d"
    )
    unbatched = x.ndim == 3
    x4 = x[None] if unbatched else x
    n, channels, height, width = x4.shape
    x_nhwc = channels_last(x4)
    out = np.empty((n, out_h, out_w, channels), dtype=x.dtype)
    argmax = np.empty((n, out_h, out_w, channels), dtype=np.int32)
    parallel = x_nhwc.size >= _PARALLEL_MIN
    if geometry[6:] == (1, 1):
        (_max_pool_forward if parallel else _max_pool_forward_serial)(
            x_nhwc, out, argmax, *geometry[:6]
        )
    else:
        dilated = _max_pool_forward_dilated if parallel else _max_pool_forward_dilated_serial
        dilated(x_nhwc, out, argmax, *geometry)

    def input_gradient(g_nhwc: np.ndarray, dx: np.ndarray) -> None:
        kh, kw, sh, sw, ph, pw, dh, dw = geometry
        # the one-pass kernel writes every covered pixel, so no window may run past the
        # input (ceil_mode can add a partial last window: writing it corrupted the heap)
        tiles = (kh, kw) == (sh, sw) and ph == pw == 0 and dh == dw == 1
        tiles = tiles and out_h * kh <= height and out_w * kw <= width
        if tiles and channels >= _TILED_MIN_CHANNELS:
            tiled = _max_pool_backward_tiled if parallel else _max_pool_backward_tiled_serial
            tiled(g_nhwc, argmax, dx, kh, kw)
        elif (dh, dw) == (1, 1):
            (_max_pool_backward if parallel else _max_pool_backward_serial)(g_nhwc, argmax, dx)
        else:
            _max_pool_backward_dilated(g_nhwc, argmax, dx, *geometry)

    output = _pool_node(input, x4.shape, out, unbatched, input_gradient)
    return (output, _indices_tensor(argmax, unbatched)) if return_indices else output


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
        x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d"
    )
    geometry = geometry[:6]  # no dilation
    kh, kw, sh, sw, ph, pw = geometry
    unbatched = x.ndim == 3
    x4 = x[None] if unbatched else x
    n, channels, height, width = x4.shape
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must be non-zero, got 0")
        divisors = np.full((out_h, out_w), float(divisor_override))
    else:
        rows = _avg_divisors(out_h, height, kh, sh, ph, count_include_pad)
        cols = _avg_divisors(out_w, width, kw, sw, pw, count_include_pad)
        divisors = np.outer(rows, cols)
    out = np.empty((n, out_h, out_w, channels), dtype=x.dtype)
    _avg_pool_forward(channels_last(x4), out, divisors, *geometry)
    return _pool_node(
        input, x4.shape, out, unbatched,
        lambda g_nhwc, dx: _avg_pool_backward(g_nhwc, dx, divisors, *geometry),
    )  # fmt: skip


def _adaptive_size(output_size, shape: tuple[int, ...], who: str) -> tuple[int, int]:
    """output_size as (OH, OW): an int, or a pair whose None entries keep the input's size."""
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        sizes = [output_size, output_size]
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        sizes = [shape[-2 + i] if v is None else v for i, v in enumerate(output_size)]
    else:
        raise TypeError(
            f"{who}: output_size must be an int or a pair of ints or None, got {output_size!r}"
        )
    for v in sizes:
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{who}: output_size entries must be ints >= 0, got {output_size!r}")
    return int(sizes[0]), int(sizes[1])


def _adaptive_windows(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows along one axis: [floor(i*H/OH), ceil((i+1)*H/OH))."""
    i = np.arange(size_out, dtype=np.int64)
    return i * size_in // size_out, -(-(i + 1) * size_in // size_out)


def _adaptive_setup(input: Tensor, output_size, who: str, nonzero: int):
    """PyTorch refuses empty H and W, and for max pooling (nonzero=3) an empty C."""
    x = float_data(input, who)
    _check_rank(x, who)
    if 0 in x.shape[-nonzero:]:
        axes = "C, H and W" if nonzero == 3 else "H and W"
        raise ValueError(f"{who}: expected non-zero {axes}, got input of shape {x.shape}")
    out_h, out_w = _adaptive_size(output_size, x.shape, who)
    unbatched = x.ndim == 3
    x4 = x[None] if unbatched else x
    windows = (*_adaptive_windows(x4.shape[2], out_h), *_adaptive_windows(x4.shape[3], out_w))
    return x4, unbatched, (out_h, out_w), windows


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over PyTorch's adaptive windows of (N, C, H, W) or (C, H, W) input, giving
    output_size (int, or pair with None keeping the input's size)."""
    x4, unbatched, (out_h, out_w), windows = _adaptive_setup(
        input, output_size, "adaptive_avg_pool2d", nonzero=2
    )
    n, channels = x4.shape[:2]
    out = np.empty((n, out_h, out_w, channels), dtype=x4.dtype)
    _adaptive_avg_pool_forward(channels_last(x4), out, *windows)
    return _pool_node(
        input, x4.shape, out, unbatched,
        lambda g_nhwc, dx: _adaptive_avg_pool_backward(g_nhwc, dx, *windows),
    )  # fmt: skip


def adaptive_max_pool2d(
    input: Tensor, output_size, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over PyTorch's adaptive windows (NaN propagates, ties go to the first); with
    return_indices, also the int64 flat index ih * W + iw of each winner."""
    x4, unbatched, (out_h, out_w), windows = _adaptive_setup(
        input, output_size, "adaptive_max_pool2d", nonzero=3
    )
    n, channels = x4.shape[:2]
    out = np.empty((n, out_h, out_w, channels), dtype=x4.dtype)
    argmax = np.empty((n, out_h, out_w, channels), dtype=np.int32)
    _adaptive_max_pool_forward(channels_last(x4), out, argmax, *windows)
    output = _pool_node(
        input, x4.shape, out, unbatched,
        lambda g_nhwc, dx: _max_pool_backward(g_nhwc, argmax, dx),
    )  # fmt: skip
    return (output, _indices_tensor(argmax, unbatched)) if return_indices else output


class MaxPoolLayer(Module):
    """What MaxPool1d, MaxPool2d and MaxPool3d share: the arguments kept as given, as PyTorch
    keeps them (stride defaults to kernel_size), each checked by the subclass's `_check_size`."""

    _check_size = staticmethod(_pool_pair)

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
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode
        for name in ("kernel_size", "stride", "padding", "dilation"):
            self._check_size(getattr(self, name), name, type(self).__name__)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(MaxPoolLayer):
    """Max pooling as torch.nn.MaxPool2d; stride defaults to kernel_size. With
    return_indices=True, forward returns (output, int64 indices)."""

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        _check_rank(x, "MaxPool2d")
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)  # fmt: skip


class AvgPoolLayer(Module):
    """What AvgPool2d and AvgPool3d share: the arguments kept as given, as PyTorch keeps them
    (stride defaults to kernel_size), each checked by the subclass's `_check_size`."""

    _check_size = staticmethod(_pool_pair)

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
        for name in ("kernel_size", "stride", "padding"):
            self._check_size(getattr(self, name), name, type(self).__name__)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(AvgPoolLayer):
    """Average pooling as torch.nn.AvgPool2d; stride defaults to kernel_size."""

    def forward(self, x: Tensor) -> Tensor:
        _check_rank(x, "AvgPool2d")
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)  # fmt: skip


class AdaptiveAvgPool2d(Module):
    """Adaptive average pooling as torch.nn.AdaptiveAvgPool2d: output i of an axis averages
    input [floor(i * H / OH), ceil((i + 1) * H / OH)); None in output_size keeps that size."""

    def __init__(self, output_size) -> None:
        super().__init__()
        _adaptive_size(output_size, (1, 1), "AdaptiveAvgPool2d")
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        _check_rank(x, "AdaptiveAvgPool2d")
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Adaptive max pooling as torch.nn.AdaptiveMaxPool2d (windows of AdaptiveAvgPool2d); with
    return_indices=True, forward returns (output, int64 indices)."""

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        _adaptive_size(output_size, (1, 1), "AdaptiveMaxPool2d")
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        _check_rank(x, "AdaptiveMaxPool2d")
        return adaptive_max_pool2d(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
