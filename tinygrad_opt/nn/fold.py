"""`unfold` / `nn.Unfold` and `fold` / `nn.Fold` as torch's: sliding blocks of a batched
image as columns and back, on the convolution's im2col / col2im kernels (conv_kernels.py).

unfold maps (N, C, H, W) to (N, C * KH * KW, L): row c * KH * KW + i * KW + j holds tap
(i, j) of channel c, column l = oh * OW + ow the block at (oh, ow), L = OH * OW with
OH = floor((H + 2 * padding - dilation * (KH - 1) - 1) / stride) + 1 (zero padding).
fold is its adjoint: it adds each column's values back at their positions, so overlapping
blocks sum (fold(unfold(x)) is x times the number of blocks covering each pixel). Each is
the other's backward. The kernels work on channels-last patches (N, OH, OW, KH, KW, C);
torch's layout is one transposed copy of that. Unbatched (C, H, W) / (C * KH * KW, L)
inputs work as in torch. Errors torch raises as RuntimeError are ValueErrors.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._layout import channels_last, float_data, pair
from .conv_kernels import _col2im, _im2col
from .module import Module


def _geometry(kernel_size, dilation, padding, stride, who: str):
    """((kh, kw), (dh, dw), (ph, pw), (sh, sw)), checked as torch checks them."""
    kernel = pair(kernel_size, "kernel_size", who)
    dilation_ = pair(dilation, "dilation", who)
    padding_ = pair(padding, "padding", who)
    stride_ = pair(stride, "stride", who)
    for name, value, low in (("kernel_size", kernel, 1), ("dilation", dilation_, 1),
                             ("padding", padding_, 0), ("stride", stride_, 1)):  # fmt: skip
        if min(value) < low:
            raise ValueError(f"{who}: {name} must be >= {low}, got {value}")
    return kernel, dilation_, padding_, stride_


def _blocks(size: tuple[int, int], geometry) -> tuple[int, int]:
    """The number of sliding blocks (OH, OW) over a spatial size (H, W)."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = geometry
    return tuple(
        (s + 2 * p - d * (k - 1) - 1) // st + 1
        for s, k, d, p, st in zip(size, (kh, kw), (dh, dw), (ph, pw), (sh, sw))
    )


def _kernel_args(geometry) -> tuple[int, ...]:
    """The geometry in conv_kernels' argument order (kh, kw, sh, sw, ph, pw, dh, dw)."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = geometry
    return kh, kw, sh, sw, ph, pw, dh, dw


def _image_to_columns(x: np.ndarray, geometry, blocks) -> np.ndarray:
    """(N, C, H, W) -> torch's (N, C * KH * KW, L) columns."""
    n, channels = x.shape[:2]
    (kh, kw), (out_h, out_w) = geometry[0], blocks
    cols = np.empty((n, out_h, out_w, kh, kw, channels), dtype=x.dtype)
    _im2col(channels_last(x), cols, *_kernel_args(geometry))
    return cols.transpose(0, 5, 3, 4, 1, 2).reshape(n, channels * kh * kw, out_h * out_w)


def _columns_to_image(cols: np.ndarray, size, geometry, blocks) -> np.ndarray:
    """Torch's (N, C * KH * KW, L) columns -> the (N, C, H, W) sum of their blocks."""
    n = cols.shape[0]
    (kh, kw), (out_h, out_w) = geometry[0], blocks
    channels = cols.shape[1] // (kh * kw)
    patches = cols.reshape(n, channels, kh, kw, out_h, out_w).transpose(0, 4, 5, 2, 3, 1)
    image = np.empty((n, *size, channels), dtype=cols.dtype)
    _col2im(np.ascontiguousarray(patches), image, *_kernel_args(geometry))
    return image.transpose(0, 3, 1, 2)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks of (N, C, H, W) or (C, H, W) input as columns (N, C * KH * KW, L), as
    torch.nn.functional.unfold (see the module docstring for the layout)."""
    x = float_data(input, "unfold")
    geometry = _geometry(kernel_size, dilation, padding, stride, "unfold")
    if x.ndim not in (3, 4):
        raise ValueError(
            f"unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}"
        )
    unbatched = x.ndim == 3
    x4 = x[None] if unbatched else x
    blocks = _blocks(x4.shape[2:], geometry)
    if min(blocks) < 1:
        (kh, kw), (dh, dw), (ph, pw), _ = geometry
        raise ValueError(
            f"unfold: input of spatial size {x4.shape[2:]} with kernel_size={(kh, kw)}, "
            f"dilation={(dh, dw)}, padding={(ph, pw)} gives {blocks} sliding blocks; each "
            "must be at least one"
        )
    out = _image_to_columns(x4, geometry, blocks)

    def backward(g: np.ndarray):
        gx = _columns_to_image(g[None] if unbatched else g, x4.shape[2:], geometry, blocks)
        return (gx[0] if unbatched else gx,)

    return Tensor.make(out[0] if unbatched else out, (input,), backward)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum columns (N, C * KH * KW, L) or (C * KH * KW, L) of sliding blocks into an
    (N, C, *output_size) image, as torch.nn.functional.fold: the adjoint of `unfold`."""
    cols = float_data(input, "fold")
    size = pair(output_size, "output_size", "fold")
    geometry = _geometry(kernel_size, dilation, padding, stride, "fold")
    if cols.ndim not in (2, 3):
        raise ValueError(
            f"fold: expected a 2-D (C * KH * KW, L) or 3-D (N, C * KH * KW, L) input, got "
            f"shape {cols.shape}"
        )
    unbatched = cols.ndim == 2
    cols3 = cols[None] if unbatched else cols
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = geometry
    if cols3.shape[1] % (kh * kw):
        raise ValueError(
            f"fold: expected size of input's dimension {cols.ndim - 2} to be divisible by the "
            f"product of kernel_size {(kh, kw)}, got {cols3.shape[1]}"
        )
    blocks = _blocks(size, geometry)
    if min(blocks) < 1 or blocks[0] * blocks[1] != cols3.shape[2]:
        raise ValueError(
            f"fold: output_size={size}, kernel_size={(kh, kw)}, dilation={(dh, dw)}, "
            f"padding={(ph, pw)}, stride={(sh, sw)} give {blocks[0]} * {blocks[1]} sliding "
            f"blocks, but input's dimension {cols.ndim - 1} has size {cols3.shape[2]}"
        )
    out = _columns_to_image(cols3, size, geometry, blocks)

    def backward(g: np.ndarray):
        gc = _image_to_columns(g[None] if unbatched else g, geometry, blocks)
        return (gc[0] if unbatched else gc,)

    return Tensor.make(out[0] if unbatched else out, (input,), backward)


class Unfold(Module):
    """Unfold(kernel_size, dilation=1, padding=0, stride=1): `unfold` as a layer, as
    torch.nn.Unfold (no parameters)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        _geometry(kernel_size, dilation, padding, stride, "Unfold")
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")  # fmt: skip


class Fold(Module):
    """Fold(output_size, kernel_size, dilation=1, padding=0, stride=1): `fold` as a layer,
    as torch.nn.Fold (no parameters)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        pair(output_size, "output_size", "Fold")
        _geometry(kernel_size, dilation, padding, stride, "Fold")
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
