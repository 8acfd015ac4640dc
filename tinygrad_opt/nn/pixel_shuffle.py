"""`PixelShuffle` / `PixelUnshuffle` (Shi et al., 2016, sub-pixel convolution), as PyTorch.

pixel_shuffle with factor r moves channel block c * r * r + i * r + j of (*, C * r^2, H, W)
input to output pixel (h * r + i, w * r + j) of channel c: (*, C, H * r, W * r).
pixel_unshuffle is its inverse. Both are a reshape, a permute and a reshape of Tensors,
so autograd supplies the backward; any dtype works, as in PyTorch. Deviation: bad
arguments raise ValueError/TypeError (PyTorch: RuntimeError), and the modules check the
factor when built.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .module import Module


def _check_factor(factor, name: str, who: str) -> int:
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)):
        raise TypeError(f"{who}: {name} must be an int, got {factor!r}")
    if factor < 1:
        raise ValueError(f"{who}: expects a positive {name}, but got {factor}")
    return int(factor)


def _check_rank(input: Tensor, who: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{who}: expected a Tensor input, got {type(input).__name__}")
    if input.ndim < 3:
        raise ValueError(
            f"{who}: expects input to have at least 3 dimensions (*, C, H, W), but got input "
            f"of shape {tuple(input.shape)}"
        )


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r) with r = upscale_factor."""
    who = "pixel_shuffle"
    r = _check_factor(upscale_factor, "upscale_factor", who)
    _check_rank(input, who)
    *batch, channels, height, width = input.shape
    if channels % (r * r):
        raise ValueError(
            f"{who}: expects its input's 'channel' dimension to be divisible by the square of "
            f"upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}"
        )
    k = len(batch)
    out_channels = channels // (r * r)
    blocks = input.reshape(*batch, out_channels, r, r, height, width)
    # (c, i, j, h, w) -> (c, h, i, w, j)
    moved = blocks.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return moved.reshape(*batch, out_channels, height * r, width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W) with r = downscale_factor."""
    who = "pixel_unshuffle"
    r = _check_factor(downscale_factor, "downscale_factor", who)
    _check_rank(input, who)
    *batch, channels, height, width = input.shape
    for axis, size in (("height", height), ("width", width)):
        if size % r:
            index = -2 if axis == "height" else -1
            raise ValueError(
                f"{who}: expects {axis} to be divisible by downscale_factor, but "
                f"input.size({index})={size} is not divisible by {r}"
            )
    k = len(batch)
    pixels = input.reshape(*batch, channels, height // r, r, width // r, r)
    # (c, h, i, w, j) -> (c, i, j, h, w)
    moved = pixels.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return moved.reshape(*batch, channels * r * r, height // r, width // r)


class PixelShuffle(Module):
    """PixelShuffle(upscale_factor) as torch.nn.PixelShuffle."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = _check_factor(upscale_factor, "upscale_factor", "PixelShuffle")

    def forward(self, x: Tensor) -> Tensor:
        return pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """PixelUnshuffle(downscale_factor) as torch.nn.PixelUnshuffle."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = _check_factor(
            downscale_factor, "downscale_factor", "PixelUnshuffle"
        )

    def forward(self, x: Tensor) -> Tensor:
        return pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
