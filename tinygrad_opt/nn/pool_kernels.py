"""Numba kernels for max, average and adaptive pooling on channels-last (NHWC) arrays.

As in conv_kernels.py, every kernel is parallel over the batch (different samples never
write the same memory), the inner loop is a contiguous run over C that LLVM vectorises, and
all arrays are C-contiguous and preallocated by callers. Windows are
`oh * stride - pad + k * dilation`; positions outside the input are padding. A winner's index
is the flat input position ih * W + iw, as PyTorch's `return_indices`.

NaN rule (PyTorch's `val > max || isnan(val)`): a NaN replaces the running maximum, so the
output is NaN and the LAST NaN of a window wins its index and gradient; ties keep the first.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ..jit import kernel


@kernel(parallel=False, inline=True)
def _clipped_window(o, stride, pad, kernel, size):
    """[start, stop) of the unit-step window o*stride - pad + [0, kernel) clipped to [0, size):
    the taps in the padding are left out."""
    start = o * stride - pad
    return max(start, 0), min(start + kernel, size)


@kernel
def _max_pool_forward(x, out, argmax, kh, kw, sh, sw, ph, pw):
    """Max over each window (padding never wins, as PyTorch pads with -inf); argmax keeps
    the winner's flat index. The dilation-1 fast path: unit-step loops (a stepped range
    measured 5-7% slower on LeNet-5's 6-channel pooling)."""
    n_batch, height, width, channels = x.shape
    out_h, out_w = out.shape[1], out.shape[2]
    for n in prange(n_batch):
        for oh in range(out_h):
            h0, h1 = _clipped_window(oh, sh, ph, kh, height)
            for ow in range(out_w):
                w0, w1 = _clipped_window(ow, sw, pw, kw, width)
                for c in range(channels):
                    out[n, oh, ow, c] = -np.inf
                    argmax[n, oh, ow, c] = h0 * width + w0
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        for c in range(channels):
                            v = x[n, ih, iw, c]
                            if v > out[n, oh, ow, c] or np.isnan(v):
                                out[n, oh, ow, c] = v
                                argmax[n, oh, ow, c] = ih * width + iw


@kernel
def _max_pool_backward(g, argmax, dx):
    """dx[n, argmax] += g: each output's gradient goes to the input that won its window."""
    n_batch, height, width, channels = dx.shape
    out_h, out_w = g.shape[1], g.shape[2]
    for n in prange(n_batch):
        dx[n] = 0.0
        for oh in range(out_h):
            for ow in range(out_w):
                for c in range(channels):
                    flat = argmax[n, oh, ow, c]
                    dx[n, flat // width, flat % width, c] += g[n, oh, ow, c]


@kernel
def _max_pool_backward_tiled(g, argmax, dx, kh, kw):
    """_max_pool_backward for windows that tile the input (stride == kernel, no padding), in
    one pass: each covered pixel is written once (g where it won its window, else 0) and the
    rows and columns past the last window are zeroed, instead of zeroing dx then scattering."""
    n_batch, height, width, channels = dx.shape
    out_h, out_w = g.shape[1], g.shape[2]
    for n in prange(n_batch):
        for oh in range(out_h):
            for i in range(kh):
                ih = oh * kh + i
                for ow in range(out_w):
                    for j in range(kw):
                        iw = ow * kw + j
                        flat = ih * width + iw
                        for c in range(channels):
                            won = argmax[n, oh, ow, c] == flat
                            dx[n, ih, iw, c] = g[n, oh, ow, c] if won else 0.0
                dx[n, ih, out_w * kw :] = 0.0
        dx[n, out_h * kh :] = 0.0


@kernel(parallel=False, inline=True)
def _first_tap(o, stride, pad, kernel, dilation, size):
    """(first, stop) of the taps o*stride - pad + i*dilation of one window that lie inside
    [0, size): first is the first such tap (or past stop when there is none)."""
    first = o * stride - pad
    stop = min(first + (kernel - 1) * dilation + 1, size)
    if first < 0:
        first += (-first + dilation - 1) // dilation * dilation  # the first tap inside
    return first, stop


@kernel
def _max_pool_forward_dilated(x, out, argmax, kh, kw, sh, sw, ph, pw, dh, dw):
    """_max_pool_forward with taps oh*sh - ph + i*dh. A window with no tap inside the input
    gives -inf and PyTorch's index: that of its first tap at or past the top-left edge."""
    n_batch, height, width, channels = x.shape
    out_h, out_w = out.shape[1], out.shape[2]
    for n in prange(n_batch):
        for oh in range(out_h):
            h0, h1 = _first_tap(oh, sh, ph, kh, dh, height)
            for ow in range(out_w):
                w0, w1 = _first_tap(ow, sw, pw, kw, dw, width)
                for c in range(channels):
                    out[n, oh, ow, c] = -np.inf
                    argmax[n, oh, ow, c] = h0 * width + w0
                for ih in range(h0, h1, dh):
                    for iw in range(w0, w1, dw):
                        for c in range(channels):
                            v = x[n, ih, iw, c]
                            if v > out[n, oh, ow, c] or np.isnan(v):
                                out[n, oh, ow, c] = v
                                argmax[n, oh, ow, c] = ih * width + iw


@kernel
def _max_pool_backward_dilated(g, argmax, dx, kh, kw, sh, sw, ph, pw, dh, dw):
    """_max_pool_backward (dx[n, argmax] += g) for dilated windows. A window
    with no tap inside the input depends on no input, so its gradient goes nowhere
    (PyTorch sends it to the pixel its index names, or writes past the plane)."""
    n_batch, height, width, channels = dx.shape
    out_h, out_w = g.shape[1], g.shape[2]
    for n in prange(n_batch):
        dx[n] = 0.0
        for oh in range(out_h):
            h0, h1 = _first_tap(oh, sh, ph, kh, dh, height)
            if h0 >= h1:
                continue
            for ow in range(out_w):
                w0, w1 = _first_tap(ow, sw, pw, kw, dw, width)
                if w0 >= w1:
                    continue
                for c in range(channels):
                    flat = argmax[n, oh, ow, c]
                    dx[n, flat // width, flat % width, c] += g[n, oh, ow, c]


@kernel
def _avg_pool_forward(x, out, divisors, kh, kw, sh, sw, ph, pw):
    """Sum of each window divided by divisors[oh, ow] (chosen by the caller)."""
    n_batch, height, width, channels = x.shape
    out_h, out_w = out.shape[1], out.shape[2]
    for n in prange(n_batch):
        for oh in range(out_h):
            h0, h1 = _clipped_window(oh, sh, ph, kh, height)
            for ow in range(out_w):
                w0, w1 = _clipped_window(ow, sw, pw, kw, width)
                for c in range(channels):
                    out[n, oh, ow, c] = 0.0
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        for c in range(channels):
                            out[n, oh, ow, c] += x[n, ih, iw, c]
                inv = 1.0 / divisors[oh, ow]
                for c in range(channels):
                    out[n, oh, ow, c] *= inv


@kernel
def _avg_pool_backward(g, dx, divisors, kh, kw, sh, sw, ph, pw):
    """Spread each output's gradient / divisor evenly over the input pixels of its window."""
    n_batch, height, width, channels = dx.shape
    out_h, out_w = g.shape[1], g.shape[2]
    for n in prange(n_batch):
        dx[n] = 0.0
        for oh in range(out_h):
            h0, h1 = _clipped_window(oh, sh, ph, kh, height)
            for ow in range(out_w):
                w0, w1 = _clipped_window(ow, sw, pw, kw, width)
                inv = 1.0 / divisors[oh, ow]
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        for c in range(channels):
                            dx[n, ih, iw, c] += g[n, oh, ow, c] * inv


@kernel
def _adaptive_avg_pool_forward(x, out, h_start, h_end, w_start, w_end):
    """Mean of x[n, h_start[oh]:h_end[oh], w_start[ow]:w_end[ow], :] for each output."""
    n_batch, channels = x.shape[0], x.shape[3]
    out_h, out_w = out.shape[1], out.shape[2]
    for n in prange(n_batch):
        for oh in range(out_h):
            for ow in range(out_w):
                for c in range(channels):
                    out[n, oh, ow, c] = 0.0
                for ih in range(h_start[oh], h_end[oh]):
                    for iw in range(w_start[ow], w_end[ow]):
                        for c in range(channels):
                            out[n, oh, ow, c] += x[n, ih, iw, c]
                inv = 1.0 / ((h_end[oh] - h_start[oh]) * (w_end[ow] - w_start[ow]))
                for c in range(channels):
                    out[n, oh, ow, c] *= inv


@kernel
def _adaptive_avg_pool_backward(g, dx, h_start, h_end, w_start, w_end):
    """Spread each output's gradient / window size over its window (windows may overlap)."""
    channels = dx.shape[3]
    n_batch, out_h, out_w = g.shape[0], g.shape[1], g.shape[2]
    for n in prange(n_batch):
        dx[n] = 0.0
        for oh in range(out_h):
            for ow in range(out_w):
                inv = 1.0 / ((h_end[oh] - h_start[oh]) * (w_end[ow] - w_start[ow]))
                for ih in range(h_start[oh], h_end[oh]):
                    for iw in range(w_start[ow], w_end[ow]):
                        for c in range(channels):
                            dx[n, ih, iw, c] += g[n, oh, ow, c] * inv


@kernel
def _adaptive_max_pool_forward(x, out, argmax, h_start, h_end, w_start, w_end):
    """Max over each adaptive window with the NaN and tie rule of _max_pool_forward."""
    n_batch, width, channels = x.shape[0], x.shape[2], x.shape[3]
    out_h, out_w = out.shape[1], out.shape[2]
    for n in prange(n_batch):
        for oh in range(out_h):
            for ow in range(out_w):
                for c in range(channels):
                    out[n, oh, ow, c] = -np.inf
                    argmax[n, oh, ow, c] = h_start[oh] * width + w_start[ow]
                for ih in range(h_start[oh], h_end[oh]):
                    for iw in range(w_start[ow], w_end[ow]):
                        for c in range(channels):
                            v = x[n, ih, iw, c]
                            if v > out[n, oh, ow, c] or np.isnan(v):
                                out[n, oh, ow, c] = v
                                argmax[n, oh, ow, c] = ih * width + iw
