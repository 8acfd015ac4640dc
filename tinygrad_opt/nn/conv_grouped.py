"""Kernels for grouped convolutions (groups > 1), on channels-last (NHWC) arrays.

A grouped convolution splits the C input and O output channels into G groups; output
channel o reads only the C/G input channels of its group g = o // (O/G). conv.py runs them
by one of two routes:

- Depthwise (one input channel per group, O = m * C with a channel multiplier m): output
  channel o = c*m + k reads input channel c = o // m. An im2col product would have an
  inner dimension of only KH*KW, where BLAS is slow, so these kernels convolve directly,
  channels-last, one multiply-add over a whole output row per tap (`depthwise_forward`,
  `depthwise_backward`). For m > 1 conv.py repeats each input channel m times first, so
  the kernels only see O = C.
- Other groups: im2col into a per-group patch array `cols` (G, N, OH, OW, KH, KW, C/G),
  then one batched matmul over the group axis in conv.py (`_im2col_grouped`,
  `_col2im_grouped` its adjoint).

All arrays are C-contiguous; outputs are preallocated by the callers.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ..jit import kernel
from ..partials import sum_first_axis, zeros


@kernel
def depthwise_forward(xp, w_rows, bias_row, out, sh, sw, dh, dw):
    """out[n, oh, ow, c] = bias[c] + sum over (i, j) of w[i, j, c] * xp[n, oh*sh + i*dh,
    ow*sw + j*dw, c]: one weight tap per channel (O = C; conv.py repeats the input channels
    for a channel multiplier).

    xp: (N, Hp, Wp, C) zero-padded input; w_rows: (KH, KW, OW*C), each tap's C weights
    tiled over an output row; bias_row: (OW*C,) likewise; out: (N, OH, OW, C). An output
    row and a tap's input run are then contiguous OW*C runs when sw == 1: ONE multiply-add
    loop per tap and row, which vectorises (a loop over the C channels of one pixel is short
    and pays for its setup per pixel)."""
    n_batch, out_h, out_w, channels = out.shape
    kh, kw, run = w_rows.shape
    # parallel over output rows, not samples: an unbatched or small batch still uses
    # every thread (rows never write the same memory)
    for r in prange(n_batch * out_h):
        n, oh = r // out_h, r % out_h
        acc = out[n, oh].reshape(run)
        for t in range(run):
            acc[t] = bias_row[t]
        for i in range(kh):
            x_row = xp[n, oh * sh + i * dh].reshape(xp.shape[2] * channels)
            for j in range(kw):
                wt = w_rows[i, j]
                if sw == 1:
                    xs = x_row[j * dw * channels : j * dw * channels + run]
                    for t in range(run):
                        acc[t] += wt[t] * xs[t]
                else:
                    for ow in range(out_w):
                        start = (ow * sw + j * dw) * channels
                        for c in range(channels):
                            acc[ow * channels + c] += wt[ow * channels + c] * x_row[start + c]


@kernel
def depthwise_backward(xp, w_rows, g, want_dx, want_dw, dxp, sh, sw, dh, dw, n_tasks):
    """The gradients of depthwise_forward for the output gradient g (N, OH, OW, C): if
    want_dx, dxp (N, Hp, Wp, C) = the padded input gradient (every element written); if
    want_dw, returns dW as (KH, KW, OW*C) partial sums over all but the output column
    (the caller adds the OW columns; zeros if not want_dw).

    Each of `n_tasks` tasks owns a range of samples and a partial dW (no two threads add
    into the same memory); the partials are added at the end."""
    n_batch, out_h, out_w, channels = g.shape
    kh, kw, run = w_rows.shape
    padded_run = xp.shape[2] * channels
    n_tasks = max(min(n_batch, n_tasks), 1)
    partial = zeros((n_tasks, kh, kw, run), g)
    for task in prange(n_tasks):
        for n in range(task * n_batch // n_tasks, (task + 1) * n_batch // n_tasks):
            if want_dx:
                dxp[n] = 0.0
            for oh in range(out_h):
                g_row = g[n, oh].reshape(run)
                for i in range(kh):
                    ih = oh * sh + i * dh
                    x_row = xp[n, ih].reshape(padded_run)
                    dx_row = dxp[n, ih].reshape(padded_run) if want_dx else x_row
                    for j in range(kw):
                        acc = partial[task, i, j]
                        wt = w_rows[i, j]
                        if sw == 1:
                            at = j * dw * channels
                            if want_dw:
                                xs = x_row[at : at + run]
                                for t in range(run):
                                    acc[t] += g_row[t] * xs[t]
                            if want_dx:
                                dst = dx_row[at : at + run]
                                for t in range(run):
                                    dst[t] += g_row[t] * wt[t]
                            continue
                        for ow in range(out_w):
                            start = (ow * sw + j * dw) * channels
                            at = ow * channels
                            if want_dw:
                                for c in range(channels):
                                    acc[at + c] += g_row[at + c] * x_row[start + c]
                            if want_dx:
                                for c in range(channels):
                                    dx_row[start + c] += g_row[at + c] * wt[at + c]
    return sum_first_axis(partial)


@kernel
def _im2col_grouped(x, cols, kh, kw, sh, sw, ph, pw, dh, dw):
    """cols[g, n, oh, ow, i, j, :] = group g's channels of x[n, oh*sh - ph + i*dh,
    ow*sw - pw + j*dw] (0 outside). x: (N, H, W, C); cols: (G, N, OH, OW, KH, KW, C/G)."""
    n_batch, height, width, channels = x.shape
    n_groups, out_h, out_w, per_group = cols.shape[0], cols.shape[2], cols.shape[3], cols.shape[6]
    for n in prange(n_batch):
        for oh in range(out_h):
            for ow in range(out_w):
                for i in range(kh):
                    ih = oh * sh - ph + i * dh
                    for j in range(kw):
                        iw = ow * sw - pw + j * dw
                        inside = 0 <= ih < height and 0 <= iw < width
                        for gr in range(n_groups):
                            dst = cols[gr, n, oh, ow, i, j]
                            if inside:
                                src = x[n, ih, iw, gr * per_group : (gr + 1) * per_group]
                                for c in range(per_group):
                                    dst[c] = src[c]
                            else:
                                for c in range(per_group):
                                    dst[c] = 0.0


@kernel
def _col2im_grouped(cols, dx, kh, kw, sh, sw, ph, pw, dh, dw):
    """The adjoint of _im2col_grouped: dx (N, H, W, C) = the sum of every patch value at the
    input position (and channel) it was gathered from."""
    n_batch, height, width, channels = dx.shape
    n_groups, out_h, out_w, per_group = cols.shape[0], cols.shape[2], cols.shape[3], cols.shape[6]
    for n in prange(n_batch):
        dx[n] = 0.0
        for oh in range(out_h):
            for ow in range(out_w):
                for i in range(kh):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= height:
                        continue
                    for j in range(kw):
                        iw = ow * sw - pw + j * dw
                        if iw < 0 or iw >= width:
                            continue
                        for gr in range(n_groups):
                            src = cols[gr, n, oh, ow, i, j]
                            dst = dx[n, ih, iw, gr * per_group : (gr + 1) * per_group]
                            for c in range(per_group):
                                dst[c] += src[c]


def depthwise_rows(w: np.ndarray, out_w: int, dtype) -> np.ndarray:
    """The (O, 1, KH, KW) depthwise weight as the (KH, KW, OW*O) rows the kernels read:
    each tap's O weights tiled over an output row."""
    taps = w[:, 0].transpose(1, 2, 0).astype(dtype, copy=False)
    return np.ascontiguousarray(np.tile(taps, (1, 1, out_w)))


def grouped_weight(w: np.ndarray, groups: int, dtype) -> np.ndarray:
    """The (O, C/G, KH, KW) weight as contiguous (G, O/G, KH*KW*C/G) matrices whose rows
    are in the (i, j, c) order of _im2col_grouped's patches."""
    out_ch, per_group, kh, kw = w.shape
    w5 = w.reshape(groups, out_ch // groups, per_group, kh, kw).transpose(0, 1, 3, 4, 2)
    return np.ascontiguousarray(w5, dtype=dtype).reshape(groups, out_ch // groups, -1)
