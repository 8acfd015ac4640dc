"""Direct convolution kernels for small layers (stride 1, no dilation).

im2col + BLAS wins when the matrix product is big. For the first layers of a small CNN it is
not: LeNet-5's first convolution multiplies a (50176 x 25) patch matrix by a (25 x 6)
weight, a shape where OpenBLAS reaches ~15 GFLOP/s, and the patch matrix is written to and
read back from memory in both passes. These kernels convolve without a patch matrix.

They read the zero-padded input as planes, `xp` of shape (N, C, Hp, Wp), and compute each
output channel over the whole plane at once with output rows spaced Wp apart: for a weight
tap (o, i, j, c), output position q = oh * Wp + ow takes w[o, i, j, c] * plane_c[q + i*Wp + j],
so one tap is ONE contiguous multiply-add over ~OH * Wp values, which vectorises fully
(a loop over a single 28-wide output row is too short for 16-lane vectors). The KW - 1
positions at the end of each spaced row are computed and dropped: (KW - 1) / Wp extra
work. A channel's accumulator row (a few KB) and the input plane stay in L1.

The input gradient of a stride-1 convolution is itself a stride-1 convolution (of the
output gradient padded by KH-1-ph / KW-1-pw, with the kernel flipped and its in and out
channels swapped), so conv.py uses `conv_planes_forward` for it too.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ..jit import kernel
from ..partials import sum_first_axis, zeros


@kernel
def conv_planes_forward(xp, w, bias, out):
    """out[n, oh, ow, o] = bias[o] + sum over (i, j, c) of w[o, i, j, c] * xp[n, c, oh+i, ow+j].

    xp: (N, C, Hp, Wp) zero-padded input; w: (O, KH, KW, C); out: (N, OH, OW, O), NHWC."""
    n_batch, out_h, out_w, out_ch = out.shape
    channels, height, width = xp.shape[1], xp.shape[2], xp.shape[3]
    kh, kw = w.shape[1], w.shape[2]
    span = (out_h - 1) * width + out_w  # spaced positions that cover every output
    for n in prange(n_batch):
        tile = np.empty((out_ch, span), dtype=out.dtype)
        planes = xp[n].reshape(channels, height * width)
        for o in range(out_ch):
            acc = tile[o]
            for q in range(span):
                acc[q] = bias[o]
            for c in range(channels):
                plane = planes[c]
                for i in range(kh):
                    # taps of a kernel row in groups of 3: one load and store of the
                    # accumulator per 3 multiply-adds instead of per 1 (the loop is bound
                    # by loads and stores, not arithmetic)
                    j = 0
                    while j + 3 <= kw:
                        at = i * width + j
                        x0 = plane[at : at + span]
                        x1 = plane[at + 1 : at + 1 + span]
                        x2 = plane[at + 2 : at + 2 + span]
                        w0, w1, w2 = w[o, i, j, c], w[o, i, j + 1, c], w[o, i, j + 2, c]
                        for q in range(span):
                            acc[q] += w0 * x0[q] + w1 * x1[q] + w2 * x2[q]
                        j += 3
                    while j < kw:
                        at = i * width + j
                        xs = plane[at : at + span]
                        wv = w[o, i, j, c]
                        for q in range(span):
                            acc[q] += wv * xs[q]
                        j += 1
        dst = out[n]
        for oh in range(out_h):
            for ow in range(out_w):
                for o in range(out_ch):
                    dst[oh, ow, o] = tile[o, oh * width + ow]


@kernel
def conv_planes_weight_grad(xp, g, kh, kw, n_tasks):
    """(dW (O, KH, KW, C), db (O,)) of conv_planes_forward for the output gradient g (NHWC).

    dW[o, i, j, c] = sum over n of the dot product of g's channel-o plane (spaced as the
    forward's, zeros in the dropped positions) with the input plane shifted by (i, j). Each
    of `n_tasks` tasks owns a partial dW over a range of samples (no two threads add into
    the same memory); the partials are added at the end."""
    n_batch, out_h, out_w, out_ch = g.shape
    channels, height, width = xp.shape[1], xp.shape[2], xp.shape[3]
    span = (out_h - 1) * width + out_w
    n_tasks = max(min(n_batch, n_tasks), 1)
    partial = zeros((n_tasks, out_ch, kh, kw, channels), g)
    partial_b = zeros((n_tasks, out_ch), g)
    for task in prange(n_tasks):
        spaced = np.zeros((out_ch, span), dtype=g.dtype)  # dropped positions stay 0
        dw = partial[task]
        db = partial_b[task]
        for n in range(task * n_batch // n_tasks, (task + 1) * n_batch // n_tasks):
            src = g[n]
            # Spacing g's channels-last sample into planes is a transpose. Measured (weight
            # gradient at 2 threads): with few channels, writing each plane row in one run
            # is faster (LeNet-5's O=6: x0.85); from 16 channels, reading each pixel's
            # channels in one run is (the BN CNN's O=16: x0.88 the other way round).
            if out_ch <= 8:
                for o in range(out_ch):
                    row = spaced[o]
                    for oh in range(out_h):
                        dst = row[oh * width : oh * width + out_w]
                        for ow in range(out_w):
                            dst[ow] = src[oh, ow, o]
            else:
                for oh in range(out_h):
                    for ow in range(out_w):
                        for o in range(out_ch):
                            spaced[o, oh * width + ow] = src[oh, ow, o]
            planes = xp[n].reshape(channels, height * width)
            for o in range(out_ch):
                gs = spaced[o]
                total = gs[0] - gs[0]
                for q in range(span):
                    total += gs[q]
                db[o] += total
                for c in range(channels):
                    plane = planes[c]
                    for i in range(kh):
                        # three taps per sweep share each load of g (as the forward)
                        j = 0
                        while j + 3 <= kw:
                            at = i * width + j
                            x0 = plane[at : at + span]
                            x1 = plane[at + 1 : at + 1 + span]
                            x2 = plane[at + 2 : at + 2 + span]
                            t0 = gs[0] - gs[0]
                            t1 = t0
                            t2 = t0
                            for q in range(span):
                                t0 += gs[q] * x0[q]
                                t1 += gs[q] * x1[q]
                                t2 += gs[q] * x2[q]
                            dw[o, i, j, c] += t0
                            dw[o, i, j + 1, c] += t1
                            dw[o, i, j + 2, c] += t2
                            j += 3
                        if j + 2 == kw:  # two taps left: one sweep (5 = 3 + 2)
                            at = i * width + j
                            x0 = plane[at : at + span]
                            x1 = plane[at + 1 : at + 1 + span]
                            t0 = gs[0] - gs[0]
                            t1 = t0
                            for q in range(span):
                                t0 += gs[q] * x0[q]
                                t1 += gs[q] * x1[q]
                            dw[o, i, j, c] += t0
                            dw[o, i, j + 1, c] += t1
                            j += 2
                        if j < kw:  # one tap left
                            at = i * width + j
                            xs = plane[at : at + span]
                            total = gs[0] - gs[0]
                            for q in range(span):
                                total += gs[q] * xs[q]
                            dw[o, i, j, c] += total
    return sum_first_axis(partial), sum_first_axis(partial_b)
