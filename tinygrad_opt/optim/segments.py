"""Chunk tables for kernels that reduce per tensor (LAMB, LARS, Adafactor's vectors).

A run's parameters are consecutive segments of one flat buffer (`offsets`, length n+1).
A per-tensor norm needs a reduction per segment, yet a segment can be anything from one
element to most of the model; so segments are cut into chunks of at most `chunk` elements
that never cross a segment boundary, a `prange` over chunks computes partial sums, and a
short serial loop adds the partials of each segment. The table is O(number of chunks).
"""

from __future__ import annotations

import numpy as np

from ..jit import kernel

CHUNK = 16384  # elements per chunk: a few L2-sized tiles, and many chunks for load balance
# Elements per inner block of a norm: summed in the parameters' dtype, then added in float64.
# A float64 accumulator in a float32 loop makes LLVM vectorise the whole loop 4 wide (the
# width of float64 in a 256-bit register), halving the float32 divisions and square roots
# per instruction; a float32 sum of 256 squares loses at most ~256 * 2**-24 relative (far
# less in practice: the vectorised sum has 8+ independent lanes).
BLOCK = 256


@kernel(parallel=False)
def chunk_table(offsets, chunk):
    """(starts, ends, segment) of each chunk; empty segments get no chunk."""
    n_seg = offsets.size - 1
    count = 0
    for s in range(n_seg):
        count += (offsets[s + 1] - offsets[s] + chunk - 1) // chunk
    starts = np.empty(count, dtype=np.int64)
    ends = np.empty(count, dtype=np.int64)
    segment = np.empty(count, dtype=np.int64)
    c = 0
    for s in range(n_seg):
        lo = offsets[s]
        while lo < offsets[s + 1]:
            starts[c] = lo
            ends[c] = min(lo + chunk, offsets[s + 1])
            segment[c] = s
            lo += chunk
            c += 1
    return starts, ends, segment


@kernel(parallel=False)
def sum_by_segment(partials, segment, n_seg):
    """Add each chunk's partial sums (rows of `partials`) into its segment's row."""
    totals = np.zeros((n_seg, partials.shape[1]), dtype=np.float64)
    for c in range(segment.size):
        for k in range(partials.shape[1]):
            totals[segment[c], k] += partials[c, k]
    return totals


@kernel(parallel=False, inline=True)
def sums_of_squares(a, b, zero):
    """(sum of a**2, sum of b**2) over two 1-D arrays of one length, as float64: summed in
    the arrays' dtype (`zero` is its 0) over blocks of BLOCK elements, in float64 across."""
    a_sum = 0.0
    b_sum = 0.0
    for lo in range(0, a.size, BLOCK):
        # slices indexed from 0 let Numba drop negative-index checks, so the loop vectorises
        a_block_values, b_block_values = a[lo : lo + BLOCK], b[lo : lo + BLOCK]
        a_block = zero
        b_block = zero
        for i in range(a_block_values.size):
            a_block += a_block_values[i] * a_block_values[i]
            b_block += b_block_values[i] * b_block_values[i]
        a_sum += np.float64(a_block)
        b_sum += np.float64(b_block)
    return a_sum, b_sum
