"""What the convolution layers share (Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d):
the checks of channels, groups and padding mode, the weight and bias with PyTorch's default
initialisation, and PyTorch's repr. Each layer parses its own sizes (kernel_size, stride,
padding, dilation as tuples of its dimension) and runs its own convolution."""

from __future__ import annotations

import math

import numpy as np

from ..default_dtype import default_float
from . import init
from .conv_padding import PADDING_MODES
from .module import Module, Parameter


def is_positive_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


class ConvLayer(Module):
    """Base of the convolution layers; `transposed` layers keep the weight as
    (in_channels, out_channels / groups, *kernel_size), the others as (out_channels,
    in_channels / groups, *kernel_size), as PyTorch."""

    transposed = False

    def __init__(self, in_channels: int, out_channels: int, groups: int, padding_mode: str):
        super().__init__()
        who = type(self).__name__
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not is_positive_int(value):
                raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
        if not is_positive_int(groups) or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{who}: groups must be a positive int dividing in_channels ({in_channels}) "
                f"and out_channels ({out_channels}), got groups={groups!r}"
            )
        if self.transposed and padding_mode != "zeros":
            raise ValueError(
                f"{who}: only padding_mode='zeros' is supported, got {padding_mode!r}"
            )
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"{who}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}"
            )
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.groups = int(groups)
        self.padding_mode = padding_mode

    def _add_parameters(self, bias: bool, dtype) -> None:
        """The weight and (if `bias`) the bias, initialised; after kernel_size is set."""
        dtype = default_float(dtype)
        first, second = self.in_channels, self.out_channels
        if not self.transposed:
            first, second = second, first
        shape = (first, second // self.groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's: weight kaiming_uniform(a=sqrt(5)); bias U(-1/sqrt(fan_in),
        1/sqrt(fan_in)), fan_in = the weight's dimension 1 times the kernel's size (for a
        transposed layer that is out_channels / groups, as PyTorch)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.weight.shape[1] * math.prod(self.kernel_size))
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        zeros, ones = (0,) * len(self.kernel_size), (1,) * len(self.kernel_size)
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != zeros:  # as PyTorch, 'same' and 'valid' are shown too
            text += f", padding={self.padding}"
        if self.dilation != ones:
            text += f", dilation={self.dilation}"
        if getattr(self, "output_padding", zeros) != zeros:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text
