"""`Conv2d`: a convolution as one graph node, by one of three routes.

1. Small stride-1 layers (at most _DIRECT_MAX_TAPS weights per output channel and, where
   route 2 is available, _DIRECT_MAX_OUT_CHANNELS outputs: e.g. a network's first layer)
   convolve directly (conv_direct.py).
2. Other layers run im2col + BLAS in per-thread chunks of samples that stay in cache
   (conv_blocked.py), calling numpy's OpenBLAS from inside the Numba kernel (blas.py).
3. Where that is not possible (width dilation, or a numpy whose OpenBLAS is not the known
   ILP64 build), im2col + ONE product: the input is read as NHWC (free when it came from
   another conv, one copy when it is a plain NCHW array), patches are gathered into `cols`
   of shape (N*OH*OW, KH*KW*C), and `cols @ W^T` gives (N*OH*OW, O), which IS the NHWC
   output. Backward: dW = g^T cols and dcols = g W (BLAS), then a Numba col2im
   scatter-adds dcols into dx. A 1x1, stride-1, unpadded convolution is one plain product.

Grouped convolutions (groups > 1) take their own routes (conv_grouped.py): depthwise ones
(one input channel per group) convolve directly in a Numba kernel; others run im2col into
per-group patches and ONE batched matmul over the group axis. The non-zero padding modes
of Conv2d pad the input first (conv_padding.py, through F.pad), as PyTorch.

Every route returns the NCHW-shaped output as a transposed view of NHWC memory, so no
output transpose copy is made and the next layer reads it channels-last for free.
"""

from __future__ import annotations

import numba
import numpy as np

from ..tensor import Tensor
from . import blas
from ._layout import channels_last, float_data, pair
from ._workspace import scratch
from .activation import ReLU, behind_relu, relu_in_place
from .conv_args import (
    check_bias,
    check_groups,
    check_input,
    conv_arguments,
    conv_output_size,
    last_axis_first,
    padding_sides,
)
from .conv_blocked import conv_backward_blocked, conv_forward_blocked
from .conv_direct import conv_planes_forward, conv_planes_weight_grad
from .conv_grouped import (
    _col2im_grouped,
    _im2col_grouped,
    depthwise_backward,
    depthwise_forward,
    depthwise_rows,
    grouped_weight,
)
from .conv_kernels import _col2im, _im2col, _im2col_rows
from .conv_layer import ConvLayer
from .conv_padding import pad_mode
from .module import Module, is_plain

# Below this many input channels, im2col copies whole window rows (see _im2col_rows).
_FEW_CHANNELS = 8
# Stride-1 layers with at most this many weights per output channel (C * KH * KW) convolve
# directly (conv_direct.py): the im2col product would be a (N*OH*OW x K) by (K x O)
# product with a tiny K, where OpenBLAS is slow (LeNet-5's first layer: 4.6 ms for im2col +
# product vs 0.65 ms direct on one core; the Keras CNN's first layer 5.5 vs 2.6 ms). Larger
# layers keep im2col + BLAS, which is 2-3x faster there (measured on 3x3/5x5 layers of 6-32
# input channels).
_DIRECT_MAX_TAPS = 32
# ... and at most this many output channels where the blocked route below is available:
# its products gain with O. Measured fwd+bwd at 2 threads, direct vs blocked: LeNet-5's
# first layer (O=6) 1.21 vs 2.47 ms, the BN CNN's (O=16) 2.42 vs 2.61, the Keras CNN's
# (O=32) 4.23 vs 3.36.
_DIRECT_MAX_OUT_CHANNELS = 16
# Other layers run im2col + BLAS in per-thread chunks of samples (conv_blocked.py) when
# numpy's OpenBLAS can be called from Numba (blas.py); False forces the one-product path.
_BLOCKED = True
# Patch bytes per chunk (at least one sample): the chunk's patches stay in a core's L2 next
# to the product's packed panels. Measured fwd+bwd at 2 threads, 128 KB vs 512 KB vs 2 MB:
# LeNet-5's second layer (60 KB per sample) 1.98 / 2.17 / 2.41 ms, the BN CNN's second
# (113 KB) 7.0 / 8.0 / 8.6 ms, the Keras CNN's second (663 KB) 62 / 61 / 64 ms.
_CHUNK_BYTES = 1 << 17


def _zero_padded(a: np.ndarray, pad_h: int, pad_w: int, h_axis: int) -> np.ndarray:
    """`a` with pad_h / pad_w zeros around its spatial axes (h_axis, h_axis + 1), as a
    C-contiguous array; no copy when there is no padding and `a` already is contiguous."""
    if not (pad_h or pad_w):
        return np.ascontiguousarray(a)
    shape = list(a.shape)
    shape[h_axis] += 2 * pad_h
    shape[h_axis + 1] += 2 * pad_w
    out = np.zeros(shape, dtype=a.dtype)
    inside = [slice(None)] * a.ndim
    inside[h_axis] = slice(pad_h, pad_h + a.shape[h_axis])
    inside[h_axis + 1] = slice(pad_w, pad_w + a.shape[h_axis + 1])
    out[tuple(inside)] = a
    return out


def _weight_channels_last(w: np.ndarray, dtype) -> np.ndarray:
    """The (O, C, KH, KW) weight as a contiguous (O, KH, KW, C) array: rows of the
    (i, j, c) order every route reads patches in."""
    return np.ascontiguousarray(w.transpose(0, 2, 3, 1), dtype=dtype)


def _bias_vector(bias: Tensor | None, out_ch: int, dtype) -> np.ndarray:
    return np.zeros(out_ch, dtype) if bias is None else bias.data.astype(dtype, copy=False)


def _bias_grad(g2: np.ndarray, dtype) -> np.ndarray:
    """Column sums of the (rows, O) output gradient as a BLAS matrix-vector product: numpy's
    sum over axis 0 of a tall, narrow matrix runs a short inner loop per row (measured 3-6x
    slower)."""
    return np.ones(g2.shape[0], dtype=dtype) @ g2


def _conv2d_blocked(
    input, weight, bias, x, dtype, stride, padding, dilation_h, out_size, relu
):  # fmt: skip
    """conv2d as im2col + BLAS in per-thread, cache-sized chunks (see _BLOCKED), with
    max(y, 0) in the kernel if `relu`: (NCHW-shaped output, backward)."""
    w = weight.data
    out_ch, in_ch, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    n, _, height, width = x.shape
    out_h, out_w = out_size
    xp = _zero_padded(channels_last(x.astype(dtype, copy=False)), ph, pw, 1)
    w_mat = _weight_channels_last(w, dtype).reshape(out_ch, -1)
    w_t = np.ascontiguousarray(w_mat.T)
    item = np.dtype(dtype).itemsize
    chunk = max(1, _CHUNK_BYTES // max(1, out_h * out_w * w_mat.shape[1] * item))
    threads = numba.get_num_threads()
    address = blas.gemm_address(dtype)
    one, zero = np.dtype(dtype).type(1), np.dtype(dtype).type(0)
    out_nhwc = np.empty((n, out_h, out_w, out_ch), dtype=dtype)
    with blas.single_threaded():
        conv_forward_blocked(xp, w_t, _bias_vector(bias, out_ch, dtype), out_nhwc, kh, kw, sh,
                             sw, dilation_h, relu, chunk, threads, address, one, zero)

    def backward(g: np.ndarray):
        g_nhwc = channels_last(g.astype(dtype, copy=False))
        want_w = weight.requires_grad
        want_dx = input.requires_grad
        gx = gw = gb = None
        if want_w or want_dx:
            dx = np.empty((n if want_dx else 0, height, width, in_ch), dtype=dtype)
            with blas.single_threaded():
                dw = conv_backward_blocked(xp, w_mat, g_nhwc, want_w, want_dx, dx, kh, kw, sh,
                                           sw, ph, pw, dilation_h, chunk, threads, address, one,
                                           zero)  # fmt: skip
            if want_w:
                gw = dw.T.reshape(out_ch, kh, kw, in_ch).transpose(0, 3, 1, 2)
            if want_dx:
                gx = dx.transpose(0, 3, 1, 2)
        if bias is not None and bias.requires_grad:
            gb = _bias_grad(g_nhwc.reshape(-1, out_ch), dtype)
        return (gx, gw) if bias is None else (gx, gw, gb)

    return out_nhwc.transpose(0, 3, 1, 2), backward


def _unbatched(out, backward):
    """The output and backward of a batch-of-one convolution for an unbatched input."""

    def unbatched_backward(g: np.ndarray):
        grads = backward(g[None])
        return (None if grads[0] is None else grads[0][0], *grads[1:])

    return out[0], unbatched_backward


def _conv_tensor(input, weight, bias, out, backward, unbatched: bool) -> Tensor:
    """The graph node of a convolution's batched (output, backward), unbatched again for an
    unbatched input."""
    if unbatched:
        out, backward = _unbatched(out, backward)
    parents = (input, weight) if bias is None else (input, weight, bias)
    return Tensor.make(out, parents, backward)


def _pad_after(input: Tensor, sides) -> Tensor:
    """input with the zeros that 'same' padding adds after each axis beyond those before
    it (an odd total's extra one, at the end as PyTorch); the rest is the conv's padding."""
    return input.pad(last_axis_first([(0, after - before) for before, after in sides]))


def _conv2d_direct(input, weight, bias, x, dtype, padding):
    """conv2d for small stride-1 layers without a patch matrix (see _DIRECT_MAX_TAPS):
    (NCHW-shaped output, backward)."""
    w = weight.data
    out_ch, in_ch, kh, kw = w.shape
    ph, pw = padding
    n, _, height, width = x.shape
    xp = _zero_padded(x.astype(dtype, copy=False), ph, pw, 2)
    out_h, out_w = height + 2 * ph - kh + 1, width + 2 * pw - kw + 1
    out_nhwc = np.empty((n, out_h, out_w, out_ch), dtype=dtype)
    conv_planes_forward(xp, _weight_channels_last(w, dtype), _bias_vector(bias, out_ch, dtype),
                        out_nhwc)

    def backward(g: np.ndarray):
        g_nhwc = channels_last(g.astype(dtype, copy=False))
        gx = gw = gb = None
        if weight.requires_grad or (bias is not None and bias.requires_grad):
            gw_k, gb = conv_planes_weight_grad(xp, g_nhwc, kh, kw, 2 * numba.get_num_threads())
            gw = gw_k.transpose(0, 3, 1, 2)
        if input.requires_grad:
            # a stride-1 convolution's input gradient: the output gradient padded by
            # (K - 1 - pad) convolved with the flipped kernel, in and out channels swapped
            gp = _zero_padded(g_nhwc.transpose(0, 3, 1, 2), kh - 1 - ph, kw - 1 - pw, 2)
            w_flip = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 2, 3, 0), dtype=dtype)
            dx = np.empty((n, height, width, in_ch), dtype=dtype)
            conv_planes_forward(gp, w_flip, np.zeros(in_ch, dtype), dx)
            gx = dx.transpose(0, 3, 1, 2)
        return (gx, gw) if bias is None else (gx, gw, gb)

    return out_nhwc.transpose(0, 3, 1, 2), backward


def _conv2d_im2col(
    input, weight, bias, x, dtype, stride, padding, dilation, out_size, pointwise
):  # fmt: skip
    """conv2d as im2col + ONE BLAS product (route 3 of the module docstring), a plain
    product for a pointwise (1x1, stride-1, unpadded) one: (NCHW-shaped output, backward)."""
    w = weight.data
    out_ch, in_ch, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, _, height, width = x.shape
    out_h, out_w = out_size
    x_nhwc = channels_last(x.astype(dtype, copy=False))
    if pointwise:
        cols = x_nhwc.reshape(-1, in_ch)
    else:
        cols6 = scratch((n, out_h, out_w, kh, kw, in_ch), dtype)
        if in_ch < _FEW_CHANNELS and dw == 1:
            padded = _zero_padded(x_nhwc, ph, pw, 1)
            rows = cols6.reshape(n, out_h, out_w, kh, kw * in_ch)
            padded_rows = padded.reshape(n, height + 2 * ph, (width + 2 * pw) * in_ch)
            _im2col_rows(padded_rows, rows, kh, sh, sw, dh, in_ch)
        else:
            _im2col(x_nhwc, cols6, kh, kw, sh, sw, ph, pw, dh, dw)
        cols = cols6.reshape(n * out_h * out_w, kh * kw * in_ch)
    w_mat = _weight_channels_last(w, dtype).reshape(out_ch, -1)  # a small copy
    out2 = cols @ w_mat.T
    if bias is not None:
        # Add the bias over whole output rows (OH*OW*O values per sample, the bias tiled):
        # broadcasting a short (O,) vector over N*OH*OW rows runs an inner loop of only O
        # per row (measured 10x slower for O = 6).
        sample_rows = out2.reshape(n, out_h * out_w * out_ch)  # a view of the fresh product
        sample_rows += np.tile(bias.data.astype(dtype, copy=False), out_h * out_w)

    def backward(g: np.ndarray):
        g2 = channels_last(g.astype(dtype, copy=False)).reshape(-1, out_ch)
        gx = gw = gb = None
        if weight.requires_grad:
            # (cols^T g)^T rather than g^T cols: the same product, but OpenBLAS threads the
            # long reduction over N*OH*OW far better in this orientation (measured 2-5x).
            gw = (cols.T @ g2).T.reshape(out_ch, kh, kw, in_ch).transpose(0, 3, 1, 2)
        if bias is not None and bias.requires_grad:
            gb = _bias_grad(g2, dtype)
        if input.requires_grad:
            dcols = np.matmul(g2, w_mat, out=scratch((g2.shape[0], w_mat.shape[1]), dtype))
            if pointwise:
                dx = dcols.reshape(n, height, width, in_ch)
            else:
                dx = np.empty((n, height, width, in_ch), dtype=dtype)
                _col2im(dcols.reshape(cols6.shape), dx, kh, kw, sh, sw, ph, pw, dh, dw)
            gx = dx.transpose(0, 3, 1, 2)
        return (gx, gw) if bias is None else (gx, gw, gb)

    return out2.reshape(n, out_h, out_w, out_ch).transpose(0, 3, 1, 2), backward


def _padded_channels_last(x: np.ndarray, ph: int, pw: int, dtype) -> np.ndarray:
    """`_zero_padded(channels_last(x), ...)` in one copy instead of two: the transpose is
    written straight into the padded array, and only its border is zeroed."""
    if not (ph or pw):
        return channels_last(x.astype(dtype, copy=False))
    n, channels, height, width = x.shape
    out = np.empty((n, height + 2 * ph, width + 2 * pw, channels), dtype=dtype)
    out[:, :ph] = 0
    out[:, ph + height :] = 0
    out[:, ph : ph + height, :pw] = 0
    out[:, ph : ph + height, pw + width :] = 0
    out[:, ph : ph + height, pw : pw + width] = x.transpose(0, 2, 3, 1)
    return out


def _conv2d_depthwise(
    input, weight, bias, x, dtype, stride, padding, dilation, out_size
):  # fmt: skip
    """conv2d with one input channel per group (weight (m*C, 1, KH, KW)), directly in Numba
    kernels on the zero-padded NHWC input (conv_grouped.py): (NCHW-shaped output, backward).
    A channel multiplier m > 1 repeats each input channel m times (channel c*m + k is a
    copy of c), which makes it a plain depthwise convolution of m*C channels."""
    w = weight.data
    out_ch, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, in_ch, height, width = x.shape
    out_h, out_w = out_size
    mult = out_ch // in_ch
    xp = _padded_channels_last(x, ph, pw, dtype)
    if mult > 1:
        xp = np.repeat(xp, mult, axis=3)
    w_rows = depthwise_rows(w, out_w, dtype)
    bias_row = np.tile(_bias_vector(bias, out_ch, dtype), out_w)
    out_nhwc = np.empty((n, out_h, out_w, out_ch), dtype=dtype)
    depthwise_forward(xp, w_rows, bias_row, out_nhwc, sh, sw, dh, dw)

    def backward(g: np.ndarray):
        g_nhwc = channels_last(g.astype(dtype, copy=False))
        want_w, want_dx = weight.requires_grad, input.requires_grad
        gx = gw = gb = None
        if want_w or want_dx:
            dxp = np.empty(xp.shape if want_dx else (0, 0, 0, 0), dtype=dtype)
            dw_rows = depthwise_backward(xp, w_rows, g_nhwc, want_dx, want_w, dxp, sh, sw, dh,
                                         dw, 2 * numba.get_num_threads())  # fmt: skip
            if want_w:
                # the per-column partial sums, added over the OW output columns
                dw_taps = dw_rows.reshape(kh, kw, out_w, out_ch).sum(axis=2)
                gw = dw_taps.transpose(2, 0, 1)[:, None]
            if want_dx:
                if mult > 1:  # the copies' gradients go back to the channel they copied
                    copies = dxp.reshape(*dxp.shape[:3], in_ch, mult)
                    dxp = copies[..., 0].copy()
                    # a loop over the multiplier (a few), not the channels: numpy's sum over
                    # a short last axis runs a short inner loop per element (measured 10x)
                    for k in range(1, mult):
                        dxp += copies[..., k]
                gx = dxp[:, ph : ph + height, pw : pw + width].transpose(0, 3, 1, 2)
        if bias is not None and bias.requires_grad:
            gb = _bias_grad(g_nhwc.reshape(-1, out_ch), dtype)
        return (gx, gw) if bias is None else (gx, gw, gb)

    return out_nhwc.transpose(0, 3, 1, 2), backward


def _conv2d_grouped(
    input, weight, bias, x, dtype, stride, padding, dilation, out_size, groups
):  # fmt: skip
    """conv2d with groups > 1 input channels per group: im2col into per-group patches
    (G, N*OH*OW, K), K = KH*KW*C/G, then ONE batched product with the (G, K, O/G) weights:
    (NCHW-shaped output, backward)."""
    w = weight.data
    out_ch, per_group, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, in_ch, height, width = x.shape
    out_h, out_w = out_size
    rows, out_per_group = n * out_h * out_w, out_ch // groups
    x_nhwc = channels_last(x.astype(dtype, copy=False))
    cols7 = scratch((groups, n, out_h, out_w, kh, kw, per_group), dtype)
    _im2col_grouped(x_nhwc, cols7, kh, kw, sh, sw, ph, pw, dh, dw)
    # sizes spelled out, not -1: numpy cannot infer one next to an empty batch (rows = 0)
    cols = cols7.reshape(groups, rows, kh * kw * per_group)
    w_g = grouped_weight(w, groups, dtype)  # (G, O/G, K)
    out_g = np.matmul(cols, w_g.transpose(0, 2, 1))  # (G, rows, O/G)
    out_nhwc = np.empty((n, out_h, out_w, out_ch), dtype=dtype)
    out_nhwc.reshape(rows, groups, out_per_group)[...] = out_g.transpose(1, 0, 2)
    if bias is not None:
        # whole output rows, as _conv2d_im2col: a short (O,) broadcast per row is slow
        bias_rows = np.tile(bias.data.astype(dtype, copy=False), out_h * out_w)
        out_nhwc.reshape(n, out_h * out_w * out_ch)[...] += bias_rows

    def backward(g: np.ndarray):
        g2 = channels_last(g.astype(dtype, copy=False)).reshape(rows, out_ch)
        g_g = np.ascontiguousarray(g2.reshape(rows, groups, out_per_group).transpose(1, 0, 2))
        gx = gw = gb = None
        if weight.requires_grad:
            dw_g = np.matmul(cols.transpose(0, 2, 1), g_g)  # (G, K, O/G)
            gw = (
                dw_g.transpose(0, 2, 1)
                .reshape(groups, out_per_group, kh, kw, per_group)
                .transpose(0, 1, 4, 2, 3)
                .reshape(out_ch, per_group, kh, kw)
            )
        if bias is not None and bias.requires_grad:
            gb = _bias_grad(g2, dtype)
        if input.requires_grad:
            dcols = np.matmul(g_g, w_g, out=scratch(cols.shape, dtype))  # (G, rows, K)
            dx = np.empty((n, height, width, in_ch), dtype=dtype)
            _col2im_grouped(dcols.reshape(cols7.shape), dx, kh, kw, sh, sw, ph, pw, dh, dw)
            gx = dx.transpose(0, 3, 1, 2)
        return (gx, gw) if bias is None else (gx, gw, gb)

    return out_nhwc.transpose(0, 3, 1, 2), backward


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) input with (O, C/groups, KH, KW) weight, as
    PyTorch.

    Supports stride, zero padding (int, pair, 'same', 'valid'), dilation and groups (output
    channel o sees the input channels of group o // (O/groups) only). An unbatched
    (C, H, W) input gives a (O, OH, OW) output. Errors are ValueErrors (PyTorch raises
    RuntimeError for a channel mismatch).
    """
    return _conv2d(input, weight, bias, stride, padding, dilation, relu=False, groups=groups)


def _conv2d(input, weight, bias, stride, padding, dilation, relu: bool, groups=1) -> Tensor:
    """`conv2d`, then max(y, 0) on its fresh output when `relu` (one node)."""
    x = float_data(input, "conv2d")
    w = weight.data
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (out, in, kH, kW), got shape {w.shape}")
    out_ch, in_ch, kh, kw = w.shape
    check_bias(bias, out_ch, "conv2d")
    if type(groups) is not int or groups != 1:
        # as PyTorch, the weight's out channels split into the groups; its in channels are
        # one group's share of the input's
        groups = check_groups(groups, out_ch, "out channels", "conv2d")
        in_ch *= groups
    check_input(input.shape, in_ch, "H, W", "conv2d")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    (sh, sw), padding, (dh, dw) = conv_arguments(pair, stride, padding, dilation, "conv2d")
    sides = padding_sides(padding, (kh, kw), (dh, dw))
    (ph, bottom), (pw, right) = sides
    if (bottom, right) != (ph, pw):
        # 'same' with an odd total (an even kernel): pad for the extra zeros, then convolve
        # with the symmetric part
        return _conv2d(_pad_after(input, sides), weight, bias, stride, (ph, pw), dilation,
                       relu, groups)  # fmt: skip
    n, _, height, width = x.shape
    out_h = conv_output_size(height, kh, sh, ph, dh)
    out_w = conv_output_size(width, kw, sw, pw, dw)
    if out_h < 1 or out_w < 1:
        raise ValueError(
            f"conv2d: input {height}x{width} (padding {ph},{pw}) is smaller than the "
            f"{kh}x{kw} kernel (dilation {dh},{dw})"
        )
    dtype = np.result_type(x.dtype, w.dtype)
    pointwise = kh == 1 and kw == 1 and sh == 1 and sw == 1 and ph == 0 and pw == 0
    blocked = _BLOCKED and dw == 1 and not pointwise and blas.gemm_address(dtype) is not None
    direct = (
        (sh, sw, dh, dw) == (1, 1, 1, 1)
        and in_ch * kh * kw <= _DIRECT_MAX_TAPS
        and (kh, kw) != (1, 1)  # a pointwise conv is one plain product (below)
        and ph < kh
        and pw < kw
        and (out_ch <= _DIRECT_MAX_OUT_CHANNELS or not blocked)
    )
    relu_done = False  # the blocked route applies the ReLU in its kernel
    if groups != 1:
        route_args = (input, weight, bias, x, dtype, (sh, sw), (ph, pw), (dh, dw), (out_h, out_w))
        if in_ch == groups:
            out, backward = _conv2d_depthwise(*route_args)
        else:
            out, backward = _conv2d_grouped(*route_args, groups)
    elif direct:
        out, backward = _conv2d_direct(input, weight, bias, x, dtype, (ph, pw))
    elif blocked:
        out, backward = _conv2d_blocked(
            input, weight, bias, x, dtype, (sh, sw), (ph, pw), dh, (out_h, out_w), relu
        )
        relu_done = relu
    else:
        out, backward = _conv2d_im2col(
            input, weight, bias, x, dtype, (sh, sw), (ph, pw), (dh, dw), (out_h, out_w), pointwise
        )
    if relu:
        if not relu_done:
            relu_in_place(out)  # every route's output is a fresh array
        backward = behind_relu(out, backward)
    return _conv_tensor(input, weight, bias, out, backward, unbatched)


class Conv2d(ConvLayer):
    """2-D convolution over (N, C, H, W) input, as torch.nn.Conv2d.

    Weight (out_channels, in_channels / groups, kH, kW), init kaiming_uniform(a=sqrt(5));
    bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels / groups * kH * kW, as
    PyTorch. padding_mode 'reflect', 'replicate' or 'circular' pads the input in that mode
    first (for 'same', the odd pixel at the bottom / right), then convolves unpadded.
    """

    _sizes = staticmethod(pair)

    def _check_input(self, x: Tensor) -> None:
        check_input(x.shape, self.in_channels, "H, W", "Conv2d")

    def _convolve(self, x: Tensor, relu: bool) -> Tensor:
        padding = self.padding
        if self.padding_mode != "zeros":
            if any(self._mode_pads):
                x = pad_mode(x, self._mode_pads, self.padding_mode, "Conv2d")
            padding = 0
        return _conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, relu,
                       self.groups)  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return self._convolve(x, relu=False)

    def _takes_relu(self, following: Module) -> bool:
        return is_plain(self, Conv2d) and is_plain(following, ReLU)

    def _forward_relu(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return self._convolve(x, relu=True)
