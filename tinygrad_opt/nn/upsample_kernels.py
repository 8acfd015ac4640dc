"""Numba kernels for resampling one axis of an array (nearest, linear, and any fixed number
of taps per output: bicubic, antialias).

Interpolation modes of `F.interpolate` are separable: 2-D is the 1-D rule along W, then
along H. Each kernel sees the array as (A, size, B): A the axes before the resampled one
(run in parallel: different rows never write the same memory), B those after it (a
contiguous inner run when resampling H, 1 when resampling W). Output position o reads
input rows i0[o] and i1[o] with weights w0[o] and w1[o]; the caller builds these arrays
once per shape (the taps kernels take (size_out, K) index and weight arrays). All arrays
are C-contiguous and preallocated by the caller.
"""

from __future__ import annotations

from numba import prange

from ..jit import kernel


@kernel
def _linear_axis_forward(x, out, i0, i1, w0, w1):
    """out[a, o, b] = w0[o] * x[a, i0[o], b] + w1[o] * x[a, i1[o], b]."""
    n_outer, size_out, inner = out.shape
    for a in prange(n_outer):
        for o in range(size_out):
            j0 = i0[o]
            j1 = i1[o]
            l0 = w0[o]
            l1 = w1[o]
            for b in range(inner):
                out[a, o, b] = l0 * x[a, j0, b] + l1 * x[a, j1, b]


@kernel
def _linear_axis_backward(g, dx, i0, i1, w0, w1):
    """The transpose of _linear_axis_forward: each output's gradient, times its two
    weights, is added to the two input rows it read (dx is zeroed first)."""
    n_outer, size_out, inner = g.shape
    for a in prange(n_outer):
        dx[a] = 0.0
        for o in range(size_out):
            j0 = i0[o]
            j1 = i1[o]
            l0 = w0[o]
            l1 = w1[o]
            for b in range(inner):
                v = g[a, o, b]
                dx[a, j0, b] += l0 * v
                dx[a, j1, b] += l1 * v


@kernel
def _nearest_axis_backward(g, dx, index):
    """The transpose of out[a, o, b] = x[a, index[o], b]: dx[a, index[o], b] += g[a, o, b].
    No weights, so an infinite gradient stays infinite (0 * inf would be NaN)."""
    n_outer, size_out, inner = g.shape
    for a in prange(n_outer):
        dx[a] = 0.0
        for o in range(size_out):
            j = index[o]
            for b in range(inner):
                dx[a, j, b] += g[a, o, b]


@kernel
def _taps_axis_forward(x, out, index, weight):
    """out[a, o, b] = sum_k weight[o, k] * x[a, index[o, k], b]: any number of taps per
    output position (4 for bicubic), index and weight of shape (size_out, K); a tap of
    index -1 is padding and is skipped."""
    n_outer, size_out, inner = out.shape
    n_taps = index.shape[1]
    for a in prange(n_outer):
        for o in range(size_out):
            for b in range(inner):
                out[a, o, b] = 0.0
            for k in range(n_taps):
                j = index[o, k]
                if j < 0:
                    continue
                w = weight[o, k]
                for b in range(inner):
                    out[a, o, b] += w * x[a, j, b]


@kernel
def _taps_axis_backward(g, dx, index, weight):
    """The transpose of _taps_axis_forward: dx[a, index[o, k], b] += weight[o, k] *
    g[a, o, b] (dx is zeroed first)."""
    n_outer, size_out, inner = g.shape
    n_taps = index.shape[1]
    for a in prange(n_outer):
        dx[a] = 0.0
        for o in range(size_out):
            for k in range(n_taps):
                j = index[o, k]
                if j < 0:
                    continue
                w = weight[o, k]
                for b in range(inner):
                    dx[a, j, b] += w * g[a, o, b]
