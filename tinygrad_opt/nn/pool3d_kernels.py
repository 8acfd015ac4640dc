"""Numba kernels for 3-D max and average pooling on channels-last (N, D, H, W, C) arrays.

Every pooling of pooling3d.py, regular or adaptive, is described per axis by two arrays:
window o reads the taps first[o], first[o] + step, ... below stop[o] (step is the dilation
for max pooling, 1 otherwise; the caller has already clipped the windows to the input, so
padding never wins a max and never adds to a sum). As pool_kernels.py: parallel over the
batch, the inner loop a contiguous run over C, arrays C-contiguous and preallocated by
callers. A winner's index is the flat input position (iz * H + iy) * W + ix, as PyTorch's
`return_indices`; a NaN replaces the running maximum (the last NaN wins), ties keep the first.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ..jit import kernel


@kernel
def _window_max_forward(x, out, argmax, d0, d1, h0, h1, w0, w1, sd, sh, sw):
    """Max over each window; a window with no tap inside the input gives -inf and the index
    of its first tap, as PyTorch."""
    n_batch, height, width, channels = x.shape[0], x.shape[2], x.shape[3], x.shape[4]
    out_d, out_h, out_w = out.shape[1], out.shape[2], out.shape[3]
    for n in prange(n_batch):
        for od in range(out_d):
            for oh in range(out_h):
                for ow in range(out_w):
                    for c in range(channels):
                        out[n, od, oh, ow, c] = -np.inf
                        argmax[n, od, oh, ow, c] = (d0[od] * height + h0[oh]) * width + w0[ow]
                    for iz in range(d0[od], d1[od], sd):
                        for iy in range(h0[oh], h1[oh], sh):
                            for ix in range(w0[ow], w1[ow], sw):
                                for c in range(channels):
                                    v = x[n, iz, iy, ix, c]
                                    if v > out[n, od, oh, ow, c] or np.isnan(v):
                                        out[n, od, oh, ow, c] = v
                                        argmax[n, od, oh, ow, c] = (iz * height + iy) * width + ix


@kernel
def _window_max_backward(g, argmax, dx, d0, d1, h0, h1, w0, w1):
    """dx[n, argmax] += g: each output's gradient goes to the input that won its window. A
    window with no tap inside the input depends on no input: its gradient goes nowhere."""
    n_batch, height, width, channels = dx.shape[0], dx.shape[2], dx.shape[3], dx.shape[4]
    out_d, out_h, out_w = g.shape[1], g.shape[2], g.shape[3]
    plane = height * width
    for n in prange(n_batch):
        dx[n] = 0.0
        for od in range(out_d):
            for oh in range(out_h):
                for ow in range(out_w):
                    if d0[od] >= d1[od] or h0[oh] >= h1[oh] or w0[ow] >= w1[ow]:
                        continue
                    for c in range(channels):
                        flat = argmax[n, od, oh, ow, c]
                        iz, rest = flat // plane, flat % plane
                        dx[n, iz, rest // width, rest % width, c] += g[n, od, oh, ow, c]


@kernel
def _window_mean_forward(x, out, divisors, d0, d1, h0, h1, w0, w1):
    """Sum of each (unit-step) window divided by divisors[od, oh, ow] (chosen by the caller)."""
    n_batch, channels = x.shape[0], x.shape[4]
    out_d, out_h, out_w = out.shape[1], out.shape[2], out.shape[3]
    for n in prange(n_batch):
        for od in range(out_d):
            for oh in range(out_h):
                for ow in range(out_w):
                    for c in range(channels):
                        out[n, od, oh, ow, c] = 0.0
                    for iz in range(d0[od], d1[od]):
                        for iy in range(h0[oh], h1[oh]):
                            for ix in range(w0[ow], w1[ow]):
                                for c in range(channels):
                                    out[n, od, oh, ow, c] += x[n, iz, iy, ix, c]
                    inv = 1.0 / divisors[od, oh, ow]
                    for c in range(channels):
                        out[n, od, oh, ow, c] *= inv


@kernel
def _window_mean_backward(g, dx, divisors, d0, d1, h0, h1, w0, w1):
    """Spread each output's gradient / divisor over the input voxels of its window (windows
    may overlap)."""
    n_batch, channels = dx.shape[0], dx.shape[4]
    out_d, out_h, out_w = g.shape[1], g.shape[2], g.shape[3]
    for n in prange(n_batch):
        dx[n] = 0.0
        for od in range(out_d):
            for oh in range(out_h):
                for ow in range(out_w):
                    inv = 1.0 / divisors[od, oh, ow]
                    for iz in range(d0[od], d1[od]):
                        for iy in range(h0[oh], h1[oh]):
                            for ix in range(w0[ow], w1[ow]):
                                for c in range(channels):
                                    dx[n, iz, iy, ix, c] += g[n, od, oh, ow, c] * inv
