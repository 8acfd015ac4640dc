"""Argument checks and output sizes shared by the 1-, 2- and 3-D pooling modules, so each of
PyTorch's rules (and its error message) has one home.

A window's output size is floor((S + 2p - d(k-1) - 1) / s) + 1, or ceil with ceil_mode=True
where the last window must still start inside the input or left padding; padding may be at
most half the kernel; adaptive output_size is an int or one entry per axis (None keeps the
input's size).
"""

from __future__ import annotations

import numpy as np

from ._layout import pair
from .conv1d import single
from .conv3d import triple

_LAYOUTS = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)",
            3: "(N, C, D, H, W) or (C, D, H, W)"}  # fmt: skip
_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
_SEQUENCES = {2: "a pair of", 3: "a tuple of three"}


def pool_sizes(value, dims: int, name: str, who: str) -> tuple[int, ...]:
    """An int or `dims` ints as a tuple, as PyTorch's _single/_pair/_triple; a one-element
    sequence means that value on every axis."""
    if dims == 1:
        return (single(value, name, who),)
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return pair(value, name, who) if dims == 2 else triple(value, name, who)


def check_rank(x, dims: int, who: str) -> None:
    """Input (N, C, *spatial) or unbatched (C, *spatial) with `dims` spatial axes."""
    if x.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{who}: expected input of shape {_LAYOUTS[dims]}, got {tuple(x.shape)}")


def check_nonempty(x, dims: int, who: str, channels: bool = True) -> None:
    """PyTorch refuses an empty spatial axis, and (channels=True, as max pooling) an empty C."""
    names = (("C",) if channels else ()) + _AXES[dims]
    if 0 in x.shape[-len(names) :]:
        listed = names[-1] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        raise ValueError(f"{who}: expected non-zero {listed}, got input of shape {x.shape}")


def pool_output_size(size: int, kernel: int, stride: int, pad: int, dilation: int,
                     ceil_mode: bool) -> int:  # fmt: skip
    """The number of windows along one axis, as PyTorch counts them."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1  # the last window would start in the right padding
    return out


def _shown(sizes: tuple[int, ...]):
    """A 1-D size as its int, as the 1-D messages print it."""
    return sizes[0] if len(sizes) == 1 else sizes


def pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, dims: int, who: str):
    """(kernel, stride, padding, dilation) as `dims`-tuples (stride defaults to kernel_size,
    also when given as an empty sequence) and the output's spatial size, checked as PyTorch
    checks them."""
    kernel = pool_sizes(kernel_size, dims, "kernel_size", who)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    steps = kernel if no_stride else pool_sizes(stride, dims, "stride", who)
    pads = pool_sizes(padding, dims, "padding", who)
    dilations = pool_sizes(dilation, dims, "dilation", who)
    if min(*kernel, *steps, *dilations) < 1 or min(pads) < 0:
        raise ValueError(
            f"{who}: kernel_size, stride and dilation must be >= 1 and padding >= 0, got "
            f"kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}"
        )
    if any(p > k // 2 for p, k in zip(pads, kernel)):
        raise ValueError(
            f"{who}: padding should be at most half of the kernel size, got padding="
            f"{_shown(pads)} for kernel_size={_shown(kernel)}"
        )
    check_rank(x, dims, who)
    check_nonempty(x, dims, who)
    spatial = tuple(x.shape[-dims:])
    out_size = tuple(
        pool_output_size(*args, ceil_mode) for args in zip(spatial, kernel, steps, pads, dilations)
    )
    if min(out_size) < 1:
        extent = "length" if dims == 1 else "spatial size"
        if dims == 2:  # the 2-D message's own spelling: 6x6 and 0,0
            shown = ("x".join(map(str, spatial)), "x".join(map(str, kernel)),
                     ",".join(map(str, pads)), ",".join(map(str, dilations)))  # fmt: skip
        else:
            shown = tuple(map(_shown, (spatial, kernel, pads, dilations)))
        raise ValueError(
            f"{who}: input of {extent} {shown[0]} is too small for kernel {shown[1]} with "
            f"padding {shown[2]} and dilation {shown[3]}"
        )
    return (kernel, steps, pads, dilations), out_size


def adaptive_output_size(output_size, spatial: tuple[int, ...], who: str) -> tuple[int, ...]:
    """output_size as one int per axis of `spatial` (2 or 3 axes): an int, or one entry per
    axis where None keeps the input's size."""
    dims = len(spatial)
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        sizes = [output_size] * dims
    elif isinstance(output_size, (tuple, list)) and len(output_size) == dims:
        sizes = [size if v is None else v for size, v in zip(spatial, output_size)]
    else:
        raise TypeError(
            f"{who}: output_size must be an int or {_SEQUENCES[dims]} ints or None, got "
            f"{output_size!r}"
        )
    for v in sizes:
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{who}: output_size entries must be ints >= 0, got {output_size!r}")
    return tuple(int(v) for v in sizes)
