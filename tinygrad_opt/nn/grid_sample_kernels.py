"""Numba kernels of grid_sample on channels-last (NHWC) input.

The caller (grid_sample.py) turns the normalised grid into source pixel coordinates (with
the padding rule already applied), so these kernels only interpolate: `ix`, `iy` are
(N, OH, OW) arrays of column / row positions in the input, and a corner outside the input
reads as zero (the 'zeros' rule; 'border' and 'reflection' coordinates are already inside).

As in conv_kernels.py, every kernel is parallel over the batch: a sample's output, input
gradient and grid gradient are written by that sample's iteration only, so the
scatter-adds of the backward need no atomics. The inner loops run over the C contiguous
channels of a pixel. All arrays are C-contiguous and preallocated by the caller.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ..jit import kernel


@kernel
def _bilinear_forward(x, ix, iy, out):
    """out[n, oh, ow, :] = the bilinear mix of the 4 pixels around (iy, ix)[n, oh, ow]."""
    n_batch, height, width, channels = x.shape
    out_h, out_w = ix.shape[1], ix.shape[2]
    for n in prange(n_batch):
        for oh in range(out_h):
            for ow in range(out_w):
                fx, fy = ix[n, oh, ow], iy[n, oh, ow]
                x0, y0 = int(np.floor(fx)), int(np.floor(fy))
                tx, ty = fx - x0, fy - y0
                for c in range(channels):
                    out[n, oh, ow, c] = 0.0
                for a in range(2):
                    yy = y0 + a
                    if yy < 0 or yy >= height:
                        continue
                    wy = ty if a else 1 - ty
                    for b in range(2):
                        xx = x0 + b
                        if xx < 0 or xx >= width:
                            continue
                        w = wy * (tx if b else 1 - tx)
                        for c in range(channels):
                            out[n, oh, ow, c] += w * x[n, yy, xx, c]


@kernel
def _bilinear_backward(x, ix, iy, g, dx, gix, giy, want_dx, want_grid):
    """dx (N, H, W, C) = the scatter-add of each output gradient onto its 4 corners with
    their weights (if want_dx); gix, giy (N, OH, OW) = d<g, out>/d ix and / d iy: the
    corner values times the derivative of their weights, summed over channels (if
    want_grid). Arrays not wanted may be empty."""
    n_batch, height, width, channels = x.shape
    out_h, out_w = ix.shape[1], ix.shape[2]
    for n in prange(n_batch):
        if want_dx:
            dx[n] = 0.0
        for oh in range(out_h):
            for ow in range(out_w):
                fx, fy = ix[n, oh, ow], iy[n, oh, ow]
                x0, y0 = int(np.floor(fx)), int(np.floor(fy))
                tx, ty = fx - x0, fy - y0
                sx = 0.0
                sy = 0.0
                for a in range(2):
                    yy = y0 + a
                    if yy < 0 or yy >= height:
                        continue
                    wy = ty if a else 1 - ty
                    sign_y = 1.0 if a else -1.0
                    for b in range(2):
                        xx = x0 + b
                        if xx < 0 or xx >= width:
                            continue
                        wx = tx if b else 1 - tx
                        sign_x = 1.0 if b else -1.0
                        if want_dx:
                            w = wx * wy
                            for c in range(channels):
                                dx[n, yy, xx, c] += w * g[n, oh, ow, c]
                        if want_grid:
                            dot = 0.0
                            for c in range(channels):
                                dot += x[n, yy, xx, c] * g[n, oh, ow, c]
                            sx += sign_x * wy * dot
                            sy += sign_y * wx * dot
                if want_grid:
                    gix[n, oh, ow] = sx
                    giy[n, oh, ow] = sy


@kernel
def _nearest_forward(x, jx, jy, out):
    """out[n, oh, ow, :] = x[n, jy, jx, :] at the integer position (jy, jx)[n, oh, ow], or 0
    outside the input."""
    n_batch, height, width, channels = x.shape
    out_h, out_w = jx.shape[1], jx.shape[2]
    for n in prange(n_batch):
        for oh in range(out_h):
            for ow in range(out_w):
                xx, yy = jx[n, oh, ow], jy[n, oh, ow]
                inside = 0 <= yy < height and 0 <= xx < width
                for c in range(channels):
                    out[n, oh, ow, c] = x[n, yy, xx, c] if inside else 0.0


@kernel
def _nearest_backward(g, jx, jy, dx):
    """dx[n, jy, jx, :] += g[n, oh, ow, :] for every output read from inside the input."""
    n_batch, height, width, channels = dx.shape
    out_h, out_w = jx.shape[1], jx.shape[2]
    for n in prange(n_batch):
        dx[n] = 0.0
        for oh in range(out_h):
            for ow in range(out_w):
                xx, yy = jx[n, oh, ow], jy[n, oh, ow]
                if 0 <= yy < height and 0 <= xx < width:
                    for c in range(channels):
                        dx[n, yy, xx, c] += g[n, oh, ow, c]
