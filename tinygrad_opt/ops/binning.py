"""Grouping values by position: `histogramdd` (counts over a D-dimensional grid of bins),
`segment_reduce` (reductions over consecutive runs) and `unravel_index` (flat indices to
coordinates), as torch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from . import arithmetic
from .scatter_reduce import scatter_reduce


class HistogramDD(NamedTuple):
    """histogramdd's result: (hist, bin_edges), as torch.return_types.histogramdd."""

    hist: Tensor
    bin_edges: tuple[Tensor, ...]


def histogramdd(input: Tensor, bins, *, range=None, weight=None,  # noqa: A002
                density: bool = False) -> HistogramDD:
    """Counts (or weight sums) of the points in input's last dimension (D coordinates per
    point, the other dimensions flattened) on a grid of bins: `bins` an int (per dimension),
    a list of D ints, or a list of D 1-D tensors of edges; `range` a flat list
    [min_1, max_1, ..., min_D, max_D] (default: each coordinate's min to max). The last bin
    of each dimension includes its right edge. Floating tensors only; no gradient."""
    a = input.data
    if a.dtype.kind != "f":
        raise TypeError(f"histogramdd: needs a floating-point tensor, got {a.dtype}")
    if a.ndim < 1:
        raise ValueError("histogramdd: input must have at least one dimension (D coordinates)")
    points = a.reshape(-1, a.shape[-1])
    d = points.shape[1]
    if isinstance(bins, (int, np.integer)):
        bins_arg = [int(bins)] * d
    else:
        bins_arg = [b.data if isinstance(b, Tensor) else b for b in bins]
        if len(bins_arg) != d:
            raise ValueError(f"histogramdd: bins has {len(bins_arg)} entries for {d} dimensions")
    ranges = None
    if range is not None:
        flat = [float(v) for v in range]
        if len(flat) != 2 * d:
            raise ValueError(
                f"histogramdd: range must hold 2 * D = {2 * d} numbers (min, max per "
                f"dimension), got {len(flat)}"
            )
        ranges = [(flat[2 * i], flat[2 * i + 1]) for i in np.arange(d)]
    w = weight.data if isinstance(weight, Tensor) else weight
    if w is not None:
        w = np.asarray(w)
        if w.shape != a.shape[:-1]:
            raise ValueError(f"histogramdd: weight has shape {w.shape}, expected {a.shape[:-1]}")
        w = w.reshape(-1)
    hist, edges = np.histogramdd(points, bins=bins_arg, range=ranges, density=density, weights=w)
    return HistogramDD(Tensor(hist.astype(a.dtype)),
                       tuple(Tensor(e.astype(a.dtype)) for e in edges))


_SEGMENT_REDUCES = {"sum": "sum", "prod": "prod", "max": "amax", "min": "amin", "mean": "sum"}
_EMPTY = {"sum": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf, "mean": np.nan}


def _int_array(op: str, name: str, value) -> np.ndarray:
    v = value.data if isinstance(value, Tensor) else np.asarray(value)
    if v.dtype.kind not in "iu" or v.ndim == 0:
        raise ValueError(
            f"{op}: {name} must be an integer tensor with at least one dimension, got dtype "
            f"{v.dtype} and shape {v.shape}"
        )
    return v.astype(np.int64)


def segment_reduce(data: Tensor, reduce: str, *, lengths=None, indices=None, offsets=None,
                   axis: int = 0, unsafe: bool = False, initial=None) -> Tensor:
    """Reduce consecutive runs of `data` along `axis` (torch.segment_reduce): segment s
    holds lengths[..., s] entries (or offsets[..., s] .. offsets[..., s+1]); lengths has
    data's shape before `axis` plus the segment count, so axis = lengths.ndim - 1, as torch.
    `reduce` is "sum", "mean", "max", "min" or "prod". An empty segment gives 0, NaN, -inf,
    inf, 1 (or `initial`, which otherwise joins every reduction; mean: (initial + sum) /
    count). Differentiable through scatter_reduce. Deviation: `indices` (unused by torch
    too) is refused; lengths are always checked (`unsafe` is accepted and ignored)."""
    if reduce not in _SEGMENT_REDUCES:
        raise ValueError(
            f"segment_reduce: reduce must be one of {sorted(_SEGMENT_REDUCES)}, got {reduce!r}"
        )
    if indices is not None:
        raise ValueError("segment_reduce: indices is not supported; pass lengths or offsets")
    if (lengths is None) == (offsets is None):
        raise ValueError("segment_reduce: pass exactly one of lengths and offsets")
    if lengths is not None:
        counts = _int_array("segment_reduce", "lengths", lengths)
    else:
        bounds = _int_array("segment_reduce", "offsets", offsets)
        if bounds.shape[-1] == 0 or np.any(bounds[..., 0] != 0):
            raise ValueError("segment_reduce: offsets must start at 0")
        counts = np.diff(bounds, axis=-1)
    a = data.data
    if axis != counts.ndim - 1 or a.ndim <= axis or a.shape[:axis] != counts.shape[:-1]:
        raise ValueError(
            f"segment_reduce: lengths/offsets of shape {counts.shape} need axis = "
            f"{counts.ndim - 1} and data whose shape starts with {counts.shape[:-1]}; got "
            f"axis={axis} and data of shape {a.shape}"
        )
    n = a.shape[axis]
    segments = counts.shape[-1]
    if np.any(counts < 0) or np.any(counts.sum(-1) != n):
        raise ValueError(
            f"segment_reduce: the segment lengths {np.array2string(counts, threshold=20)} must be "
            f"non-negative and sum to data.shape[{axis}] = {n}"
        )
    # owner[..., p] = the segment holding position p: segment s repeated counts[..., s] times
    # (each row of counts sums to n, so the rows come out back to back); O(n) memory
    labels = np.broadcast_to(np.arange(segments), counts.shape).reshape(-1)
    owner = np.repeat(labels, counts.reshape(-1)).reshape(counts.shape[:-1] + (n,))
    index = np.broadcast_to(owner.reshape(owner.shape + (1,) * (a.ndim - axis - 1)),
                            a.shape).copy()
    fill = _EMPTY[reduce] if initial is None else float(initial)
    out_shape = a.shape[:axis] + (segments,) + a.shape[axis + 1:]
    start = Tensor(np.full(out_shape, fill, dtype=a.dtype), dtype=a.dtype)
    if reduce == "mean" and initial is None:  # empty segments keep the NaN fill
        return scatter_reduce(start, axis, index, data, "mean", include_self=False)
    out = scatter_reduce(start, axis, index, data, _SEGMENT_REDUCES[reduce],
                         include_self=initial is not None)
    if reduce == "mean":  # (initial + sum) / count; an empty segment keeps initial
        denom = np.maximum(counts, 1).astype(a.dtype)
        out = arithmetic.div(out, denom.reshape(denom.shape + (1,) * (a.ndim - axis - 1)))
    return out


def unravel_index(indices, shape) -> tuple[Tensor, ...]:
    """The coordinates, one int64 tensor per dimension of `shape`, of flat (row-major)
    `indices` (torch.unravel_index); indices must lie in [-numel, numel) (negative ones
    count from the end, as torch)."""
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: indices must be integers, got dtype {idx.dtype}")
    dims = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
    if any(n < 0 for n in dims):
        raise ValueError(f"unravel_index: shape must be non-negative, got {dims}")
    total = int(np.prod(dims))
    if idx.size and (idx.min() < -total or idx.max() >= total):
        raise ValueError(
            f"unravel_index: indices must lie in [{-total}, {total}) for shape {dims}, got "
            f"min {idx.min()}, max {idx.max()}"
        )
    coords = np.unravel_index(np.where(idx < 0, idx + total, idx), dims)
    return tuple(Tensor(c.astype(np.int64)) for c in coords)
