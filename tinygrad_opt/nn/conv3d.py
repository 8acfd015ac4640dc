"""3-D (volumetric) convolutions: `Conv3d`, `ConvTranspose3d` and their functional forms.

Both are one graph node each on conv3d_kernels.py's im2col / col2im and numpy's BLAS, as
the 2-D im2col route (conv.py) and ConvTranspose2d (conv_transpose.py):

- conv3d: the (N, C, D, H, W) input is read channels-last, its patches gathered per group
  into (G, N*OD*OH*OW, K), K = KD*KH*KW*C/G, and ONE batched product with the (G, K, O/G)
  weights gives the output, already channels-last. Backward: dW = g^T cols, dcols = g W
  (BLAS), then col2im scatter-adds dcols into dx.
- conv_transpose3d is the input gradient of conv3d with the weight read as (out = C_in,
  in = O/G): patches = x W, scattered into the output by col2im; its backward gathers the
  output gradient's patches with im2col.

Sizes, defaults, layouts, init and state_dict keys are torch.nn's (ConvLayer). Outputs are
NCDHW-shaped views of channels-last memory. The non-zero padding modes of Conv3d pad the
input first through F.pad, as PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._layout import float_data
from ._workspace import scratch
from .conv import _bias_grad, _bias_vector, _conv_tensor, _pad_after
from .conv3d_kernels import _col2im3d, _im2col3d
from .conv_args import (
    check_bias,
    check_groups,
    check_input,
    check_output_padding,
    conv_arguments,
    conv_output_size,
    padding_sides,
    transposed_arguments,
    transposed_output_size,
)
from .conv_layer import ConvLayer, ConvTransposeLayer
from .conv_padding import PADDING_MODES
from .padding import pad


def triple(value, name: str, who: str) -> tuple[int, int, int]:
    """An int or three ints as (d, h, w), as PyTorch's _triple."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * 3
    if (
        isinstance(value, (tuple, list))
        and len(value) == 3
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        return tuple(int(v) for v in value)
    raise TypeError(f"{who}: {name} must be an int or a tuple of three ints, got {value!r}")


def _channels_last(a: np.ndarray, dtype) -> np.ndarray:
    """(N, C, D, H, W) as a C-contiguous (N, D, H, W, C) array; no copy if it already is."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 4, 1), dtype=dtype)


def _grouped_weight(w: np.ndarray, groups: int, dtype) -> np.ndarray:
    """A (A, B, KD, KH, KW) weight as (G, A/G, KD*KH*KW*B): rows in the patches' (a, i, j, c)
    order."""
    rows = np.ascontiguousarray(w.transpose(0, 2, 3, 4, 1), dtype=dtype)
    return rows.reshape(groups, w.shape[0] // groups, -1)


def _weight_from_grouped(dw_g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of _grouped_weight for a gradient: (G, A/G, K) as (A, B, KD, KH, KW)."""
    first, second, kd, kh, kw = shape
    return dw_g.reshape(first, kd, kh, kw, second).transpose(0, 4, 1, 2, 3)


def _group_rows(a: np.ndarray, groups: int) -> np.ndarray:
    """A channels-last (N, D, H, W, C) array as (G, N*D*H*W, C/G) row blocks (a view)."""
    channels = a.shape[-1]
    rows = a.size // channels if channels else 0
    return a.reshape(rows, groups, channels // groups).transpose(1, 0, 2)


def _ungroup_rows(a_g: np.ndarray, spatial: tuple[int, ...]) -> np.ndarray:
    """The inverse of _group_rows: (G, rows, C/G) as a fresh (N, D, H, W, C) array."""
    groups, rows, per_group = a_g.shape
    out = np.empty((*spatial, groups * per_group), dtype=a_g.dtype)
    out.reshape(rows, groups, per_group)[...] = a_g.transpose(1, 0, 2)
    return out


def _add_bias(out: np.ndarray, bias: Tensor | None, dtype) -> None:
    if bias is not None:
        # over whole output rows, as conv.py: a short (O,) broadcast per voxel is slow
        n, channels = out.shape[0], out.shape[-1]
        per_sample = out.size // n if n else 0
        out.reshape(n, per_sample)[...] += np.tile(
            _bias_vector(bias, channels, dtype), per_sample // channels
        )


def _conv3d_node(input, weight, bias, x, dtype, stride, padding, dilation, out_size, groups):
    """The graph node of conv3d on the checked (N, C, D, H, W) array x: (output, backward)."""
    w = weight.data
    out_ch, per_group, kd, kh, kw = w.shape
    n = x.shape[0]
    out_spatial = (n, *out_size)
    rows = n * out_size[0] * out_size[1] * out_size[2]
    geometry = (*stride, *padding, *dilation)
    cols9 = scratch((groups, *out_spatial, kd, kh, kw, per_group), dtype)
    _im2col3d(_channels_last(x, dtype), cols9, *geometry)
    # sizes spelled out, not -1: numpy cannot infer one next to an empty batch
    cols = cols9.reshape(groups, rows, kd * kh * kw * per_group)
    w_g = _grouped_weight(w, groups, dtype)  # (G, O/G, K)
    out = _ungroup_rows(np.matmul(cols, w_g.transpose(0, 2, 1)), out_spatial)
    _add_bias(out, bias, dtype)

    def backward(g: np.ndarray):
        g_g = _group_rows(_channels_last(g, dtype), groups)  # (G, rows, O/G)
        gx = gw = gb = None
        if weight.requires_grad:
            gw = _weight_from_grouped(np.matmul(g_g.transpose(0, 2, 1), cols), w.shape)
        if bias is not None and bias.requires_grad:
            gb = _bias_grad(np.ascontiguousarray(g_g.transpose(1, 0, 2)).reshape(rows, out_ch),
                            dtype)  # fmt: skip
        if input.requires_grad:
            dcols = np.matmul(g_g, w_g, out=scratch(cols.shape, dtype))  # (G, rows, K)
            dx = np.empty((n, *x.shape[2:], x.shape[1]), dtype=dtype)
            _col2im3d(dcols.reshape(cols9.shape), dx, *geometry)
            gx = dx.transpose(0, 4, 1, 2, 3)
        return (gx, gw) if bias is None else (gx, gw, gb)

    return out.transpose(0, 4, 1, 2, 3), backward


def _conv3d(input, weight, bias, stride, padding, dilation, groups, who: str) -> Tensor:
    x = float_data(input, who)
    w = weight.data
    if w.ndim != 5:
        raise ValueError(
            f"{who}: weight must be 5-D (out, in / groups, kD, kH, kW), got shape {w.shape}"
        )
    out_ch, per_group = w.shape[:2]
    kernel = w.shape[2:]
    check_bias(bias, out_ch, who)
    groups = check_groups(groups, out_ch, "out channels", who)
    check_input(input.shape, per_group * groups, "D, H, W", who)
    x5 = x[None] if x.ndim == 4 else x
    stride, padding, dilation = conv_arguments(triple, stride, padding, dilation, who)
    sides = padding_sides(padding, kernel, dilation)
    padding = tuple(before for before, _ in sides)
    if any(after != before for before, after in sides):
        # 'same' with an odd total: pad for the extra zeros, then convolve symmetrically
        return _conv3d(_pad_after(input, sides), weight, bias, stride, padding, dilation,
                       groups, who)  # fmt: skip
    spatial = x5.shape[2:]
    out_size = tuple(map(conv_output_size, spatial, kernel, stride, padding, dilation))
    if min(out_size) < 1:
        raise ValueError(
            f"{who}: input {spatial} (padding {padding}) is smaller than the kernel "
            f"{tuple(kernel)} (dilation {dilation})"
        )
    dtype = np.result_type(x.dtype, w.dtype)
    out, backward = _conv3d_node(input, weight, bias, x5, dtype, stride, padding, dilation,
                                 out_size, groups)  # fmt: skip
    return _conv_tensor(input, weight, bias, out, backward, x.ndim == 4)


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation of (N, C, D, H, W) or (C, D, H, W) input with weight
    (O, C/groups, KD, KH, KW), as PyTorch: stride, zero padding (int, triple, 'same' with
    stride 1, 'valid'), dilation and groups. Errors are ValueErrors (PyTorch raises
    RuntimeError for a channel mismatch)."""
    return _conv3d(input, weight, bias, stride, padding, dilation, groups, "conv3d")


def _check_mode_padding(shape, pads, mode: str, who: str) -> None:
    """PyTorch's limits on the padded sizes: reflect needs each pad < the size, circular at
    most the size. pads is (left, right, top, bottom, front, back)."""
    for axis, (low, high) in enumerate(zip(pads[::2], pads[1::2])):
        size = shape[-1 - axis]
        if (mode == "reflect" and max(low, high) >= size) or (
            mode == "circular" and max(low, high) > size
        ):
            limit = "smaller than" if mode == "reflect" else "at most"
            raise ValueError(
                f"{who}: padding_mode={mode!r} needs padding {limit} the input size, got "
                f"padding {(low, high)} for dimension {len(shape) - 1 - axis} of size {size} "
                f"(input {tuple(shape)})"
            )


class Conv3d(ConvLayer):
    """3-D convolution over (N, C, D, H, W) input, as torch.nn.Conv3d.

    Weight (out_channels, in_channels / groups, kD, kH, kW), init kaiming_uniform(a=sqrt(5));
    bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * kD * kH * kW, as
    PyTorch. padding_mode 'reflect', 'replicate' or 'circular' pads the input in that mode
    first (for 'same', an odd total's extra voxel at the end), then convolves unpadded.
    """

    _sizes = staticmethod(triple)

    def forward(self, x: Tensor) -> Tensor:
        check_input(x.shape, self.in_channels, "D, H, W", "Conv3d")
        padding = self.padding
        if self.padding_mode != "zeros":
            if self.padding_mode not in PADDING_MODES:  # changed after __init__
                raise ValueError(
                    f"Conv3d: padding_mode must be one of {PADDING_MODES}, got "
                    f"{self.padding_mode!r}"
                )
            if any(self._mode_pads):
                _check_mode_padding(x.shape, self._mode_pads, self.padding_mode, "Conv3d")
                x = pad(x, self._mode_pads, self.padding_mode)
            padding = 0
        return _conv3d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                       self.groups, "Conv3d")  # fmt: skip


def _transposed_node(input, weight, bias, x, dtype, stride, padding, dilation, out_size, groups):
    """The graph node of conv_transpose3d on the checked (N, C_in, D, H, W) array x."""
    w = weight.data
    in_ch, out_per_group, kd, kh, kw = w.shape
    n = x.shape[0]
    rows = x.size // in_ch if in_ch else 0
    geometry = (*stride, *padding, *dilation)
    x_g = _group_rows(_channels_last(x, dtype), groups)  # (G, N*D*H*W, C_in/G)
    w_g = _grouped_weight(w, groups, dtype)  # (G, C_in/G, K), K = KD*KH*KW*O/G
    patch_shape = (groups, n, *x.shape[2:], kd, kh, kw, out_per_group)
    cols = np.matmul(x_g, w_g, out=scratch((groups, rows, w_g.shape[2]), dtype))
    out = np.empty((n, *out_size, out_per_group * groups), dtype=dtype)
    _col2im3d(cols.reshape(patch_shape), out, *geometry)
    del cols  # its memory may serve the backward's patches
    _add_bias(out, bias, dtype)

    def backward(g: np.ndarray):
        g_cl = _channels_last(g, dtype)
        gx = gw = gb = None
        if input.requires_grad or weight.requires_grad:
            g_cols9 = scratch(patch_shape, dtype)
            _im2col3d(g_cl, g_cols9, *geometry)
            g_cols = g_cols9.reshape(groups, rows, w_g.shape[2])
            if input.requires_grad:
                dx = _ungroup_rows(np.matmul(g_cols, w_g.transpose(0, 2, 1)),
                                   (n, *x.shape[2:]))  # fmt: skip
                gx = dx.transpose(0, 4, 1, 2, 3)
            if weight.requires_grad:
                gw = _weight_from_grouped(np.matmul(x_g.transpose(0, 2, 1), g_cols), w.shape)
        if bias is not None and bias.requires_grad:
            gb = _bias_grad(g_cl.reshape(-1, g_cl.shape[-1]), dtype)
        return (gx, gw) if bias is None else (gx, gw, gb)

    return out.transpose(0, 4, 1, 2, 3), backward


def _conv_transpose3d(
    input, weight, bias, stride, padding, output_padding, groups, dilation, who: str
) -> Tensor:  # fmt: skip
    x = float_data(input, who)
    w = weight.data
    if w.ndim != 5:
        raise ValueError(
            f"{who}: weight must be 5-D (in, out / groups, kD, kH, kW), got shape {w.shape}"
        )
    in_ch = w.shape[0]
    groups = check_groups(groups, in_ch, "in channels", who)
    check_bias(bias, w.shape[1] * groups, who)
    check_input(input.shape, in_ch, "D, H, W", who)
    x5 = x[None] if x.ndim == 4 else x
    stride, padding, output_padding, dilation = transposed_arguments(
        triple, stride, padding, output_padding, dilation, who
    )
    check_output_padding(output_padding, stride, dilation, who)
    spatial = x5.shape[2:]
    out_size = tuple(map(transposed_output_size, spatial, w.shape[2:], stride, padding,
                         dilation, output_padding))  # fmt: skip
    if min(out_size) < 1:
        raise ValueError(
            f"{who}: input {spatial} with padding {padding} gives an output of {out_size}; "
            "the output must be at least 1x1x1"
        )
    dtype = np.result_type(x.dtype, w.dtype)
    out, backward = _transposed_node(input, weight, bias, x5, dtype, stride, padding, dilation,
                                     out_size, groups)  # fmt: skip
    return _conv_tensor(input, weight, bias, out, backward, x.ndim == 4)


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """3-D transposed convolution of (N, C_in, D, H, W) or (C_in, D, H, W) input with weight
    (C_in, O/groups, KD, KH, KW), as PyTorch (the input gradient of conv3d with that weight).

    Output size per axis (S - 1) * stride - 2 * padding + dilation * (K - 1) +
    output_padding + 1; output_padding must be below stride or dilation. Errors are
    ValueErrors (PyTorch raises RuntimeError). Deviation: an output size of 0 is a
    ValueError too; PyTorch returns an empty output."""
    return _conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, "conv_transpose3d")  # fmt: skip


class ConvTranspose3d(ConvTransposeLayer):
    """3-D transposed convolution over (N, C, D, H, W) input, as torch.nn.ConvTranspose3d.

    Weight (in_channels, out_channels / groups, kD, kH, kW), init kaiming_uniform(a=sqrt(5));
    bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = out_channels / groups * kD * kH * kW
    (the weight's dimension 1, as PyTorch). forward(x, output_size=None) picks the
    output_padding from output_size, as ConvTranspose2d's. Only padding_mode='zeros' exists,
    as PyTorch; output_padding is checked against stride and dilation when the layer runs.
    """

    _sizes = staticmethod(triple)

    def forward(self, x: Tensor, output_size=None) -> Tensor:
        return self._forward(x, output_size, "D, H, W", _conv_transpose3d, "ConvTranspose3d")
