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

from ..devices import check_cpu
from ..tensor import Tensor
from ._layout import float_data
from .conv import _conv2d, _conv_output_size
from .conv_layer import ConvLayer, is_positive_int
from .conv_padding import pad_mode
from .conv_transpose import _check_output_padding, _conv_transpose2d, output_padding_for


def single(value, name: str, who: str) -> int:
    """An int or a one-element sequence of ints as an int, as PyTorch's _single."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"{who}: {name} must be an int or a one-element tuple of ints, got {value!r}")


def _as_image(t: Tensor) -> Tensor:
    """(N, C, L) or (C, L) as (N, C, 1, L) or (C, 1, L): a view whose gradient flows back."""
    return t.reshape(*t.shape[:-1], 1, t.shape[-1])


def _as_signal(t: Tensor) -> Tensor:
    """The inverse of _as_image for an op's output."""
    return t.reshape(*t.shape[:-2], t.shape[-1])


def _check_signal(x: Tensor, channels: int, who: str) -> None:
    if x.ndim not in (2, 3) or x.shape[-2] != channels:
        raise ValueError(
            f"{who}: expected input of shape (N, {channels}, L) or ({channels}, L), got "
            f"{tuple(x.shape)}"
        )


def _conv_arguments(stride, padding, dilation, who: str):
    """(stride, padding, dilation) of a 1-D conv as the 2-D conv's pairs (strings kept)."""
    s = single(stride, "stride", who)
    d = single(dilation, "dilation", who)
    if min(s, d) < 1:
        raise ValueError(f"{who}: stride and dilation must be >= 1, got {stride}, {dilation}")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{who}: padding must be an int, 'same' or 'valid', got {padding!r}")
        if padding == "same" and s != 1:
            raise ValueError(f"{who}: padding='same' is only supported with stride 1")
        return (1, s), padding, (1, d)
    p = single(padding, "padding", who)
    if p < 0:
        raise ValueError(f"{who}: padding must be >= 0, got {padding}")
    return (1, s), (0, p), (1, d)


def _conv1d(input, weight, bias, stride, padding, dilation, groups, who: str) -> Tensor:
    float_data(input, who)
    w = weight.data
    if w.ndim != 3:
        raise ValueError(f"{who}: weight must be 3-D (out, in / groups, k), got shape {w.shape}")
    out_ch, per_group, k = w.shape
    if not is_positive_int(groups) or out_ch % groups:
        raise ValueError(
            f"{who}: groups must be a positive int dividing the weight's out channels "
            f"({out_ch}), got groups={groups!r}"
        )
    _check_signal(input, per_group * groups, who)
    stride2, padding2, dilation2 = _conv_arguments(stride, padding, dilation, who)
    if not isinstance(padding2, str):
        length = input.shape[-1]
        if _conv_output_size(length, k, stride2[1], padding2[1], dilation2[1]) < 1:
            raise ValueError(
                f"{who}: input length {length} (padding {padding2[1]}) is smaller than the "
                f"kernel size {k} (dilation {dilation2[1]})"
            )
    out = _conv2d(_as_image(input), _as_image(weight), bias, stride2, padding2, dilation2,
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
        check_cpu("Conv1d", device)
        super().__init__(in_channels, out_channels, groups, padding_mode)
        k = single(kernel_size, "kernel_size", "Conv1d")
        if k < 1:
            raise ValueError(f"Conv1d: kernel_size must be >= 1, got {kernel_size!r}")
        (_, s), pad, (_, d) = _conv_arguments(stride, padding, dilation, "Conv1d")
        # tuples of one, as PyTorch stores them
        self.kernel_size, self.stride, self.dilation = (k,), (s,), (d,)
        self.padding = pad if isinstance(pad, str) else (pad[1],)
        # (left, right) for the non-zero modes; 'same' puts an odd total's extra at the end
        total = d * (k - 1) if pad == "same" else 0 if pad == "valid" else 2 * pad[1]
        self._mode_pads = (total // 2, total - total // 2)
        self._add_parameters(bias, dtype)

    def forward(self, x: Tensor) -> Tensor:
        _check_signal(x, self.in_channels, "Conv1d")
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        if self.padding_mode != "zeros":
            if any(self._mode_pads):
                left, right = self._mode_pads
                x = _as_signal(pad_mode(_as_image(x), (left, right, 0, 0), self.padding_mode,
                                        "Conv1d"))  # fmt: skip
            padding = 0
        return _conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                       self.groups, "Conv1d")  # fmt: skip


def _transpose_arguments(stride, padding, output_padding, dilation, who: str):
    """The 1-D arguments of a transposed conv as the 2-D op's pairs, checked."""
    values = {}
    for name, value, least in (("stride", stride, 1), ("padding", padding, 0),
                               ("output_padding", output_padding, 0),
                               ("dilation", dilation, 1)):  # fmt: skip
        values[name] = single(value, name, who)
        if values[name] < least:
            raise ValueError(f"{who}: {name} must be >= {least}, got {value!r}")
    _check_output_padding((values["output_padding"],), (values["stride"],),
                          (values["dilation"],), who)  # fmt: skip
    return tuple((0 if name in ("padding", "output_padding") else 1, values[name])
                 for name in ("stride", "padding", "output_padding", "dilation"))  # fmt: skip


def _conv_transpose1d(
    input, weight, bias, stride, padding, output_padding, groups, dilation, who: str
) -> Tensor:  # fmt: skip
    float_data(input, who)
    w = weight.data
    if w.ndim != 3:
        raise ValueError(f"{who}: weight must be 3-D (in, out / groups, k), got shape {w.shape}")
    in_ch, _, k = w.shape
    _check_signal(input, in_ch, who)
    stride2, padding2, output_padding2, dilation2 = _transpose_arguments(
        stride, padding, output_padding, dilation, who
    )
    length = input.shape[-1]
    out_len = (length - 1) * stride2[1] - 2 * padding2[1] + dilation2[1] * (k - 1)
    if out_len + output_padding2[1] + 1 < 1:
        raise ValueError(
            f"{who}: input length {length} with padding {padding2[1]} gives an output of "
            f"length {out_len + output_padding2[1] + 1}; it must be at least 1"
        )
    out = _conv_transpose2d(_as_image(input), _as_image(weight), bias, stride2, padding2,
                            output_padding2, groups, dilation2, who)  # fmt: skip
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


class ConvTranspose1d(ConvLayer):
    """1-D transposed convolution over (N, C, L) input, as torch.nn.ConvTranspose1d.

    Weight (in_channels, out_channels / groups, k), init kaiming_uniform(a=sqrt(5)); bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = out_channels / groups * k (the weight's
    dimension 1, as PyTorch). forward(x, output_size=None) as ConvTranspose2d's. Only
    padding_mode='zeros' exists, as PyTorch.
    """

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
        check_cpu("ConvTranspose1d", device)
        super().__init__(in_channels, out_channels, groups, padding_mode)
        k = single(kernel_size, "kernel_size", "ConvTranspose1d")
        if k < 1:
            raise ValueError(f"ConvTranspose1d: kernel_size must be >= 1, got {kernel_size!r}")
        self.kernel_size = (k,)
        # tuples of one, as PyTorch; output_padding is checked against stride and dilation
        # in forward (an output_size given there replaces it)
        for name, value, least in (("stride", stride, 1), ("padding", padding, 0),
                                   ("output_padding", output_padding, 0),
                                   ("dilation", dilation, 1)):  # fmt: skip
            number = single(value, name, "ConvTranspose1d")
            if number < least:
                raise ValueError(f"ConvTranspose1d: {name} must be >= {least}, got {value!r}")
            setattr(self, name, (number,))
        self._add_parameters(bias, dtype)

    def forward(self, x: Tensor, output_size=None) -> Tensor:
        _check_signal(x, self.in_channels, "ConvTranspose1d")
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = output_padding_for(
                output_size, x.shape, self.kernel_size, self.stride, self.padding,
                self.dilation, 1, "ConvTranspose1d",
            )  # fmt: skip
        return _conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding,
                                 output_padding, self.groups, self.dilation,
                                 "ConvTranspose1d")  # fmt: skip
