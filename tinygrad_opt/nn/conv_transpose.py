"""`ConvTranspose2d`: a transposed convolution as one graph node, on conv.py's machinery.

A transposed convolution with weight W (C_in, O/G, KH, KW) is the input gradient of the
convolution whose weight is W read as (out = C_in, in = O/G, KH, KW): it maps each input
pixel to a KH x KW patch of the output, and overlapping patches add up. So:

- forward: patch values = x W as one BLAS product ((N*H*W, C_in) by (C_in, KH*KW*O) per
  group), then the convolution's col2im kernel scatter-adds them into the output;
- backward: the input gradient is that convolution's forward on the output gradient
  (im2col, then the product with W^T), the weight gradient is x^T times those patches,
  and the bias gradient the output gradient summed over batch and positions.

The output size is (H - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1
per axis; output_padding must be smaller than the stride or the dilation of its axis, as
PyTorch requires. Groups split C_in and O as in conv2d; every group's product is one
batched matmul. The output is an NCHW-shaped view of NHWC memory, as conv.py's routes.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._layout import channels_last, float_data, pair
from ._workspace import scratch
from .conv import _bias_grad, _bias_vector, _conv_tensor
from .conv_args import (
    check_bias,
    check_groups,
    check_input,
    check_output_padding,
    transposed_arguments,
    transposed_output_size,
)
from .conv_grouped import _col2im_grouped, _im2col_grouped, grouped_weight
from .conv_kernels import _col2im, _im2col
from .conv_layer import ConvTransposeLayer


def _patches_to_image(cols7: np.ndarray, image: np.ndarray, geometry) -> None:
    """image (N, OH, OW, O) = the scatter-add of patches cols7 (G, N, H, W, KH, KW, O/G)."""
    if cols7.shape[0] == 1:  # one group: the same memory as _col2im's (N, H, W, KH, KW, O)
        _col2im(cols7[0], image, *geometry)
    else:
        _col2im_grouped(cols7, image, *geometry)


def _image_to_patches(image: np.ndarray, cols7: np.ndarray, geometry) -> None:
    """cols7 (G, N, H, W, KH, KW, O/G) = the patches of image (N, OH, OW, O), the adjoint."""
    if cols7.shape[0] == 1:
        _im2col(image, cols7[0], *geometry)
    else:
        _im2col_grouped(image, cols7, *geometry)


def _transposed_node(input, weight, bias, x, dtype, stride, padding, dilation, out_size, groups):
    """The graph node of conv_transpose2d on the checked (N, C_in, H, W) array x."""
    w = weight.data
    in_ch, out_per_group, kh, kw = w.shape
    out_ch, in_per_group = out_per_group * groups, in_ch // groups
    n, _, height, width = x.shape
    out_h, out_w = out_size
    rows = n * height * width
    geometry = (kh, kw, *stride, *padding, *dilation)
    # the input as (G, N*H*W, C_in/G) row blocks: strided views that BLAS reads as they are
    x_rows = channels_last(x.astype(dtype, copy=False)).reshape(rows, in_ch)
    x_g = x_rows.reshape(rows, groups, in_per_group).transpose(1, 0, 2)
    w_g = grouped_weight(w, groups, dtype)  # (G, C_in/G, K), K = KH*KW*O/G in (i, j, o) order
    patch_shape = (groups, n, height, width, kh, kw, out_per_group)
    cols = np.matmul(x_g, w_g, out=scratch((groups, rows, w_g.shape[2]), dtype))
    out_nhwc = np.empty((n, out_h, out_w, out_ch), dtype=dtype)
    _patches_to_image(cols.reshape(patch_shape), out_nhwc, geometry)
    del cols  # its memory may serve the backward's patches
    if bias is not None:
        # whole output rows, as conv.py: a short (O,) broadcast per pixel is slow
        bias_rows = np.tile(_bias_vector(bias, out_ch, dtype), out_h * out_w)
        out_nhwc.reshape(n, out_h * out_w * out_ch)[...] += bias_rows

    def backward(g: np.ndarray):
        g_nhwc = channels_last(g.astype(dtype, copy=False))
        gx = gw = gb = None
        if input.requires_grad or weight.requires_grad:
            g_cols7 = scratch(patch_shape, dtype)
            _image_to_patches(g_nhwc, g_cols7, geometry)
            g_cols = g_cols7.reshape(groups, rows, w_g.shape[2])
            if input.requires_grad:
                dx_g = np.matmul(g_cols, w_g.transpose(0, 2, 1))  # (G, N*H*W, C_in/G)
                dx = np.empty((n, height, width, in_ch), dtype=dtype)
                dx.reshape(rows, groups, in_per_group)[...] = dx_g.transpose(1, 0, 2)
                gx = dx.transpose(0, 3, 1, 2)
            if weight.requires_grad:
                dw_g = np.matmul(x_g.transpose(0, 2, 1), g_cols)  # (G, C_in/G, K)
                gw = (
                    dw_g.reshape(groups, in_per_group, kh, kw, out_per_group)
                    .transpose(0, 1, 4, 2, 3)
                    .reshape(in_ch, out_per_group, kh, kw)
                )
        if bias is not None and bias.requires_grad:
            gb = _bias_grad(g_nhwc.reshape(-1, out_ch), dtype)
        return (gx, gw) if bias is None else (gx, gw, gb)

    return out_nhwc.transpose(0, 3, 1, 2), backward


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """2-D transposed convolution of (N, C_in, H, W) or (C_in, H, W) input with weight
    (C_in, O/groups, KH, KW), as PyTorch (the input gradient of conv2d with that weight).

    Output (N, O, OH, OW), OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) +
    output_padding + 1. Errors are ValueErrors (PyTorch raises RuntimeError for a channel
    mismatch, an output_padding not below stride or dilation, or a negative output size).
    Deviation: an output size of 0 is a ValueError too; PyTorch returns an empty output."""
    return _conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, "conv_transpose2d")  # fmt: skip


def _conv_transpose2d(
    input, weight, bias, stride, padding, output_padding, groups, dilation, who: str
) -> Tensor:  # fmt: skip
    x = float_data(input, who)
    w = weight.data
    if w.ndim != 4:
        raise ValueError(f"{who}: weight must be 4-D (in, out / groups, kH, kW), got shape "
                         f"{w.shape}")  # fmt: skip
    groups = check_groups(groups, w.shape[0], "in channels", who)
    in_ch, out_per_group, kh, kw = w.shape
    check_bias(bias, out_per_group * groups, who)
    check_input(input.shape, in_ch, "H, W", who)
    unbatched = x.ndim == 3
    x4 = x[None] if unbatched else x
    # pair's TypeError refuses conv2d's 'same' / 'valid', as PyTorch
    stride, padding, output_padding, dilation = transposed_arguments(
        pair, stride, padding, output_padding, dilation, who
    )
    check_output_padding(output_padding, stride, dilation, who)
    height, width = x4.shape[2:]
    out_size = tuple(map(transposed_output_size, (height, width), (kh, kw), stride, padding,
                         dilation, output_padding))  # fmt: skip
    if min(out_size) < 1:
        raise ValueError(
            f"{who}: input {height}x{width} with padding {padding} gives an output of "
            f"{out_size[0]}x{out_size[1]}; the output must be at least 1x1"
        )
    dtype = np.result_type(x.dtype, w.dtype)
    out, backward = _transposed_node(input, weight, bias, x4, dtype, stride, padding, dilation,
                                     out_size, groups)  # fmt: skip
    return _conv_tensor(input, weight, bias, out, backward, unbatched)


class ConvTranspose2d(ConvTransposeLayer):
    """2-D transposed convolution over (N, C, H, W) input, as torch.nn.ConvTranspose2d.

    Weight (in_channels, out_channels / groups, kH, kW), init kaiming_uniform(a=sqrt(5));
    bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = out_channels / groups * kH * kW
    (the weight's dimension 1, as PyTorch). forward(x, output_size=None): output_size
    (OH, OW), optionally with the leading dimensions, picks the output_padding instead of
    the layer's. Only padding_mode='zeros' exists, as PyTorch. As PyTorch, output_padding
    is checked against stride and dilation when the layer runs, not when it is built.
    """

    _sizes = staticmethod(pair)

    def forward(self, x: Tensor, output_size=None) -> Tensor:
        return self._forward(x, output_size, "H, W", _conv_transpose2d, "ConvTranspose2d")
