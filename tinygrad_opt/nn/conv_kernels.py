"""Numba kernels for convolution and pooling on channels-last (NHWC) arrays.

Convolution multiplies with numpy's BLAS; these kernels do what BLAS cannot: gather the
patches (im2col) and scatter-add patch gradients back (col2im); pooling's kernels are in
pool_kernels.py. Channels-last keeps
the C values of a pixel contiguous, so every inner loop is a contiguous run of length C that
LLVM vectorises, and a convolution's output `(N*OH*OW, O)` is already NHWC without a copy.

Every kernel is parallel over the batch: different samples never write the same memory, so
no atomics are needed. All arrays must be C-contiguous; outputs are preallocated by callers.
Windows are `oh * stride - pad + k * dilation`; positions outside the input are padding.
"""

from __future__ import annotations

from numba import prange

from ..jit import kernel


@kernel
def _im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw):
    """cols[n, oh, ow, i, j, :] = x[n, oh*sh - ph + i*dh, ow*sw - pw + j*dw, :] (0 outside)."""
    n_batch, height, width, channels = x.shape
    out_h, out_w = cols.shape[1], cols.shape[2]
    for n in prange(n_batch):
        for oh in range(out_h):
            for ow in range(out_w):
                for i in range(kh):
                    ih = oh * sh - ph + i * dh
                    for j in range(kw):
                        iw = ow * sw - pw + j * dw
                        if 0 <= ih < height and 0 <= iw < width:
                            for c in range(channels):
                                cols[n, oh, ow, i, j, c] = x[n, ih, iw, c]
                        else:
                            for c in range(channels):
                                cols[n, oh, ow, i, j, c] = 0.0


@kernel
def _col2im(cols, dx, kh, kw, sh, sw, ph, pw, dh, dw):
    """dx[n, ih, iw, :] += cols[n, oh, ow, i, j, :] for every window that covers (ih, iw)."""
    n_batch, height, width, channels = dx.shape
    out_h, out_w = cols.shape[1], cols.shape[2]
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
                        for c in range(channels):
                            dx[n, ih, iw, c] += cols[n, oh, ow, i, j, c]


@kernel
def _im2col_rows(xp, cols, kh, sh, sw, dh, channels):
    """im2col for few channels (a network's first layer) and dilation_w == 1, on a
    pre-padded input: xp (N, Hp, Wp * C), cols (N, OH, OW, KH, KW * C). A window row is
    one contiguous run of KW * C values, so with C = 1 the inner loop still has KW * C
    iterations instead of one per (j, c) pair with bounds checks."""
    n_batch = xp.shape[0]
    out_h, out_w, run = cols.shape[1], cols.shape[2], cols.shape[4]
    for n in prange(n_batch):
        for oh in range(out_h):
            for ow in range(out_w):
                start = ow * sw * channels
                for i in range(kh):
                    row = oh * sh + i * dh
                    for t in range(run):
                        cols[n, oh, ow, i, t] = xp[n, row, start + t]
