"""Numba kernels of grid_sample on channels-last (NHWC, or NDHWC for 5-D) input.

The caller (grid_sample.py) turns the normalised grid into source pixel coordinates (with
the padding rule already applied), so these kernels only interpolate: `ix`, `iy` are
(N, OH, OW) arrays of column / row positions in the input (the bicubic kernels take the
4 tap indices and weights per axis instead, -1 marking a tap outside), and a corner
outside the input reads as zero (the 'zeros' rule; 'border' and 'reflection' coordinates
are already inside).

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


@kernel
def _bicubic_forward(x, jx, jy, wx, wy, out):
    """out[n, oh, ow, :] = sum over the 4 x 4 taps of wy[j] * wx[i] * x[n, jy[j], jx[i], :]
    (jx, jy, wx, wy of shape (N, OH, OW, 4)); a tap with index -1 reads 0."""
    n_batch, out_h, out_w = jx.shape[0], jx.shape[1], jx.shape[2]
    channels = x.shape[3]
    for n in prange(n_batch):
        for oh in range(out_h):
            for ow in range(out_w):
                for c in range(channels):
                    out[n, oh, ow, c] = 0.0
                for j in range(4):
                    yy = jy[n, oh, ow, j]
                    if yy < 0:
                        continue
                    for i in range(4):
                        xx = jx[n, oh, ow, i]
                        if xx < 0:
                            continue
                        w = wy[n, oh, ow, j] * wx[n, oh, ow, i]
                        for c in range(channels):
                            out[n, oh, ow, c] += w * x[n, yy, xx, c]


@kernel
def _bicubic_backward(x, jx, jy, wx, wy, dwx, dwy, g, dx, gix, giy, want_dx, want_grid):
    """dx (N, H, W, C) = the scatter-add of each output gradient onto its 16 taps with
    their weights (if want_dx); gix, giy (N, OH, OW) = d<g, out>/d ix and / d iy, from the
    weights' derivatives dwx, dwy (if want_grid). Arrays not wanted may be empty."""
    n_batch, out_h, out_w = jx.shape[0], jx.shape[1], jx.shape[2]
    channels = x.shape[3]
    for n in prange(n_batch):
        if want_dx:
            dx[n] = 0.0
        for oh in range(out_h):
            for ow in range(out_w):
                sx = 0.0
                sy = 0.0
                for j in range(4):
                    yy = jy[n, oh, ow, j]
                    if yy < 0:
                        continue
                    for i in range(4):
                        xx = jx[n, oh, ow, i]
                        if xx < 0:
                            continue
                        if want_dx:
                            w = wy[n, oh, ow, j] * wx[n, oh, ow, i]
                            for c in range(channels):
                                dx[n, yy, xx, c] += w * g[n, oh, ow, c]
                        if want_grid:
                            dot = 0.0
                            for c in range(channels):
                                dot += x[n, yy, xx, c] * g[n, oh, ow, c]
                            sx += dwx[n, oh, ow, i] * wy[n, oh, ow, j] * dot
                            sy += wx[n, oh, ow, i] * dwy[n, oh, ow, j] * dot
                if want_grid:
                    gix[n, oh, ow] = sx
                    giy[n, oh, ow] = sy


@kernel
def _trilinear_forward(x, ix, iy, iz, out):
    """5-D input (N, D, H, W, C): out[n, od, oh, ow, :] = the trilinear mix of the 8 voxels
    around (iz, iy, ix)[n, od, oh, ow]."""
    n_batch, depth, height, width, channels = x.shape
    out_d, out_h, out_w = ix.shape[1], ix.shape[2], ix.shape[3]
    for n in prange(n_batch):
        for od in range(out_d):
            for oh in range(out_h):
                for ow in range(out_w):
                    fx, fy, fz = ix[n, od, oh, ow], iy[n, od, oh, ow], iz[n, od, oh, ow]
                    x0, y0, z0 = int(np.floor(fx)), int(np.floor(fy)), int(np.floor(fz))
                    tx, ty, tz = fx - x0, fy - y0, fz - z0
                    for c in range(channels):
                        out[n, od, oh, ow, c] = 0.0
                    for e in range(2):
                        zz = z0 + e
                        if zz < 0 or zz >= depth:
                            continue
                        wz = tz if e else 1 - tz
                        for a in range(2):
                            yy = y0 + a
                            if yy < 0 or yy >= height:
                                continue
                            wy = wz * (ty if a else 1 - ty)
                            for b in range(2):
                                xx = x0 + b
                                if xx < 0 or xx >= width:
                                    continue
                                w = wy * (tx if b else 1 - tx)
                                for c in range(channels):
                                    out[n, od, oh, ow, c] += w * x[n, zz, yy, xx, c]


@kernel
def _trilinear_backward(x, ix, iy, iz, g, dx, gix, giy, giz, want_dx, want_grid):
    """The 5-D counterpart of _bilinear_backward: dx (N, D, H, W, C) scatter-added from the
    8 corners (if want_dx); gix, giy, giz (N, OD, OH, OW) = d<g, out>/d ix, iy, iz (if
    want_grid). Arrays not wanted may be empty."""
    n_batch, depth, height, width, channels = x.shape
    out_d, out_h, out_w = ix.shape[1], ix.shape[2], ix.shape[3]
    for n in prange(n_batch):
        if want_dx:
            dx[n] = 0.0
        for od in range(out_d):
            for oh in range(out_h):
                for ow in range(out_w):
                    fx, fy, fz = ix[n, od, oh, ow], iy[n, od, oh, ow], iz[n, od, oh, ow]
                    x0, y0, z0 = int(np.floor(fx)), int(np.floor(fy)), int(np.floor(fz))
                    tx, ty, tz = fx - x0, fy - y0, fz - z0
                    sx = 0.0
                    sy = 0.0
                    sz = 0.0
                    for e in range(2):
                        zz = z0 + e
                        if zz < 0 or zz >= depth:
                            continue
                        wz = tz if e else 1 - tz
                        sign_z = 1.0 if e else -1.0
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
                                    w = wx * wy * wz
                                    for c in range(channels):
                                        dx[n, zz, yy, xx, c] += w * g[n, od, oh, ow, c]
                                if want_grid:
                                    dot = 0.0
                                    for c in range(channels):
                                        dot += x[n, zz, yy, xx, c] * g[n, od, oh, ow, c]
                                    sx += sign_x * wy * wz * dot
                                    sy += sign_y * wx * wz * dot
                                    sz += sign_z * wx * wy * dot
                    if want_grid:
                        gix[n, od, oh, ow] = sx
                        giy[n, od, oh, ow] = sy
                        giz[n, od, oh, ow] = sz
