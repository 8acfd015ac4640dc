"""numpy-style joining and splitting in PyTorch's spelling: hstack, vstack, dstack,
column_stack, atleast_1d/2d/3d, tensor_split, hsplit, vsplit, dsplit; and the grids
meshgrid, cartesian_prod, combinations and block_diag.

All are compositions of reshape, expand, cat, pad and slicing, so their gradients are
those ops' (a split's pieces hand the engine `SlicedGrad`s).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..tensor import Tensor
from .axes import normalize_axis
from .join import cat, stack
from .movement import _slice_along, expand, pad, reshape


def _tensor_list(op: str, tensors) -> list[Tensor]:
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise ValueError(f"{op}: expected at least one tensor")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def atleast_1d(*tensors):
    """0-d tensors become shape (1,); others are returned as they are (torch.atleast_1d)."""
    out = [reshape(t, 1) if t.data.ndim == 0 else t for t in _tensor_list("atleast_1d", tensors)]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_2d(*tensors):
    """0-d -> (1, 1), 1-D (n,) -> (1, n) (torch.atleast_2d)."""
    out = [
        reshape(t, (1,) * (2 - t.data.ndim) + t.data.shape) if t.data.ndim < 2 else t
        for t in _tensor_list("atleast_2d", tensors)
    ]
    return out[0] if len(out) == 1 else tuple(out)


def _to_3d(t: Tensor) -> Tensor:
    shape = t.data.shape
    if len(shape) == 0:
        return reshape(t, 1, 1, 1)
    if len(shape) == 1:
        return reshape(t, 1, shape[0], 1)
    if len(shape) == 2:
        return reshape(t, *shape, 1)
    return t


def atleast_3d(*tensors):
    """0-d -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1) (torch.atleast_3d)."""
    out = [_to_3d(t) for t in _tensor_list("atleast_3d", tensors)]
    return out[0] if len(out) == 1 else tuple(out)


def hstack(tensors) -> Tensor:
    """Join along dim 1, or dim 0 when every tensor is 1-D (0-d ones count as 1-D)."""
    ts = [reshape(t, 1) if t.data.ndim == 0 else t for t in _tensor_list("hstack", (tensors,))]
    return cat(ts, 0 if all(t.data.ndim == 1 for t in ts) else 1)


def vstack(tensors) -> Tensor:
    """Join along dim 0 after making each tensor at least 2-D (torch.vstack / row_stack)."""
    ts = _tensor_list("vstack", (tensors,))
    return cat([atleast_2d(t) for t in ts], 0)


def dstack(tensors) -> Tensor:
    """Join along dim 2 after making each tensor at least 3-D (torch.dstack)."""
    return cat([_to_3d(t) for t in _tensor_list("dstack", (tensors,))], 2)


def column_stack(tensors) -> Tensor:
    """0-d and 1-D tensors become columns (n, 1); all are joined along dim 1."""
    ts = _tensor_list("column_stack", (tensors,))
    return cat([reshape(t, t.data.size, 1) if t.data.ndim < 2 else t for t in ts], 1)


def tensor_split(x: Tensor, indices_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of x along `dim` (torch.tensor_split): an int n gives n pieces, the first
    size % n of them one longer; a list of indices gives the split points (np.array_split)."""
    a = x.data
    if a.ndim == 0:
        raise ValueError("tensor_split: cannot split a 0-d tensor")
    ax = normalize_axis("tensor_split", dim, a.ndim)
    n = a.shape[ax]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec.data.tolist()
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        sections = int(spec)
        if sections <= 0:
            raise ValueError(f"tensor_split: sections must be a positive int, got {sections}")
        small, extra = divmod(n, sections)
        sizes = [small + 1] * extra + [small] * (sections - extra)
        points = np.cumsum(sizes)[:-1].tolist()
    else:
        points = [int(i) for i in spec]
    # each piece is a[lo:hi] with Python's slice rules (negative points count from the end)
    ends = [None, *points, None]
    pieces = []
    for lo, hi in zip(ends, ends[1:]):
        start, stop, _ = slice(lo, hi).indices(n)
        pieces.append(_slice_along(x, ax, start, max(start, stop)))
    return tuple(pieces)


def _numpy_split(op: str, x: Tensor, spec, dim: int, min_ndim: int) -> tuple[Tensor, ...]:
    if x.data.ndim < min_ndim:
        raise ValueError(f"{op}: needs at least {min_ndim} dimensions, got shape {x.shape}")
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        n = x.data.shape[dim]
        if spec <= 0 or n % spec:
            raise ValueError(
                f"{op}: {spec} sections do not divide dimension {dim} of size {n} evenly"
            )
    return tensor_split(x, spec, dim)


def hsplit(x: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """tensor_split along dim 1 (dim 0 for 1-D); an int must divide the size evenly."""
    return _numpy_split("hsplit", x, indices_or_sections, 1 if x.data.ndim > 1 else 0, 1)


def vsplit(x: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """tensor_split along dim 0 of a tensor with at least 2 dimensions."""
    return _numpy_split("vsplit", x, indices_or_sections, 0, 2)


def dsplit(x: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """tensor_split along dim 2 of a tensor with at least 3 dimensions."""
    return _numpy_split("dsplit", x, indices_or_sections, 2, 3)


def meshgrid(*tensors, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 0-d or 1-D tensors (torch.meshgrid). indexing='ij' (the
    default, as torch, which warns about it) gives shape (n1, n2, ...); 'xy' swaps the
    first two dimensions. Each grid is an expand, so its gradient sums over the copies."""
    ts = _tensor_list("meshgrid", tensors)
    mode = "ij" if indexing is None else indexing
    if mode not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if any(t.data.ndim > 1 for t in ts):
        raise ValueError("meshgrid: expects 0-d or 1-D tensors")
    sizes = [t.data.size for t in ts]
    order = list(range(len(ts)))
    if mode == "xy" and len(ts) >= 2:
        order[0], order[1] = 1, 0
    shape = tuple(sizes[i] for i in order)
    grids = []
    for k, t in enumerate(ts):
        position = order.index(k)
        view = [1] * len(ts)
        view[position] = sizes[k]
        grids.append(expand(reshape(t, *view), *shape))
    return tuple(grids)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element of each 1-D tensor, as rows (torch.cartesian_prod);
    a single tensor is returned as it is."""
    ts = _tensor_list("cartesian_prod", tensors)
    if any(t.data.ndim != 1 for t in ts):
        raise ValueError("cartesian_prod: expects 1-D tensors")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([reshape(g, -1) for g in grids], 1)


def combinations(x: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-length combinations of a 1-D tensor's elements, as rows in lexicographic
    order of positions (torch.combinations = itertools.combinations(_with_replacement))."""
    if x.data.ndim != 1:
        raise ValueError(f"combinations: expects a 1-D tensor, got shape {x.shape}")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 0:
        raise ValueError(f"combinations: r must be an int >= 0, got {r!r}")
    if r == 0:
        return Tensor(np.empty(0, dtype=x.data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    # the index rows, not the elements, come from itertools (C code, one tuple per row)
    flat = np.fromiter(itertools.chain.from_iterable(pick(range(x.data.size), r)), np.int64)
    rows = flat.reshape(-1, r)
    if rows.shape[0] == 0:
        return Tensor.make(np.empty((0, r), dtype=x.data.dtype), (x,), lambda g: (None,))
    return x[rows]


def block_diag(*tensors) -> Tensor:
    """The tensors (0-d, 1-D as one row, or 2-D) along the diagonal of a zero matrix
    (torch.block_diag); dtypes promote as in cat."""
    ts = _tensor_list("block_diag", tensors)
    mats = []
    for t in ts:
        if t.data.ndim > 2:
            raise ValueError(f"block_diag: expects tensors with at most 2 dims, got {t.shape}")
        mats.append(reshape(t, 1, -1) if t.data.ndim < 2 else t)
    widths = [m.data.shape[1] for m in mats]
    total = sum(widths)
    left = np.cumsum([0, *widths[:-1]])
    rows = [pad(m, (int(lo), int(total - lo - w))) for m, lo, w in zip(mats, left, widths)]
    return cat(rows, 0)
