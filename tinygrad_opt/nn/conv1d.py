"""1-D convolutions (`Conv1d`, `ConvTranspose1d` and their functional forms) as 2-D ones
of unit height.

An (N, C, L) signal is viewed as an (N, C, 1, L) image and a (O, C, K) weight as
(O, C, 1, K); the 2-D op (conv.py, conv_transpose.py) runs with stride (1, s), padding
(0, p) and dilation (1, d), and its (N, O, 1, L_out) output is viewed as (N, O, L_out).
The views are Tensor reshapes, so gradients flow back through the 2-D kernels unchanged.
Arguments, layouts, defaults and state_dict keys are torch.nn's; each takes an int or a
one-element tuple where PyTorch does.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._layout import float_data
from .conv import _conv2d
from .conv_args import (
    check_groups,
    check_input,
    check_output_padding,
    conv_arguments,
    conv_output_size,
    transposed_arguments,
    transposed_output_size,
)
from .conv_layer import ConvLayer, ConvTransposeLayer
from .conv_padding import pad_mode
from .conv_transpose import _conv_transpose2d


def single(value, name: str, who: str) -> int:
    """An int or a one-element sequence of ints as an int, as PyTorch's _single."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"{who}: {name} must be an int or a one-element tuple of ints, got {value!r}")


def _one(value, name: str, who: str) -> tuple[int]:
    """`single` as a tuple of one, the form PyTorch's 1-D layers store."""
    return (single(value, name, who),)


def _as_image(t: Tensor) -> Tensor:
    """(N, C, L) or (C, L) as (N, C, 1, L) or (C, 1, L): a view whose gradient flows back."""
    return t.reshape(*t.shape[:-1], 1, t.shape[-1])


def _as_signal(t: Tensor) -> Tensor:
    """The inverse of _as_image for an op's output."""
    return t.reshape(*t.shape[:-2], t.shape[-1])


def _conv1d(input, weight, bias, stride, padding, dilation, groups, who: str) -> Tensor:
    float_data(input, who)
    w = weight.data
    if w.ndim != 3:
        raise ValueError(f"{who}: weight must be 3-D (out, in / groups, k), got shape {w.shape}")
    out_ch, per_group, k = w.shape
    check_groups(groups, out_ch, "out channels", who)
    check_input(input.shape, per_group * groups, "L", who)
    (s,), padding, (d,) = conv_arguments(_one, stride, padding, dilation, who)
    if not isinstance(padding, str):
        (p,), length = padding, input.shape[-1]
        if conv_output_size(length, k, s, p, d) < 1:
            raise ValueError(
                f"{who}: input length {length} (padding {p}) is smaller than the kernel size "
                f"{k} (dilation {d})"
            )
        padding = (0, p)  # strings pass to conv2d as they are
    out = _conv2d(_as_image(input), _as_image(weight), bias, (1, s), padding, (1, d),
                  relu=False, groups=groups)  # fmt: skip
    return _as_signal(out)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation of (N, C, L) or (C, L) input with (O, C/groups, K) weight, as
    PyTorch; padding is an int, 'same' or 'valid'. Errors are ValueErrors (PyTorch raises
    RuntimeError for a channel mismatch)."""
    return _conv1d(input, weight, bias, stride, padding, dilation, groups, "conv1d")


class Conv1d(ConvLayer):
    """1-D convolution over (N, C, L) input, as torch.nn.Conv1d.

    Weight (out_channels, in_channels / groups, k), init kaiming_uniform(a=sqrt(5)); bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * k, as PyTorch.
    padding_mode 'reflect', 'replicate' or 'circular' pads the input in that mode first
    (for 'same', an odd total's extra sample at the end), then convolves unpadded.
    """

    _sizes = staticmethod(_one)

    def forward(self, x: Tensor) -> Tensor:
        check_input(x.shape, self.in_channels, "L", "Conv1d")
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        if self.padding_mode != "zeros":
            if any(self._mode_pads):
                left, right = self._mode_pads
                x = _as_signal(pad_mode(_as_image(x), (left, right, 0, 0), self.padding_mode,
                                        "Conv1d"))  # fmt: skip
            padding = 0
        return _conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                       self.groups, "Conv1d")  # fmt: skip


def _conv_transpose1d(
    input, weight, bias, stride, padding, output_padding, groups, dilation, who: str
) -> Tensor:  # fmt: skip
    float_data(input, who)
    w = weight.data
    if w.ndim != 3:
        raise ValueError(f"{who}: weight must be 3-D (in, out / groups, k), got shape {w.shape}")
    in_ch, _, k = w.shape
    check_input(input.shape, in_ch, "L", who)
    stride, padding, output_padding, dilation = transposed_arguments(
        _one, stride, padding, output_padding, dilation, who
    )
    check_output_padding(output_padding, stride, dilation, who)
    (s,), (p,), (op,), (d,) = stride, padding, output_padding, dilation
    length = input.shape[-1]
    out_len = transposed_output_size(length, k, s, p, d, op)
    if out_len < 1:
        raise ValueError(
            f"{who}: input length {length} with padding {p} gives an output of length "
            f"{out_len}; it must be at least 1"
        )
    out = _conv_transpose2d(_as_image(input), _as_image(weight), bias, (1, s), (0, p),
                            (0, op), groups, (1, d), who)  # fmt: skip
    return _as_signal(out)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """1-D transposed convolution of (N, C_in, L) or (C_in, L) input with weight
    (C_in, O/groups, K), as PyTorch: output length (L - 1) * stride - 2 * padding +
    dilation * (K - 1) + output_padding + 1 (0 is a ValueError; PyTorch returns an empty
    output)."""
    return _conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, "conv_transpose1d")  # fmt: skip


class ConvTranspose1d(ConvTransposeLayer):
    """1-D transposed convolution over (N, C, L) input, as torch.nn.ConvTranspose1d.

    Weight (in_channels, out_channels / groups, k), init kaiming_uniform(a=sqrt(5)); bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = out_channels / groups * k (the weight's
    dimension 1, as PyTorch). forward(x, output_size=None) as ConvTranspose2d's. Only
    padding_mode='zeros' exists, as PyTorch.
    """

    _sizes = staticmethod(_one)

    def forward(self, x: Tensor, output_size=None) -> Tensor:
        return self._forward(x, output_size, "L", _conv_transpose1d, "ConvTranspose1d")
