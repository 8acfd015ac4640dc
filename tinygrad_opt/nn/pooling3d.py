"""3-D pooling: `MaxPool3d`, `AvgPool3d`, `AdaptiveAvgPool3d`, `AdaptiveMaxPool3d` and their
functional forms, one graph node each on pool3d_kernels.py.

Sizes follow pooling.py's (PyTorch's) rules per axis: output floor((S + 2p - d(k-1) - 1) / s)
+ 1, or ceil with ceil_mode=True where the last window must still start inside the input or
left padding; padding is -inf for max pooling and counts in the average's divisor when
count_include_pad=True (default); adaptive output i covers [floor(i * S / OS),
ceil((i + 1) * S / OS)). Each pooling becomes per-axis window arrays (first tap, stop)
clipped to the input, so one max and one mean kernel serve all four.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._layout import float_data
from .conv3d import triple
from .module import Module
from .pool3d_kernels import (
    _window_max_backward,
    _window_max_forward,
    _window_mean_backward,
    _window_mean_forward,
)
from .pooling import AvgPoolLayer, MaxPoolLayer, _adaptive_windows, _avg_divisors, _pool_output_size


def _pool_triple(value, name: str, who: str) -> tuple[int, int, int]:
    """`triple`, plus PyTorch's one-element sequence meaning the same value on every axis."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return triple(value, name, who)


def _check_rank(x, who: str) -> None:
    if x.ndim not in (4, 5):
        raise ValueError(
            f"{who}: expected input of shape (N, C, D, H, W) or (C, D, H, W), got "
            f"{tuple(x.shape)}"
        )


def _geometry(x: np.ndarray, kernel_size, stride, padding, dilation, ceil_mode, who: str):
    """(kernel, stride, padding, dilation) triples and the output size, checked as PyTorch."""
    kernel = _pool_triple(kernel_size, "kernel_size", who)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    steps = kernel if no_stride else _pool_triple(stride, "stride", who)
    pads = _pool_triple(padding, "padding", who)
    dilations = _pool_triple(dilation, "dilation", who)
    if min(*kernel, *steps, *dilations) < 1 or min(pads) < 0:
        raise ValueError(
            f"{who}: kernel_size, stride and dilation must be >= 1 and padding >= 0, got "
            f"kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}"
        )
    if any(p > k // 2 for p, k in zip(pads, kernel)):
        raise ValueError(
            f"{who}: padding should be at most half of the kernel size, got padding={pads} "
            f"for kernel_size={kernel}"
        )
    _check_rank(x, who)
    if 0 in x.shape[-4:]:
        raise ValueError(f"{who}: expected non-zero C, D, H and W, got input of shape {x.shape}")
    spatial = x.shape[-3:]
    out_size = tuple(
        _pool_output_size(*args, ceil_mode) for args in zip(spatial, kernel, steps, pads, dilations)
    )
    if min(out_size) < 1:
        raise ValueError(
            f"{who}: input of spatial size {spatial} is too small for kernel {kernel} with "
            f"padding {pads} and dilation {dilations}"
        )
    return (kernel, steps, pads, dilations), out_size


def _taps(size_out: int, size_in: int, kernel: int, stride: int, pad: int, dilation: int):
    """(first, stop) per window of one axis: the first tap o*stride - pad + i*dilation inside
    [0, size_in) (past stop when there is none) and the end of the taps, clipped."""
    first = np.arange(size_out, dtype=np.int64) * stride - pad
    stop = np.minimum(first + (kernel - 1) * dilation + 1, size_in)
    outside = first < 0
    first[outside] += (-first[outside] + dilation - 1) // dilation * dilation
    return first, stop


def _channels_last(x5: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x5.transpose(0, 2, 3, 4, 1))


def _pool_node(input: Tensor, x5: np.ndarray, out: np.ndarray, input_gradient) -> Tensor:
    """The graph node of a pooling whose kernel wrote `out` (N, OD, OH, OW, C): the output is
    an NCDHW-shaped view; backward lets `input_gradient(g_cl, dx)` write dx (N, D, H, W, C).
    Both drop the batch axis again for unbatched input."""
    unbatched = input.ndim == 4
    n, channels = x5.shape[:2]
    result = out.transpose(0, 4, 1, 2, 3)

    def backward(g: np.ndarray):
        dx = np.empty((n, *x5.shape[2:], channels), dtype=out.dtype)
        input_gradient(_channels_last(g[None] if unbatched else g), dx)
        gx = dx.transpose(0, 4, 1, 2, 3)
        return (gx[0] if unbatched else gx,)

    return Tensor.make(result[0] if unbatched else result, (input,), backward)


def _max_node(input, x5, windows, steps, out_size, return_indices):
    n, channels = x5.shape[:2]
    out = np.empty((n, *out_size, channels), dtype=x5.dtype)
    argmax = np.empty((n, *out_size, channels), dtype=np.int64)
    _window_max_forward(_channels_last(x5), out, argmax, *windows, *steps)
    output = _pool_node(input, x5, out, lambda g_cl, dx: _window_max_backward(g_cl, argmax, dx,
                                                                             *windows))
    if not return_indices:
        return output
    indices = np.ascontiguousarray(argmax.transpose(0, 4, 1, 2, 3))
    return output, Tensor(indices[0] if input.ndim == 4 else indices)


def max_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over kernel_size windows (taps `dilation` apart) of (N, C, D, H, W) or
    (C, D, H, W) input; stride defaults to kernel_size. NaN propagates. With return_indices,
    also the int64 flat index (iz * H + iy) * W + ix of each winner in its volume, as
    PyTorch."""
    x = float_data(input, "max_pool3d")
    (kernel, steps, pads, dilations), out_size = _geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d"
    )
    x5 = x[None] if x.ndim == 4 else x
    windows = []
    for args in zip(out_size, x5.shape[2:], kernel, steps, pads, dilations):
        windows.extend(_taps(*args))
    return _max_node(input, x5, windows, dilations, out_size, return_indices)


def avg_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over kernel_size windows of (N, C, D, H, W) or (C, D, H, W) input, as PyTorch:
    the divisor is the window's size within input and padding (count_include_pad=True) or
    within the input only, or divisor_override."""
    x = float_data(input, "avg_pool3d")
    (kernel, steps, pads, _), out_size = _geometry(
        x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool3d"
    )
    if divisor_override is not None and divisor_override == 0:
        raise ValueError("avg_pool3d: divisor_override must be non-zero, got 0")
    x5 = x[None] if x.ndim == 4 else x
    windows, lengths = [], []
    for size_out, size_in, k, s, p in zip(out_size, x5.shape[2:], kernel, steps, pads):
        windows.extend(_taps(size_out, size_in, k, s, p, 1))
        lengths.append(_avg_divisors(size_out, size_in, k, s, p, count_include_pad))
    if divisor_override is not None:
        divisors = np.full(out_size, float(divisor_override))
    else:
        divisors = np.einsum("i,j,k->ijk", *lengths)
    n, channels = x5.shape[:2]
    out = np.empty((n, *out_size, channels), dtype=x5.dtype)
    _window_mean_forward(_channels_last(x5), out, divisors, *windows)
    return _pool_node(input, x5, out, lambda g_cl, dx: _window_mean_backward(g_cl, dx, divisors,
                                                                             *windows))


def _adaptive_size(output_size, shape: tuple[int, ...], who: str) -> tuple[int, int, int]:
    """output_size as (OD, OH, OW): an int, or a triple whose None entries keep the input's."""
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        sizes = [output_size] * 3
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 3:
        sizes = [shape[-3 + i] if v is None else v for i, v in enumerate(output_size)]
    else:
        raise TypeError(
            f"{who}: output_size must be an int or a tuple of three ints or None, got "
            f"{output_size!r}"
        )
    for v in sizes:
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{who}: output_size entries must be ints >= 0, got {output_size!r}")
    return tuple(int(v) for v in sizes)


def _adaptive_setup(input: Tensor, output_size, who: str, nonzero: int):
    """PyTorch refuses empty D, H and W, and for max pooling (nonzero=4) an empty C."""
    x = float_data(input, who)
    _check_rank(x, who)
    if 0 in x.shape[-nonzero:]:
        axes = "C, D, H and W" if nonzero == 4 else "D, H and W"
        raise ValueError(f"{who}: expected non-zero {axes}, got input of shape {x.shape}")
    out_size = _adaptive_size(output_size, x.shape, who)
    x5 = x[None] if x.ndim == 4 else x
    windows = []
    for size_in, size_out in zip(x5.shape[2:], out_size):
        windows.extend(_adaptive_windows(size_in, size_out))
    return x5, out_size, windows


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Mean over PyTorch's adaptive windows of (N, C, D, H, W) or (C, D, H, W) input, giving
    output_size (int, or triple with None keeping the input's size)."""
    x5, out_size, windows = _adaptive_setup(input, output_size, "adaptive_avg_pool3d", 3)
    lengths = [stop - first for first, stop in zip(windows[::2], windows[1::2])]
    divisors = np.einsum("i,j,k->ijk", *lengths).astype(np.float64)
    n, channels = x5.shape[:2]
    out = np.empty((n, *out_size, channels), dtype=x5.dtype)
    _window_mean_forward(_channels_last(x5), out, divisors, *windows)
    return _pool_node(input, x5, out, lambda g_cl, dx: _window_mean_backward(g_cl, dx, divisors,
                                                                             *windows))


def adaptive_max_pool3d(
    input: Tensor, output_size, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over PyTorch's adaptive windows (NaN propagates, ties go to the first); with
    return_indices, also the int64 flat index (iz * H + iy) * W + ix of each winner."""
    x5, out_size, windows = _adaptive_setup(input, output_size, "adaptive_max_pool3d", 4)
    return _max_node(input, x5, windows, (1, 1, 1), out_size, return_indices)


class MaxPool3d(MaxPoolLayer):
    """Max pooling as torch.nn.MaxPool3d; stride defaults to kernel_size. With
    return_indices=True, forward returns (output, int64 indices)."""

    _check_size = staticmethod(_pool_triple)

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        _check_rank(x, "MaxPool3d")
        return max_pool3d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)  # fmt: skip


class AvgPool3d(AvgPoolLayer):
    """Average pooling as torch.nn.AvgPool3d; stride defaults to kernel_size."""

    _check_size = staticmethod(_pool_triple)

    def forward(self, x: Tensor) -> Tensor:
        _check_rank(x, "AvgPool3d")
        return avg_pool3d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)  # fmt: skip


class AdaptiveAvgPool3d(Module):
    """Adaptive average pooling as torch.nn.AdaptiveAvgPool3d: output i of an axis averages
    input [floor(i * S / OS), ceil((i + 1) * S / OS)); None in output_size keeps that size."""

    def __init__(self, output_size) -> None:
        super().__init__()
        _adaptive_size(output_size, (1, 1, 1), "AdaptiveAvgPool3d")
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        _check_rank(x, "AdaptiveAvgPool3d")
        return adaptive_avg_pool3d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool3d(Module):
    """Adaptive max pooling as torch.nn.AdaptiveMaxPool3d (windows of AdaptiveAvgPool3d); with
    return_indices=True, forward returns (output, int64 indices)."""

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        _adaptive_size(output_size, (1, 1, 1), "AdaptiveMaxPool3d")
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        _check_rank(x, "AdaptiveMaxPool3d")
        return adaptive_max_pool3d(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
