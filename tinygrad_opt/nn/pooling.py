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
from ._layout import channels_last, float_data
from .module import Module
from .pool_geometry import (
    adaptive_output_size,
    check_nonempty,
    check_rank,
    pool_geometry,
    pool_sizes,
)
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


def _pool_node(input: Tensor, shape, out: np.ndarray, unbatched: bool, input_gradient) -> Tensor:
    """The graph node of a pooling whose kernel wrote `out` (N, OH, OW, C) from input of
    NCHW `shape`: the output is NCHW-shaped (a transposed view), and backward lets
    `input_gradient(g_nhwc, dx)` write dx (N, H, W, C) from the channels-last output
    gradient. Both drop the batch axis again for unbatched input. (higher_order_rules.py
    reads backward's n, channels, height and width.)"""
    n, channels, height, width = shape
    result = out.transpose(0, 3, 1, 2)

    def backward(g: np.ndarray):
        dx = np.empty((n, height, width, channels), dtype=out.dtype)
        input_gradient(channels_last(g[None] if unbatched else g), dx)
        gx = dx.transpose(0, 3, 1, 2)
        return (gx[0] if unbatched else gx,)

    return Tensor.make(result[0] if unbatched else result, (input,), backward)


def _indices_tensor(argmax: np.ndarray, unbatched: bool) -> Tensor:
    """PyTorch's int64 (N, C, *spatial_out) indices from the kernels' channels-last argmax."""
    indices = argmax.transpose(0, argmax.ndim - 1, *range(1, argmax.ndim - 1))
    indices = indices.astype(np.int64, order="C")
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
    (kernel, steps, pads, dilations), (out_h, out_w) = pool_geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d"
    )
    geometry = (*kernel, *steps, *pads, *dilations)  # (kh, kw, sh, sw, ph, pw, dh, dw)
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
    (kernel, steps, pads, _), (out_h, out_w) = pool_geometry(
        x, kernel_size, stride, padding, 1, ceil_mode, 2, "avg_pool2d"
    )
    geometry = (*kernel, *steps, *pads)  # (kh, kw, sh, sw, ph, pw): no dilation
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


def _adaptive_windows(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows along one axis: [floor(i*H/OH), ceil((i+1)*H/OH))."""
    i = np.arange(size_out, dtype=np.int64)
    return i * size_in // size_out, -(-(i + 1) * size_in // size_out)


def _adaptive_setup(input: Tensor, output_size, dims: int, who: str, channels: bool):
    """The batched input, output size and per-axis windows (first, stop, first, stop, ...) of a
    2-D or 3-D adaptive pooling; PyTorch refuses empty spatial axes, and for max pooling
    (channels=True) an empty C."""
    x = float_data(input, who)
    check_rank(x, dims, who)
    check_nonempty(x, dims, who, channels)
    out_size = adaptive_output_size(output_size, x.shape[-dims:], who)
    unbatched = x.ndim == dims + 1
    xb = x[None] if unbatched else x
    windows = []
    for size_in, size_out in zip(xb.shape[2:], out_size):
        windows.extend(_adaptive_windows(size_in, size_out))
    return xb, unbatched, out_size, windows


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over PyTorch's adaptive windows of (N, C, H, W) or (C, H, W) input, giving
    output_size (int, or pair with None keeping the input's size)."""
    x4, unbatched, (out_h, out_w), windows = _adaptive_setup(
        input, output_size, 2, "adaptive_avg_pool2d", channels=False
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
        input, output_size, 2, "adaptive_max_pool2d", channels=True
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


class WindowPoolLayer(Module):
    """What the max and average pooling layers share: kernel_size, stride (default kernel_size),
    padding and any further sizes kept as given, as PyTorch keeps them, each checked for the
    subclass's `_dims` spatial axes."""

    _dims = 2

    def __init__(self, kernel_size, stride, padding, **more_sizes) -> None:
        super().__init__()
        sizes = {"kernel_size": kernel_size, "stride": kernel_size if stride is None else stride,
                 "padding": padding, **more_sizes}  # fmt: skip
        for name, value in sizes.items():
            pool_sizes(value, self._dims, name, type(self).__name__)
            setattr(self, name, value)


class MaxPoolLayer(WindowPoolLayer):
    """What MaxPool1d, MaxPool2d and MaxPool3d share: forward checks the input's rank under the
    layer's name, then runs the subclass's functional form `_functional`."""

    _functional = staticmethod(max_pool2d)

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__(kernel_size, stride, padding, dilation=dilation)
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        check_rank(x, self._dims, type(self).__name__)
        return self._functional(x, self.kernel_size, self.stride, self.padding, self.dilation,
                                self.ceil_mode, self.return_indices)  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(MaxPoolLayer):
    """Max pooling as torch.nn.MaxPool2d; stride defaults to kernel_size. With
    return_indices=True, forward returns (output, int64 indices)."""


class AvgPoolLayer(WindowPoolLayer):
    """What AvgPool2d and AvgPool3d share: forward checks the input's rank under the layer's
    name, then runs the subclass's functional form `_functional`."""

    _functional = staticmethod(avg_pool2d)

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        check_rank(x, self._dims, type(self).__name__)
        return self._functional(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                self.count_include_pad, self.divisor_override)  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(AvgPoolLayer):
    """Average pooling as torch.nn.AvgPool2d; stride defaults to kernel_size."""


class AdaptivePoolLayer(Module):
    """What the 2-D and 3-D adaptive poolings share: output_size kept as given, checked for the
    subclass's `_dims` axes; forward checks the input's rank under the layer's name, then runs
    the subclass's `_functional`."""

    _dims = 2
    _functional = staticmethod(adaptive_avg_pool2d)

    def __init__(self, output_size) -> None:
        super().__init__()
        adaptive_output_size(output_size, (1,) * self._dims, type(self).__name__)
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        check_rank(x, self._dims, type(self).__name__)
        return self._functional(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPoolLayer(AdaptivePoolLayer):
    """AdaptivePoolLayer with return_indices, for AdaptiveMaxPool2d and AdaptiveMaxPool3d."""

    _functional = staticmethod(adaptive_max_pool2d)

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        check_rank(x, self._dims, type(self).__name__)
        return self._functional(x, self.output_size, self.return_indices)


class AdaptiveAvgPool2d(AdaptivePoolLayer):
    """Adaptive average pooling as torch.nn.AdaptiveAvgPool2d: output i of an axis averages
    input [floor(i * H / OH), ceil((i + 1) * H / OH)); None in output_size keeps that size."""


class AdaptiveMaxPool2d(AdaptiveMaxPoolLayer):
    """Adaptive max pooling as torch.nn.AdaptiveMaxPool2d (windows of AdaptiveAvgPool2d); with
    return_indices=True, forward returns (output, int64 indices)."""
