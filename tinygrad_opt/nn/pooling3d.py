"""3-D pooling: `MaxPool3d`, `AvgPool3d`, `AdaptiveAvgPool3d`, `AdaptiveMaxPool3d` and their
functional forms, one graph node each on pool3d_kernels.py.

Sizes follow pool_geometry.py's (PyTorch's) rules per axis: output floor((S + 2p - d(k-1) - 1) / s)
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
from .pool3d_kernels import (
    _window_max_backward,
    _window_max_forward,
    _window_mean_backward,
    _window_mean_forward,
)
from .pool_geometry import pool_geometry
from .pooling import (
    AdaptiveMaxPoolLayer,
    AdaptivePoolLayer,
    AvgPoolLayer,
    MaxPoolLayer,
    _adaptive_setup,
    _avg_divisors,
    _indices_tensor,
)


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
    return (output, _indices_tensor(argmax, input.ndim == 4)) if return_indices else output


def _mean_node(input, x5, divisors, windows, out_size):
    n, channels = x5.shape[:2]
    out = np.empty((n, *out_size, channels), dtype=x5.dtype)
    _window_mean_forward(_channels_last(x5), out, divisors, *windows)
    return _pool_node(input, x5, out, lambda g_cl, dx: _window_mean_backward(g_cl, dx, divisors,
                                                                             *windows))


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
    (kernel, steps, pads, dilations), out_size = pool_geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode, 3, "max_pool3d"
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
    (kernel, steps, pads, _), out_size = pool_geometry(
        x, kernel_size, stride, padding, 1, ceil_mode, 3, "avg_pool3d"
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
    return _mean_node(input, x5, divisors, windows, out_size)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Mean over PyTorch's adaptive windows of (N, C, D, H, W) or (C, D, H, W) input, giving
    output_size (int, or triple with None keeping the input's size)."""
    x5, _, out_size, windows = _adaptive_setup(input, output_size, 3, "adaptive_avg_pool3d",
                                               channels=False)  # fmt: skip
    lengths = [stop - first for first, stop in zip(windows[::2], windows[1::2])]
    divisors = np.einsum("i,j,k->ijk", *lengths).astype(np.float64)
    return _mean_node(input, x5, divisors, windows, out_size)


def adaptive_max_pool3d(
    input: Tensor, output_size, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over PyTorch's adaptive windows (NaN propagates, ties go to the first); with
    return_indices, also the int64 flat index (iz * H + iy) * W + ix of each winner."""
    x5, _, out_size, windows = _adaptive_setup(input, output_size, 3, "adaptive_max_pool3d",
                                               channels=True)  # fmt: skip
    return _max_node(input, x5, windows, (1, 1, 1), out_size, return_indices)


class MaxPool3d(MaxPoolLayer):
    """Max pooling as torch.nn.MaxPool3d; stride defaults to kernel_size. With
    return_indices=True, forward returns (output, int64 indices)."""

    _dims = 3
    _functional = staticmethod(max_pool3d)


class AvgPool3d(AvgPoolLayer):
    """Average pooling as torch.nn.AvgPool3d; stride defaults to kernel_size."""

    _dims = 3
    _functional = staticmethod(avg_pool3d)


class AdaptiveAvgPool3d(AdaptivePoolLayer):
    """Adaptive average pooling as torch.nn.AdaptiveAvgPool3d: output i of an axis averages
    input [floor(i * S / OS), ceil((i + 1) * S / OS)); None in output_size keeps that size."""

    _dims = 3
    _functional = staticmethod(adaptive_avg_pool3d)


class AdaptiveMaxPool3d(AdaptiveMaxPoolLayer):
    """Adaptive max pooling as torch.nn.AdaptiveMaxPool3d (windows of AdaptiveAvgPool3d); with
    return_indices=True, forward returns (output, int64 indices)."""

    _dims = 3
    _functional = staticmethod(adaptive_max_pool3d)
