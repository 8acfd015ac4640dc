"""`LocalResponseNorm` and `F.local_response_norm` (Krizhevsky et al., 2012), as PyTorch.

b_c = a_c / (k + alpha / size * sum_{c'} a_{c'}^2) ** beta, the sum over the channel window
c' in [c - size // 2, c + (size - 1) // 2] clipped to the channels (PyTorch's zero-padded
average pool of the squares, so the divisor stays `size` at the edges). Input is (N, C, *)
with at least 3 dimensions. One graph node; the window sums are `size` shifted slice
additions over whole arrays. Deviation: size < 1 raises ValueError (PyTorch: a RuntimeError
from its pooling kernel in forward; the module accepts it when built).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._layout import float_data
from .module import Module


def _check_size(size, who: str) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"{who}: size must be an int, got {size!r}")
    if size < 1:
        raise ValueError(f"{who}: size must be >= 1, got {size}")
    return int(size)


def _channel_window_sum(a: np.ndarray, before: int, after: int) -> np.ndarray:
    """out[:, c] = sum of a[:, c - before : c + after + 1] over the channels that exist."""
    channels = a.shape[1]
    out = np.zeros_like(a)
    for shift in range(-before, after + 1):  # loop over the window's taps, not channels
        lo, hi = max(0, -shift), min(channels, channels - shift)
        if lo < hi:
            out[:, lo:hi] += a[:, lo + shift : hi + shift]
    return out


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Normalise each channel by the squares of its `size` neighbouring channels, as
    torch.nn.functional.local_response_norm."""
    who = "local_response_norm"
    x = float_data(input, who)
    size = _check_size(size, who)
    if x.ndim < 3:
        raise ValueError(
            f"{who}: expected input of 3 or more dimensions (N, C, *), got {x.ndim} dimensions "
            f"(shape {x.shape})"
        )
    before, after = size // 2, (size - 1) // 2
    denom = k + (alpha / size) * _channel_window_sum(x * x, before, after)
    scale = denom ** (-beta)
    out = x * scale

    def backward(g: np.ndarray):
        # channel j feeds the denominators of channels c in [j - after, j + before]
        through_denom = g * x * scale / denom
        spread = _channel_window_sum(through_denom, after, before)
        return (g * scale - (2.0 * alpha * beta / size) * x * spread,)

    return Tensor.make(out, (input,), backward)


class LocalResponseNorm(Module):
    """LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0) as torch.nn.LocalResponseNorm."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = _check_size(size, "LocalResponseNorm")
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, x: Tensor) -> Tensor:
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
