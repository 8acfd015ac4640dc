"""1-D pooling (`MaxPool1d`, `AvgPool1d` and their functional forms) as 2-D pooling of
unit height.

An (N, C, L) signal is viewed as an (N, C, 1, L) image; pooling.py's kernels run with
kernel (1, k), stride (1, s), padding (0, p) and dilation (1, d), and the output is viewed
back as (N, C, L_out). The views are Tensor reshapes, so gradients flow through the 2-D
kernels. Output lengths, ceil_mode and count_include_pad are PyTorch's; max pooling's
indices are positions in L, as PyTorch's.
"""

from __future__ import annotations

from ..tensor import Tensor
from ._layout import float_data
from .conv1d import _as_image, _as_signal, single
from .module import Module
from .pooling import MaxPoolLayer, _pool_output_size, avg_pool2d, max_pool2d


def _geometry(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode, who: str):
    """(k, s, p, d) checked as PyTorch checks them, with 1-D messages."""
    if x.ndim not in (2, 3):
        raise ValueError(f"{who}: expected input of shape (N, C, L) or (C, L), got "
                         f"{tuple(x.shape)}")  # fmt: skip
    k = single(kernel_size, "kernel_size", who)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    s = k if no_stride else single(stride, "stride", who)
    p = single(padding, "padding", who)
    d = single(dilation, "dilation", who)
    if min(k, s, d) < 1 or p < 0:
        raise ValueError(
            f"{who}: kernel_size, stride and dilation must be >= 1 and padding >= 0, got "
            f"kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}"
        )
    if p > k // 2:
        raise ValueError(
            f"{who}: padding should be at most half of the kernel size, got padding={p} for "
            f"kernel_size={k}"
        )
    if 0 in x.shape[-2:]:
        raise ValueError(f"{who}: expected non-zero C and L, got input of shape {x.shape}")
    length = x.shape[-1]
    if _pool_output_size(length, k, s, p, d, ceil_mode) < 1:
        raise ValueError(
            f"{who}: input of length {length} is too small for kernel {k} with padding {p} "
            f"and dilation {d}"
        )
    return k, s, p, d


def max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over kernel_size windows (taps `dilation` apart) of (N, C, L) or (C, L) input;
    stride defaults to kernel_size. With return_indices, also the int64 position in L of
    each winner, as PyTorch."""
    float_data(input, "max_pool1d")
    k, s, p, d = _geometry(input, kernel_size, stride, padding, dilation, ceil_mode,
                           "max_pool1d")  # fmt: skip
    out = max_pool2d(_as_image(input), (1, k), (1, s), (0, p), (1, d), ceil_mode,
                     return_indices)  # fmt: skip
    if not return_indices:
        return _as_signal(out)
    values, indices = out
    # in a plane of height 1 the flat index ih * L + iw is iw
    return _as_signal(values), Tensor(indices.data.reshape(values.shape[:-2] + values.shape[-1:]))


def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over kernel_size windows of (N, C, L) or (C, L) input, as PyTorch."""
    float_data(input, "avg_pool1d")
    k, s, p, _ = _geometry(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool1d")
    out = avg_pool2d(_as_image(input), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return _as_signal(out)


class MaxPool1d(MaxPoolLayer):
    """Max pooling as torch.nn.MaxPool1d; stride defaults to kernel_size. With
    return_indices=True, forward returns (output, int64 indices)."""

    _check_size = staticmethod(single)

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        float_data(x, "MaxPool1d")
        _geometry(x, self.kernel_size, self.stride, self.padding, self.dilation,
                  self.ceil_mode, "MaxPool1d")  # fmt: skip
        return max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)  # fmt: skip


class AvgPool1d(Module):
    """Average pooling as torch.nn.AvgPool1d; stride defaults to kernel_size. The sizes are
    stored as one-element tuples, as PyTorch's."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = (single(kernel_size, "kernel_size", "AvgPool1d"),)
        if stride is None:
            self.stride = self.kernel_size
        else:
            self.stride = (single(stride, "stride", "AvgPool1d"),)
        self.padding = (single(padding, "padding", "AvgPool1d"),)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, x: Tensor) -> Tensor:
        float_data(x, "AvgPool1d")
        _geometry(x, self.kernel_size, self.stride, self.padding, 1, self.ceil_mode,
                  "AvgPool1d")  # fmt: skip
        return avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
