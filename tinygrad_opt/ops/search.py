"""Finding and counting values: nonzero/argwhere/nonzero_static, unique, unique_consecutive,
bincount, histc, searchsorted and bucketize. Their results are indices or counts, outside the
graph (as in PyTorch, where none of them has a gradient).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .axes import normalize_axis


def _array(value) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def nonzero(x: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements in row-major order: an (N, ndim) int64 tensor, or with
    as_tuple=True one 1-D tensor per dimension (a 0-d tensor counts as 1-D there), as torch."""
    a = x.data
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(a)))
    if a.ndim == 0:
        return Tensor(np.zeros((int(a != 0), 0), dtype=np.int64))
    return Tensor(np.argwhere(a).astype(np.int64))


def argwhere(x: Tensor) -> Tensor:
    """nonzero(x) as an (N, ndim) tensor (torch.argwhere)."""
    return nonzero(x)


def _unique_result(values, inverse, counts, return_inverse: bool, return_counts: bool, shape):
    out = [Tensor(values)]
    if return_inverse:
        out.append(Tensor(inverse.astype(np.int64).reshape(shape)))
    if return_counts:
        out.append(Tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(
    x: Tensor,
    sorted: bool = True,  # noqa: A002 - torch's name
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
):
    """The distinct values (or, with `dim`, distinct slices along dim) in ascending order
    (torch.unique); with return_inverse the position of each input element in them (x's
    shape, or dim's length), with return_counts how often each occurs. sorted=False gives
    sorted output too (torch on the CPU does the same). Each NaN is a value of its own, as
    torch (numpy's default would merge them)."""
    del sorted
    a = x.data
    if dim is None:
        values, inverse, counts = np.unique(
            a, return_inverse=True, return_counts=True, equal_nan=False
        )
        return _unique_result(values, inverse, counts, return_inverse, return_counts, a.shape)
    ax = normalize_axis("unique", dim, a.ndim)
    values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=ax)
    return _unique_result(
        values, inverse, counts, return_inverse, return_counts, (a.shape[ax],)
    )


def unique_consecutive(
    x: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
):
    """Collapse each run of equal consecutive values (or slices along `dim`) into one
    (torch.unique_consecutive); inverse and counts as in `unique`."""
    a = x.data
    if dim is None:
        flat = a.reshape(-1)
        shape = a.shape
        moved = flat
        changes = flat[1:] != flat[:-1]
    else:
        ax = normalize_axis("unique_consecutive", dim, a.ndim)
        moved = np.moveaxis(a, ax, 0)
        shape = (a.shape[ax],)
        diff = moved[1:] != moved[:-1]
        changes = diff.reshape(diff.shape[0], -1).any(axis=1)
    n = moved.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _unique_result(moved, empty, empty, return_inverse, return_counts, shape)
    starts = np.concatenate([[True], changes])
    inverse = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, n))
    values = moved[first]
    if dim is not None:
        values = np.moveaxis(values, 0, ax)
    return _unique_result(values, inverse, counts, return_inverse, return_counts, shape)


def bincount(x: Tensor, weights=None, minlength: int = 0) -> Tensor:
    """How often each value 0..max occurs in a 1-D non-negative integer tensor (at least
    `minlength` bins); with `weights`, their sums per value, in weights' dtype (float
    weights; integer weights give float64 as torch)."""
    a = x.data
    if a.ndim != 1 or a.dtype.kind not in "iub":
        raise ValueError(
            f"bincount: expects a 1-D integer tensor, got {a.dtype} of shape {a.shape}"
        )
    if a.size and a.min() < 0:
        raise ValueError(f"bincount: values must be >= 0, got {a.min()}")
    if isinstance(minlength, bool) or not isinstance(minlength, (int, np.integer)) or minlength < 0:
        raise ValueError(f"bincount: minlength must be an int >= 0, got {minlength!r}")
    if weights is None:
        return Tensor(np.bincount(a, minlength=minlength).astype(np.int64))
    w = _array(weights)
    if w.shape != a.shape:
        raise ValueError(f"bincount: weights of shape {w.shape} must match input's {a.shape}")
    dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return Tensor(np.bincount(a, weights=w, minlength=minlength).astype(dtype), dtype=dtype)


def histc(x: Tensor, bins: int = 100, min=0, max=0) -> Tensor:  # noqa: A002
    """A histogram of `bins` equal-width bins over [min, max] (the data's own min and max
    when min == max), ignoring values outside; a value equal to max goes in the last bin
    (torch.histc). The counts have x's (floating) dtype."""
    a = x.data
    if a.dtype.kind != "f":
        raise TypeError(f"histc: expects a floating-point tensor, got {a.dtype}")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins <= 0:
        raise ValueError(f"histc: bins must be a positive int, got {bins!r}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise ValueError(f"histc: max ({max}) must be >= min ({min})")
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:  # as torch: an empty or constant range becomes [lo - 1, hi + 1]
        lo, hi = lo - 1, hi + 1
    inside = a[(a >= lo) & (a <= hi)]
    # in x's dtype, as torch: a float32 value equal to a float32 bin edge opens that bin
    low, width = a.dtype.type(lo), a.dtype.type(hi) - a.dtype.type(lo)
    which = np.minimum(((inside - low) * bins / width).astype(np.int64), bins - 1)
    return Tensor(np.bincount(which, minlength=bins).astype(a.dtype), dtype=a.dtype)


def searchsorted(
    sorted_sequence,
    input,  # noqa: A002 - torch's name
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter=None,
) -> Tensor:
    """Where each value of `input` would be inserted to keep the innermost dimension of
    `sorted_sequence` sorted (torch.searchsorted): the first such place, or the last with
    right=True / side='right'. An N-D sequence searches row by row, with `input`'s leading
    dimensions matching; a scalar or 0-d input gives a 0-d result."""
    seq = _array(sorted_sequence)
    scalar = np.ndim(_array(input)) == 0  # a number or a 0-d tensor
    vals = np.atleast_1d(_array(input))
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError("searchsorted: right=True and side='left' contradict each other")
        right = side == "right"
    if sorter is not None:
        seq = np.take_along_axis(seq, _array(sorter).astype(np.int64), axis=-1)
    which = "right" if right else "left"
    if seq.ndim <= 1:
        out = np.searchsorted(seq.reshape(-1), vals, side=which)
    else:
        if seq.shape[:-1] != vals.shape[:-1]:
            raise ValueError(
                f"searchsorted: sorted_sequence of shape {seq.shape} and input of shape "
                f"{vals.shape} must match in all but the last dimension"
            )
        # one flat search: rank every value jointly, then offset each row's ranks past the
        # previous row's so rows cannot mix
        rows = seq.reshape(-1, seq.shape[-1])
        queries = vals.reshape(rows.shape[0], -1)
        _, ranks = np.unique(np.concatenate([rows.ravel(), queries.ravel()]), return_inverse=True)
        span = int(ranks.max()) + 1 if ranks.size else 1
        row_keys = ranks[: rows.size].reshape(rows.shape) + span * np.arange(rows.shape[0])[:, None]
        query_keys = ranks[rows.size :].reshape(queries.shape)
        query_keys = query_keys + span * np.arange(rows.shape[0])[:, None]
        found = np.searchsorted(row_keys.ravel(), query_keys.ravel(), side=which)
        found = found.reshape(queries.shape) - rows.shape[1] * np.arange(rows.shape[0])[:, None]
        out = found.reshape(vals.shape)
    out = out.astype(np.int32 if out_int32 else np.int64)
    return Tensor(out.reshape(()) if scalar else out)


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: A002
    """The bucket of each value given 1-D sorted `boundaries` (torch.bucketize):
    right=False gives i with boundaries[i-1] < v <= boundaries[i], right=True
    boundaries[i-1] <= v < boundaries[i]."""
    b = _array(boundaries)
    if b.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {b.shape}")
    return searchsorted(b, input, out_int32=out_int32, right=right)


def nonzero_static(x: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """nonzero(x) with exactly `size` rows: truncated, or padded with rows of `fill_value`
    (torch.nonzero_static)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise ValueError(f"nonzero_static: size must be an int >= 0, got {size!r}")
    # the rows are int64 indices: a float or bool fill would be truncated silently
    if isinstance(fill_value, bool) or not isinstance(fill_value, (int, np.integer)):
        raise TypeError(f"nonzero_static: fill_value must be an int, got {fill_value!r}")
    found = nonzero(x).data[:size]
    out = np.full((int(size), found.shape[1]), fill_value, dtype=np.int64)
    out[: len(found)] = found
    return Tensor(out)
