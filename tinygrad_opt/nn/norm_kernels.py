"""Numba kernels for batch norm on a channels-last (M, C) matrix.

numpy reduces (M, C) over axis 0 with an inner loop of length C, which is slow for the
small C of a CNN; these kernels split the rows into one block per thread, accumulate each
block's per-channel sums in float64, then combine the few partial rows. Every pass reads
the rows contiguously.
"""

from __future__ import annotations

from numba import get_num_threads, prange

from ..jit import kernel
from ..partials import sum_first_axis, zeros_float64


@kernel
def _channel_mean_var(x, n_blocks):
    """Per-column mean and biased variance of x (M, C), two-pass in float64."""
    m, c = x.shape
    block = (m + n_blocks - 1) // n_blocks
    partial = zeros_float64((n_blocks, c))
    for b in prange(n_blocks):
        for i in range(b * block, min(m, (b + 1) * block)):
            for j in range(c):
                partial[b, j] += x[i, j]
    mean = sum_first_axis(partial)
    for j in range(c):
        mean[j] /= m
    partial_sq = zeros_float64((n_blocks, c))
    for b in prange(n_blocks):
        for i in range(b * block, min(m, (b + 1) * block)):
            for j in range(c):
                d = x[i, j] - mean[j]
                partial_sq[b, j] += d * d
    var = sum_first_axis(partial_sq)
    for j in range(c):
        var[j] /= m
    return mean, var


@kernel
def _scale_shift(x, mean, scale, shift, out):
    """out = (x - mean) * scale + shift, per column."""
    m, c = x.shape
    for i in prange(m):
        for j in range(c):
            out[i, j] = (x[i, j] - mean[j]) * scale[j] + shift[j]


@kernel
def _grad_sums(g, x, mean, inv_std, n_blocks):
    """Per-column sum(g) and sum(g * xhat) with xhat = (x - mean) * inv_std."""
    m, c = g.shape
    block = (m + n_blocks - 1) // n_blocks
    sum_g = zeros_float64((n_blocks, c))
    sum_gx = zeros_float64((n_blocks, c))
    for b in prange(n_blocks):
        for i in range(b * block, min(m, (b + 1) * block)):
            for j in range(c):
                gi = g[i, j]
                sum_g[b, j] += gi
                sum_gx[b, j] += gi * (x[i, j] - mean[j]) * inv_std[j]
    return sum_first_axis(sum_g), sum_first_axis(sum_gx)


@kernel
def _batch_norm_input_grad(g, x, mean, inv_std, scale, mean_g, mean_gx, out):
    """out = scale * (g - mean_g - xhat * mean_gx): the training-mode input gradient."""
    m, c = g.shape
    for i in prange(m):
        for j in range(c):
            xhat = (x[i, j] - mean[j]) * inv_std[j]
            out[i, j] = scale[j] * (g[i, j] - mean_g[j] - xhat * mean_gx[j])


def blocks() -> int:
    """How many row blocks the reductions use: a few per thread for balance."""
    return 4 * get_num_threads()
