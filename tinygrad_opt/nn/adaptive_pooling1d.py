"""`AdaptiveAvgPool1d`, `AdaptiveMaxPool1d` and their functional forms, as 2-D adaptive
pooling of unit height (as pooling1d.py does for fixed windows).

Output i of L_out covers input [floor(i * L / L_out), ceil((i + 1) * L / L_out)), PyTorch's
windows. output_size is an int or a one-element sequence of ints (PyTorch refuses None for
the 1-D forms). Max pooling's indices are positions in L, NaN propagates and ties keep the
first, as PyTorch. Deviation: errors are ValueError/TypeError (PyTorch: RuntimeError).
"""

from __future__ import annotations

from ..tensor import Tensor
from ._layout import float_data
from .conv1d import _as_image, _as_signal, single
from .module import Module
from .pool_geometry import check_nonempty, check_rank
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d
from .pooling1d import _signal_result


def _check(input: Tensor, output_size, who: str, channels: bool) -> int:
    """output_size as an int, after PyTorch's checks of the (N, C, L) or (C, L) input (max
    pooling, channels=True, also refuses an empty C)."""
    x = float_data(input, who)
    size = single(output_size, "output_size", who)
    if size < 0:
        raise ValueError(f"{who}: output_size must be >= 0, got {output_size!r}")
    check_rank(x, 1, who)
    check_nonempty(x, 1, who, channels)
    return size


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Mean over PyTorch's adaptive windows of (N, C, L) or (C, L) input, giving L_out =
    output_size."""
    size = _check(input, output_size, "adaptive_avg_pool1d", channels=False)
    return _as_signal(adaptive_avg_pool2d(_as_image(input), (1, size)))


def adaptive_max_pool1d(
    input: Tensor, output_size, return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over PyTorch's adaptive windows of (N, C, L) or (C, L) input; with
    return_indices, also the int64 position in L of each winner."""
    size = _check(input, output_size, "adaptive_max_pool1d", channels=True)
    out = adaptive_max_pool2d(_as_image(input), (1, size), return_indices)
    return _signal_result(out, return_indices)


class AdaptiveAvgPool1d(Module):
    """Adaptive average pooling as torch.nn.AdaptiveAvgPool1d."""

    def __init__(self, output_size) -> None:
        super().__init__()
        single(output_size, "output_size", "AdaptiveAvgPool1d")
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """Adaptive max pooling as torch.nn.AdaptiveMaxPool1d; with return_indices=True, forward
    returns (output, int64 indices)."""

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        single(output_size, "output_size", "AdaptiveMaxPool1d")
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return adaptive_max_pool1d(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
