"""What the convolution layers share (Conv1d/2d/3d, ConvTranspose1d/2d/3d): PyTorch's
constructors with the checks of channels, groups, padding mode and sizes (conv_args.py),
the weight and bias with PyTorch's default initialisation, a transposed layer's forward,
and PyTorch's repr. Each layer names `_sizes`, its dimension's reader of an int or a tuple
(conv1d's one-tuple, _layout.pair, conv3d.triple); a non-transposed one runs its own
forward (their padding modes differ)."""

from __future__ import annotations

import math

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..tensor import Tensor
from . import init
from .conv_args import (
    at_least,
    check_input,
    conv_arguments,
    is_positive_int,
    last_axis_first,
    output_padding_for,
    padding_sides,
    transposed_arguments,
)
from .conv_padding import PADDING_MODES
from .module import Module, Parameter


class ConvLayer(Module):
    """Base of the convolution layers, with torch.nn.Conv2d's constructor; `transposed`
    layers (ConvTransposeLayer) keep the weight as (in_channels, out_channels / groups,
    *kernel_size), the others as (out_channels, in_channels / groups, *kernel_size), as
    PyTorch."""

    transposed = False
    _sizes = None  # set by each layer: (value, name, who) -> a tuple of its dimension

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        device=None,
        dtype=None,
    ) -> None:
        who = self._start(in_channels, out_channels, groups, padding_mode, device)
        self.kernel_size = at_least(self._sizes, kernel_size, "kernel_size", 1, who)
        self.stride, self.padding, self.dilation = conv_arguments(self._sizes, stride, padding,
                                                                  dilation, who)  # fmt: skip
        # F.pad's (left, right, top, bottom, ...) for the non-zero padding modes
        self._mode_pads = last_axis_first(padding_sides(self.padding, self.kernel_size,
                                                        self.dilation))  # fmt: skip
        self._add_parameters(bias, dtype)

    def _start(self, in_channels, out_channels, groups, padding_mode, device) -> str:
        """Module.__init__ and the checks every layer shares; returns the layer's name."""
        who = type(self).__name__
        check_cpu(who, device)
        super().__init__()
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
        return who

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


class ConvTransposeLayer(ConvLayer):
    """Base of the transposed convolution layers, with torch.nn.ConvTranspose2d's
    constructor. As PyTorch, output_padding is checked against stride and dilation when the
    layer runs, not when it is built (an output_size given to forward replaces it)."""

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        *,
        device=None,
        dtype=None,
    ) -> None:
        who = self._start(in_channels, out_channels, groups, padding_mode, device)
        self.kernel_size = at_least(self._sizes, kernel_size, "kernel_size", 1, who)
        self.stride, self.padding, self.output_padding, self.dilation = transposed_arguments(
            self._sizes, stride, padding, output_padding, dilation, who
        )
        self._add_parameters(bias, dtype)

    def _forward(self, x: Tensor, output_size, axes: str, convolve, who: str) -> Tensor:
        """forward(x, output_size=None) on the layer's functional worker `convolve`; axes
        names the spatial axes for the input check (e.g. "H, W"). output_size, optionally
        with the leading dimensions, picks the output_padding instead of the layer's."""
        check_input(x.shape, self.in_channels, axes, who)
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = output_padding_for(
                output_size, x.shape, self.kernel_size, self.stride, self.padding,
                self.dilation, len(self.kernel_size), who,
            )  # fmt: skip
        return convolve(x, self.weight, self.bias, self.stride, self.padding, output_padding,
                        self.groups, self.dilation, who)  # fmt: skip
