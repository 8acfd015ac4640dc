"""PyTorch's remaining reshaping and building conveniences: ravel, tile, msort, aminmax,
sum_to_size, split_with_sizes, narrow_copy, diagflat, addr, histogram and fill_diagonal_.

Each builds on an existing op, so gradients come from those ops (aminmax splits ties evenly
as amin/amax; histogram and fill_diagonal_ have none).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from . import arithmetic, diagonal, linalg, movement, rearrange, reduce, sort
from .in_place import apply_in_place
from .utility import clone


def ravel(x: Tensor) -> Tensor:
    """x flattened to one dimension (torch.ravel)."""
    return movement.reshape(x, (-1,))


def tile(x: Tensor, *dims) -> Tensor:
    """x repeated dims[i] times along each dimension; fewer dims than x has are padded with
    1s in front, as torch.tile (unlike repeat, which needs one per dimension)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    dims = (1,) * (x.data.ndim - len(dims)) + tuple(int(d) for d in dims)
    return movement.repeat(x, *dims)


def msort(x: Tensor) -> Tensor:
    """The values sorted along dimension 0 (torch.msort); a 0-d tensor is returned as is."""
    if x.data.ndim == 0:
        return x
    return sort.sort(x, 0).values


class MinMax(NamedTuple):
    """aminmax's result: (min, max), as torch.return_types.aminmax."""

    min: Tensor
    max: Tensor


def aminmax(x: Tensor, *, dim: int | None = None, keepdim: bool = False) -> MinMax:
    """(amin, amax) over `dim` (all elements by default), as torch.aminmax."""
    return MinMax(
        reduce.amin(x, dim=dim, keepdim=keepdim), reduce.amax(x, dim=dim, keepdim=keepdim)
    )


def sum_to_size(x: Tensor, *size) -> Tensor:
    """x summed down to `size`, which must expand to x's shape: each of its dimensions is 1
    or x's size there, and it may have fewer dimensions (missing ones are summed away)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(n) for n in size)
    shape = x.data.shape
    lead = len(shape) - len(size)
    if lead < 0 or any(n != 1 and n != shape[lead + i] for i, n in enumerate(size)):
        raise ValueError(f"sum_to_size: size {size} is not expandable to the shape {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(size) if n == 1 and shape[lead + i] != 1
    )
    if not axes:
        return x
    return movement.reshape(reduce.sum(x, axes, keepdims=True), size)


def split_with_sizes(x: Tensor, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of x along `dim` with the given sizes, which must add up to the dimension."""
    if isinstance(split_sizes, (int, np.integer)):
        raise TypeError(
            f"split_with_sizes: split_sizes must be a sequence of ints, got {split_sizes!r}"
        )
    return movement.split(x, list(split_sizes), dim)


def narrow_copy(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """narrow(dim, start, length) as a copy, not a view."""
    return clone(rearrange.narrow(x, dim, start, length))


def diagflat(input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002 - torch's name
    """A square matrix with input's elements (flattened) on diagonal `offset`."""
    return diagonal.diag(movement.reshape(input, (-1,)), offset)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta * input + alpha * outer(vec1, vec2); with beta = 0 input is ignored (its NaN
    and inf do not propagate), as torch."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if not isinstance(v, Tensor) or v.data.ndim != 1:
            raise ValueError(f"addr: {name} must be a 1-D tensor")
    product = linalg.outer(vec1, vec2)
    if alpha != 1:
        product = arithmetic.mul(product, alpha)
    if beta == 0:  # zeros in the graph: input's gradient is 0, not NaN from 0 * inf
        base = Tensor.make(np.zeros_like(input.data), (input,), lambda g: (np.zeros_like(g),))
    else:
        base = input if beta == 1 else arithmetic.mul(input, beta)
    return arithmetic.add(base, product)


class Histogram(NamedTuple):
    """histogram's result: (hist, bin_edges), as torch.return_types.histogram."""

    hist: Tensor
    bin_edges: Tensor


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False  # noqa: A002
              ) -> Histogram:
    """Counts (or weight sums) of input's elements in `bins` equal-width bins over `range`
    (default: min to max), or in the bins between the edges given as a 1-D tensor; the last
    bin includes its right edge. Floating tensors only, as torch; no gradient."""
    a = input.data
    if a.dtype.kind != "f":
        raise TypeError(f"histogram: needs a floating-point tensor, got {a.dtype}")
    if isinstance(bins, Tensor):
        bins = bins.data
    w = weight.data if isinstance(weight, Tensor) else weight
    if w is not None and np.shape(w) != a.shape:
        raise ValueError(f"histogram: weight has shape {np.shape(w)}, expected {a.shape}")
    flat = a.reshape(-1)
    hist, edges = np.histogram(
        flat, bins=bins, range=range, density=density,
        weights=None if w is None else np.asarray(w).reshape(-1),
    )
    return Histogram(Tensor(hist.astype(a.dtype)), Tensor(edges.astype(a.dtype)))


def fill_diagonal_(x: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (x[i, i, ..., i]) in place. x needs >= 2 dimensions, all of one
    length beyond 2; a tall matrix with wrap=True starts again after every N + 1 rows."""
    a = x.data
    if a.ndim < 2:
        raise ValueError(f"fill_diagonal_: needs at least 2 dimensions, got {a.ndim}")
    if a.ndim > 2 and len(set(a.shape)) != 1:
        raise ValueError(
            f"fill_diagonal_: all dimensions must have the same length, got {a.shape}"
        )

    def compute():
        out = a.copy()
        np.fill_diagonal(out, fill_value, wrap=wrap)
        return Tensor(out, dtype=out.dtype)

    return apply_in_place("fill_diagonal_", x, compute, fill_value)
