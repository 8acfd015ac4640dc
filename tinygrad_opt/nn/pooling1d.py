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
from .pool_geometry import check_rank, pool_geometry
from .pooling import MaxPoolLayer, avg_pool2d, max_pool2d


def _geometry(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode, who: str):
    """(k, s, p, d) checked as PyTorch checks them, the input's rank first."""
    check_rank(x, 1, who)
    sizes, _ = pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, 1, who)
    return tuple(size for (size,) in sizes)


def _signal_result(out, return_indices: bool):
    """A 2-D pooling's result on the (N, C, 1, L) view as the 1-D result: in a plane of
    height 1 the flat index ih * L + iw of a winner is its position iw in L."""
    if not return_indices:
        return _as_signal(out)
    values, indices = out
    return _as_signal(values), Tensor(indices.data.reshape(values.shape[:-2] + values.shape[-1:]))


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
    return _signal_result(out, return_indices)


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

    _dims = 1
    _functional = staticmethod(max_pool1d)

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        float_data(x, "MaxPool1d")
        _geometry(x, self.kernel_size, self.stride, self.padding, self.dilation,
                  self.ceil_mode, "MaxPool1d")  # fmt: skip
        return super().forward(x)


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
