"""Conv2d's non-zero padding modes: 'reflect', 'replicate' and 'circular', as PyTorch.

As torch.nn.Conv2d, these pad the input first (F.pad, nn/padding.py) and then convolve
unpadded; this file adds the layer's checks and messages.

    reflect    [c b | a b c d | c b]   mirror about the edge (the edge is not repeated)
    replicate  [a a | a b c d | d d]   repeat the edge
    circular   [c d | a b c d | a b]   wrap around
"""

from __future__ import annotations

from ..tensor import Tensor
from .padding import pad

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def check_pad(shape: tuple[int, ...], pads: tuple[int, int, int, int], mode: str, who: str):
    """PyTorch's limits: reflect needs each pad < the input size, circular at most the size
    (a single wrap). pads is (left, right, top, bottom)."""
    height, width = shape[-2], shape[-1]
    left, right, top, bottom = pads
    if mode == "reflect" and (max(left, right) >= width or max(top, bottom) >= height):
        raise ValueError(
            f"{who}: padding_mode='reflect' needs padding smaller than the input size, got "
            f"padding (left, right, top, bottom) = {pads} for input {height}x{width}"
        )
    if mode == "circular" and (max(left, right) > width or max(top, bottom) > height):
        raise ValueError(
            f"{who}: padding_mode='circular' needs padding at most the input size (it wraps "
            f"around once), got padding (left, right, top, bottom) = {pads} for input "
            f"{height}x{width}"
        )


def pad_mode(x: Tensor, pads: tuple[int, int, int, int], mode: str, who: str) -> Tensor:
    """x (..., H, W) padded by (left, right, top, bottom) in `mode` ('reflect', 'replicate'
    or 'circular'), as torch.nn.functional.pad."""
    if mode not in PADDING_MODES[1:]:  # e.g. a layer's padding_mode changed after __init__
        raise ValueError(f"{who}: padding_mode must be one of {PADDING_MODES}, got {mode!r}")
    check_pad(x.shape, pads, mode, who)
    return pad(x, pads, mode)
