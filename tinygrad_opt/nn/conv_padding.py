"""Conv2d's non-zero padding modes: 'reflect', 'replicate' and 'circular', as PyTorch.

As torch.nn.Conv2d, these pad the input first (this op) and then convolve unpadded. Every
padded position copies one input position, given per axis by an index map; the forward
copies the centre and gathers the border through the maps, and the backward is its
adjoint: each input position gets the sum of the gradients of the positions that copied
it (the centre, plus the border added by `np.add.at`; no Python loop over pixels).

    reflect    [c b | a b c d | c b]   mirror about the edge (the edge is not repeated)
    replicate  [a a | a b c d | d d]   repeat the edge
    circular   [c d | a b c d | a b]   wrap around
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _source_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position of an axis padded by (before, after), the input position it copies."""
    p = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(p, 0, size - 1)
    if mode == "circular":
        return p % size
    # reflect: at most one reflection, as pad < size is checked
    last = size - 1
    return last - np.abs(last - np.abs(p))


def _fold_last(g: np.ndarray, index: np.ndarray, before: int, size: int) -> np.ndarray:
    """The adjoint of padding the last axis by the map `index` (first `before` positions
    and those past `before + size` are copies): the centre, plus each border position's
    gradient added at the input position it copied (np.add.at: replicate copies one
    position many times)."""
    out = g[..., before : before + size].copy()
    border = np.r_[0:before, before + size : g.shape[-1]]
    if border.size:
        np.add.at(out, (..., index[border]), g[..., border])
    return out


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
    left, right, top, bottom = pads
    height, width = x.shape[-2], x.shape[-1]
    rows = _source_index(height, top, bottom, mode)
    cols = _source_index(width, left, right, mode)
    # the centre in one copy; only the border (small) goes through the index maps: first
    # the side columns of the input rows, then whole padded rows above and below
    out = np.empty((*x.shape[:-2], height + top + bottom, width + left + right), x.dtype)
    out[..., top : top + height, left : left + width] = x.data
    side = np.r_[0:left, left + width : out.shape[-1]]
    out[..., top : top + height, side] = x.data[..., cols[side]]
    ends = np.r_[0:top, top + height : out.shape[-2]]
    out[..., ends, :] = out[..., top + rows[ends], :]

    def backward(g: np.ndarray):
        g_rows = _fold_last(g, cols, left, width)  # (..., H + top + bottom, W)
        return (np.swapaxes(_fold_last(np.swapaxes(g_rows, -1, -2), rows, top, height), -1, -2),)

    return Tensor.make(out, (x,), backward)
