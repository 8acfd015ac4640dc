"""The argument checks and size arithmetic of the convolutions of every dimension (conv.py,
conv1d.py, conv3d.py, conv_transpose.py), so each rule and its error message live once.

`parse` is the dimension's reader of an int or a tuple of sizes (conv1d.py's one-tuple,
_layout.pair, conv3d.triple): it raises the TypeError for a wrong type, these functions the
ValueErrors, each naming the layer or function (`who`), what was expected and what came.
"""

from __future__ import annotations

import numpy as np

# what an explicit padding may be, by the number of spatial axes
_PADDING_KINDS = {1: "an int", 2: "an int, a pair", 3: "an int, a triple"}


def is_positive_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


def at_least(parse, value, name: str, least: int, who: str) -> tuple[int, ...]:
    sizes = parse(value, name, who)
    if min(sizes) < least:
        raise ValueError(f"{who}: {name} must be >= {least}, got {value!r}")
    return sizes


def conv_arguments(parse, stride, padding, dilation, who: str):
    """(stride, padding, dilation) of a convolution, checked; padding stays 'same' (stride
    1 only, as PyTorch) or 'valid', else is sizes >= 0."""
    stride = at_least(parse, stride, "stride", 1, who)
    dilation = at_least(parse, dilation, "dilation", 1, who)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(
                f"{who}: padding must be {_PADDING_KINDS[len(stride)]}, 'same' or 'valid', "
                f"got {padding!r}"
            )
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError(f"{who}: padding='same' is only supported with stride 1")
        return stride, padding, dilation
    return stride, at_least(parse, padding, "padding", 0, who), dilation


def transposed_arguments(parse, stride, padding, output_padding, dilation, who: str):
    """(stride, padding, output_padding, dilation) of a transposed convolution, checked
    alone (a layer checks output_padding against stride and dilation when it runs)."""
    return (
        at_least(parse, stride, "stride", 1, who),
        at_least(parse, padding, "padding", 0, who),
        at_least(parse, output_padding, "output_padding", 0, who),
        at_least(parse, dilation, "dilation", 1, who),
    )


def check_output_padding(output_padding, stride, dilation, who: str) -> None:
    """PyTorch's rule, per axis: output_padding < stride or output_padding < dilation (a
    larger one would add output rows that no input pixel reaches)."""
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(
                f"{who}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )


def padding_sides(padding, kernel, dilation) -> list[tuple[int, int]]:
    """(before, after) zeros per axis of a checked padding: 'same' puts an odd total's extra
    zero at the end of the axis, as PyTorch."""
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    return [(p, p) for p in padding]


def last_axis_first(sides) -> tuple[int, ...]:
    """Per-axis (before, after) pairs as F.pad's flat (left, right, top, bottom, ...), as
    PyTorch's _reversed_padding_repeated_twice."""
    return tuple(p for side in reversed(sides) for p in side)


def conv_output_size(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def transposed_output_size(size, kernel, stride, pad, dilation, output_padding=0) -> int:
    return (size - 1) * stride - 2 * pad + dilation * (kernel - 1) + output_padding + 1


def output_padding_for(
    output_size, input_shape, kernel_size, stride, padding, dilation, spatial: int, who: str
) -> tuple[int, ...]:
    """The output_padding that gives `output_size`, as PyTorch's ConvTranspose forward: the
    size may also carry the batch and channel (or channel) dimensions first, and must lie
    in [min, min + stride - 1] per axis, min being the size with output_padding 0."""
    sizes = list(output_size)
    leading = len(input_shape) - spatial
    if len(sizes) == len(input_shape):
        sizes = sizes[leading:]
    if len(sizes) != spatial:
        raise ValueError(
            f"{who}: for {len(input_shape)}-D input, output_size must have {spatial} or "
            f"{len(input_shape)} elements, got {tuple(output_size)}"
        )
    spatial_in = tuple(input_shape[leading:])
    smallest = list(map(transposed_output_size, spatial_in, kernel_size, stride, padding,
                        dilation))  # fmt: skip
    largest = [low + s - 1 for low, s in zip(smallest, stride)]
    if any(not low <= int(want) <= high for want, low, high in zip(sizes, smallest, largest)):
        raise ValueError(
            f"{who}: requested an output size of {tuple(sizes)}, but valid sizes range from "
            f"{smallest} to {largest} (for an input of {spatial_in})"
        )
    return tuple(int(want) - low for want, low in zip(sizes, smallest))


def check_input(shape, channels: int, axes: str, who: str) -> None:
    """A ValueError unless shape is (N, channels, *axes) or (channels, *axes); axes names
    the spatial axes, e.g. "H, W"."""
    spatial = axes.count(",") + 1
    if len(shape) not in (spatial + 1, spatial + 2) or shape[-spatial - 1] != channels:
        raise ValueError(
            f"{who}: expected input of shape (N, {channels}, {axes}) or ({channels}, {axes}), "
            f"got {tuple(shape)}"
        )


def check_groups(groups, channels: int, what: str, who: str) -> int:
    if not is_positive_int(groups) or channels % groups:
        raise ValueError(
            f"{who}: groups must be a positive int dividing the weight's {what} ({channels}), "
            f"got groups={groups!r}"
        )
    return int(groups)


def check_bias(bias, out_ch: int, who: str) -> None:
    # the kernels read bias[o] for every output channel: a shorter one would be read past
    if bias is not None and bias.data.shape != (out_ch,):
        raise ValueError(
            f"{who}: expected bias of shape ({out_ch},) for {out_ch} output channels, got "
            f"{bias.data.shape}"
        )
