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

from ..devices import check_cpu
from ..tensor import Tensor
from ._layout import channels_last, float_data, pair
from ._workspace import scratch
from .conv import _bias_grad, _bias_vector, _unbatched
from .conv_grouped import _col2im_grouped, _im2col_grouped, grouped_weight
from .conv_kernels import _col2im, _im2col
from .conv_layer import ConvLayer, is_positive_int


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


def _non_negative_pair(value, name: str, who: str) -> tuple[int, int]:
    h, w = pair(value, name, who)  # a TypeError for conv2d's 'same' / 'valid', as PyTorch
    if min(h, w) < 0:
        raise ValueError(f"{who}: {name} must be >= 0, got {value!r}")
    return h, w


def _positive_pair(value, name: str, who: str) -> tuple[int, int]:
    h, w = pair(value, name, who)
    if min(h, w) < 1:
        raise ValueError(f"{who}: {name} must be >= 1, got {value!r}")
    return h, w


def _check_output_padding(output_padding, stride, dilation, who: str) -> None:
    """PyTorch's rule, per axis: output_padding < stride or output_padding < dilation (a
    larger one would add output rows that no input pixel reaches)."""
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(
                f"{who}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )


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
    if not is_positive_int(groups) or w.shape[0] % groups:
        raise ValueError(
            f"{who}: groups must be a positive int dividing the weight's in channels "
            f"({w.shape[0]}), got groups={groups!r}"
        )
    groups = int(groups)
    in_ch, out_per_group, kh, kw = w.shape
    out_ch = out_per_group * groups
    # the kernels read bias[o] for every output channel: a shorter bias would be read past
    if bias is not None and bias.data.shape != (out_ch,):
        raise ValueError(
            f"{who}: expected bias of shape ({out_ch},) for {out_ch} output channels "
            f"(weight {w.shape}, groups={groups}), got {bias.data.shape}"
        )
    unbatched = x.ndim == 3
    x4 = x[None] if unbatched else x
    if x4.ndim != 4 or x4.shape[1] != in_ch:
        raise ValueError(
            f"{who}: expected input of shape (N, {in_ch}, H, W) or ({in_ch}, H, W), "
            f"got {tuple(input.shape)}"
        )
    stride = _positive_pair(stride, "stride", who)
    dilation = _positive_pair(dilation, "dilation", who)
    padding = _non_negative_pair(padding, "padding", who)
    output_padding = _non_negative_pair(output_padding, "output_padding", who)
    _check_output_padding(output_padding, stride, dilation, who)
    height, width = x4.shape[2:]
    out_size = tuple(
        (size - 1) * s - 2 * p + d * (k - 1) + op + 1
        for size, k, s, p, d, op in zip(
            (height, width), (kh, kw), stride, padding, dilation, output_padding
        )
    )
    if min(out_size) < 1:
        raise ValueError(
            f"{who}: input {height}x{width} with padding {padding} gives an output of "
            f"{out_size[0]}x{out_size[1]}; the output must be at least 1x1"
        )
    dtype = np.result_type(x.dtype, w.dtype)
    out, backward = _transposed_node(input, weight, bias, x4, dtype, stride, padding, dilation,
                                     out_size, groups)  # fmt: skip
    if unbatched:
        out, backward = _unbatched(out, backward)
    parents = (input, weight) if bias is None else (input, weight, bias)
    return Tensor.make(out, parents, backward)


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
    smallest = [
        (size - 1) * s - 2 * p + d * (k - 1) + 1
        for size, k, s, p, d in zip(spatial_in, kernel_size, stride, padding, dilation)
    ]
    largest = [low + s - 1 for low, s in zip(smallest, stride)]
    if any(not low <= int(want) <= high for want, low, high in zip(sizes, smallest, largest)):
        raise ValueError(
            f"{who}: requested an output size of {tuple(sizes)}, but valid sizes range from "
            f"{smallest} to {largest} (for an input of {spatial_in})"
        )
    return tuple(int(want) - low for want, low in zip(sizes, smallest))


class ConvTranspose2d(ConvLayer):
    """2-D transposed convolution over (N, C, H, W) input, as torch.nn.ConvTranspose2d.

    Weight (in_channels, out_channels / groups, kH, kW), init kaiming_uniform(a=sqrt(5));
    bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = out_channels / groups * kH * kW
    (the weight's dimension 1, as PyTorch). forward(x, output_size=None): output_size
    (OH, OW), optionally with the leading dimensions, picks the output_padding instead of
    the layer's. Only padding_mode='zeros' exists, as PyTorch. As PyTorch, output_padding
    is checked against stride and dilation when the layer runs, not when it is built.
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
        check_cpu("ConvTranspose2d", device)
        super().__init__(in_channels, out_channels, groups, padding_mode)
        name = type(self).__name__
        self.kernel_size = _positive_pair(kernel_size, "kernel_size", name)
        self.stride = _positive_pair(stride, "stride", name)
        self.padding = _non_negative_pair(padding, "padding", name)
        self.output_padding = _non_negative_pair(output_padding, "output_padding", name)
        self.dilation = _positive_pair(dilation, "dilation", name)
        self._add_parameters(bias, dtype)

    def _check_input(self, x: Tensor) -> None:
        if x.ndim not in (3, 4) or x.shape[-3] != self.in_channels:
            raise ValueError(
                f"ConvTranspose2d: expected input of shape (N, {self.in_channels}, H, W) or "
                f"({self.in_channels}, H, W), got {tuple(x.shape)}"
            )

    def forward(self, x: Tensor, output_size=None) -> Tensor:
        self._check_input(x)
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = output_padding_for(
                output_size, x.shape, self.kernel_size, self.stride, self.padding,
                self.dilation, 2, "ConvTranspose2d",
            )  # fmt: skip
        return _conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                 output_padding, self.groups, self.dilation,
                                 "ConvTranspose2d")  # fmt: skip
