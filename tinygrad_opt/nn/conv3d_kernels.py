"""Numba kernels for 3-D (volumetric) convolutions on channels-last (N, D, H, W, C) arrays.

As conv_kernels.py for 2-D: the product runs in numpy's BLAS; these kernels gather the
patches (im2col) and scatter-add patch gradients back (col2im, the adjoint). Patches are
laid out per group, `cols` of shape (G, N, GD, GH, GW, KD, KH, KW, C/G), so a grouped
convolution is ONE batched matmul over the group axis (G = 1 for an ungrouped one).
(GD, GH, GW) is the grid of window positions: the output of a convolution, or the input of
a transposed one. Windows are `od * stride - pad + a * dilation`; positions outside the
volume are zero padding.

Every kernel is parallel over the batch: different samples never write the same memory, so
no atomics are needed. All arrays must be C-contiguous; outputs are preallocated by callers.
"""

from __future__ import annotations

from numba import prange

from ..jit import kernel


@kernel
def _im2col3d(x, cols, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    """cols[g, n, od, oh, ow, a, i, j, c] = x[n, od*sd - pd + a*dd, oh*sh - ph + i*dh,
    ow*sw - pw + j*dw, g*C/G + c] (0 outside the volume)."""
    n_batch, depth, height, width = x.shape[0], x.shape[1], x.shape[2], x.shape[3]
    groups, grid_d, grid_h, grid_w = cols.shape[0], cols.shape[2], cols.shape[3], cols.shape[4]
    kd, kh, kw, per_group = cols.shape[5], cols.shape[6], cols.shape[7], cols.shape[8]
    for n in prange(n_batch):
        for od in range(grid_d):
            for oh in range(grid_h):
                for ow in range(grid_w):
                    for a in range(kd):
                        iz = od * sd - pd + a * dd
                        for i in range(kh):
                            iy = oh * sh - ph + i * dh
                            for j in range(kw):
                                ix = ow * sw - pw + j * dw
                                inside = 0 <= iz < depth and 0 <= iy < height and 0 <= ix < width
                                for g in range(groups):
                                    if inside:
                                        for c in range(per_group):
                                            cols[g, n, od, oh, ow, a, i, j, c] = x[
                                                n, iz, iy, ix, g * per_group + c
                                            ]
                                    else:
                                        for c in range(per_group):
                                            cols[g, n, od, oh, ow, a, i, j, c] = 0.0


@kernel
def _col2im3d(cols, dx, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    """dx[n, iz, iy, ix, g*C/G + c] = the sum of cols[g, n, od, oh, ow, a, i, j, c] over
    every window tap that lands on (iz, iy, ix); taps in the padding are dropped."""
    n_batch, depth, height, width = dx.shape[0], dx.shape[1], dx.shape[2], dx.shape[3]
    groups, grid_d, grid_h, grid_w = cols.shape[0], cols.shape[2], cols.shape[3], cols.shape[4]
    kd, kh, kw, per_group = cols.shape[5], cols.shape[6], cols.shape[7], cols.shape[8]
    for n in prange(n_batch):
        dx[n] = 0.0
        for od in range(grid_d):
            for oh in range(grid_h):
                for ow in range(grid_w):
                    for a in range(kd):
                        iz = od * sd - pd + a * dd
                        if iz < 0 or iz >= depth:
                            continue
                        for i in range(kh):
                            iy = oh * sh - ph + i * dh
                            if iy < 0 or iy >= height:
                                continue
                            for j in range(kw):
                                ix = ow * sw - pw + j * dw
                                if ix < 0 or ix >= width:
                                    continue
                                for g in range(groups):
                                    for c in range(per_group):
                                        dx[n, iz, iy, ix, g * per_group + c] += cols[
                                            g, n, od, oh, ow, a, i, j, c
                                        ]
