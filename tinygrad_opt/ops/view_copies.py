"""torch's `*_copy` forms of the view ops (`permute_copy(x, dims)` is `x.permute(dims)` in
memory of its own), `as_strided_scatter`, and the `unsafe_*` splits.

Each copy is the view op followed by `clone`, so gradients come from the view op. The
`unsafe_*` splits are the ordinary splits here (tinygrad_opt has no view-aliasing checks
for them to skip). `values_copy`/`indices_copy` (sparse tensors) are not provided.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import diagonal, linalg, movement, rearrange, reshaping_extra, unfold
from .as_strided import _ints, as_strided, strided_indices
from .axes import normalize_axis
from .utility import clone


def _copies(parts) -> tuple[Tensor, ...]:
    return tuple(clone(p) for p in parts)


def alias_copy(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """A copy of input (torch.alias_copy)."""
    return clone(input)


def detach_copy(input: Tensor) -> Tensor:  # noqa: A002
    """A copy of input outside the graph."""
    return clone(input.detach())


def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    return clone(diagonal.diagonal(input, offset, dim1, dim2))


def expand_copy(input: Tensor, size, *, implicit: bool = False) -> Tensor:  # noqa: A002
    return clone(movement.expand(input, *tuple(size)))


def permute_copy(input: Tensor, dims) -> Tensor:  # noqa: A002
    return clone(movement.permute(input, *tuple(dims)))


def select_copy(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    return clone(rearrange.select(input, dim, index))


def slice_copy(input: Tensor, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:  # noqa: A002
    """input[start:end:step] along dim, copied (step must be positive, as torch)."""
    if step < 1:
        raise ValueError(f"slice_copy: step must be positive, got {step}")
    if input.data.ndim == 0:
        raise ValueError("slice_copy: cannot slice a 0-d tensor")
    ax = normalize_axis("slice_copy", dim, input.data.ndim)
    return clone(input[(slice(None),) * ax + (slice(start, end, step),)])


def split_copy(input: Tensor, split_size, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return _copies(movement.split(input, split_size, dim))


def split_with_sizes_copy(input: Tensor, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return _copies(reshaping_extra.split_with_sizes(input, split_sizes, dim))


def squeeze_copy(input: Tensor, dim=None) -> Tensor:  # noqa: A002
    """squeeze(input, dim) copied; dim may be None, an int or a sequence of ints."""
    if dim is None or isinstance(dim, (int, np.integer)):
        return clone(movement.squeeze(input, dim))
    ndim = input.data.ndim
    axes = [normalize_axis("squeeze_copy", d, ndim) for d in dim]
    drop = {d for d in axes if ndim and input.data.shape[d] == 1}
    shape = tuple(n for i, n in enumerate(input.data.shape) if i not in drop)
    return clone(movement.reshape(input, shape))


def t_copy(input: Tensor) -> Tensor:  # noqa: A002
    return clone(linalg.t(input))


def transpose_copy(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return clone(movement.transpose(input, dim0, dim1))


def unbind_copy(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return _copies(rearrange.unbind(input, dim))


def unfold_copy(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    return clone(unfold.unfold(input, dimension, size, step))


def unsqueeze_copy(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return clone(movement.unsqueeze(input, dim))


def view_copy(input: Tensor, size) -> Tensor:  # noqa: A002
    """input.view(size) copied; given a dtype instead, the bytes reinterpreted as that dtype
    (no gradient; the last dimension changes length when the item sizes differ)."""
    if isinstance(size, (np.dtype, type, str)):
        dt = np.dtype(size)
        try:
            data = np.ascontiguousarray(input.data).copy().view(dt)
        except ValueError as error:
            raise ValueError(f"view_copy: cannot view {input.data.dtype} as {dt}: {error}"
                             ) from None
        return Tensor(data, dtype=dt)
    shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    return clone(movement.reshape(input, shape))


def as_strided_copy(input: Tensor, size, stride, storage_offset=None) -> Tensor:  # noqa: A002
    return clone(as_strided(input, size, stride, storage_offset))


def as_strided_scatter(input: Tensor, src: Tensor, size, stride, storage_offset=None  # noqa: A002
                       ) -> Tensor:
    """A copy of input (its elements in C order as the storage) with the elements the view
    `as_strided(size, stride, storage_offset)` reads replaced by src (torch's rule; the view
    must not overlap itself). Gradients: input's gradient is zero where src was written."""
    size = _ints("as_strided_scatter", "size", size)
    stride = _ints("as_strided_scatter", "stride", stride)
    offset = 0 if storage_offset is None else int(storage_offset)
    src = src if isinstance(src, Tensor) else Tensor(src)
    if src.data.shape != size:
        raise ValueError(f"as_strided_scatter: src has shape {src.data.shape}, expected {size}")
    shape = input.data.shape
    flat = np.ascontiguousarray(input.data).reshape(-1).copy()
    index = strided_indices(size, stride, offset).reshape(-1)
    if index.size and (index.max() >= flat.size or offset < 0):
        raise ValueError(
            f"as_strided_scatter: size {size}, stride {stride} and storage_offset {offset} "
            f"reach past the {flat.size} elements of input"
        )
    if np.unique(index).size != index.size:
        raise ValueError("as_strided_scatter: the strided view overlaps itself")
    flat[index] = src.data.reshape(-1).astype(flat.dtype)

    def backward(g: np.ndarray):
        g_flat = g.reshape(-1)
        g_input = g_flat.copy()
        g_input[index] = 0
        return g_input.reshape(shape), g_flat[index].reshape(size)

    return Tensor.make(flat.reshape(shape), (input, src), backward)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """chunk (see the module docstring)."""
    return movement.chunk(input, chunks, dim)


def unsafe_split(input: Tensor, split_size, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """split (see the module docstring)."""
    return movement.split(input, split_size, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """split_with_sizes (see the module docstring)."""
    return reshaping_extra.split_with_sizes(input, split_sizes, dim)
