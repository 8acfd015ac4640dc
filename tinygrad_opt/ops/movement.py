"""Shape and layout ops: reshape/view, transpose, permute, flatten, squeeze, unsqueeze, expand,
`.T`, pad, split/chunk (tuples of views) and repeat (np.tile). Each returns a numpy view
where numpy can (pad and repeat copy); the backward of each is the inverse movement of the
gradient (repeat's sums the copies).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..tensor import SlicedGrad, Tensor
from .axes import normalize_axis


def _sizes(op: str, shape) -> tuple[int, ...]:
    """Accept `f(2, 3)`, `f((2, 3))` and `f([2, 3])` as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (Sequence, np.ndarray)):
        shape = shape[0]
    try:
        return tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: sizes must be ints, got {shape!r}") from None


def reshape(x: Tensor, *shape) -> Tensor:
    """New shape with the same number of elements; one size may be -1."""
    new_shape = _sizes("reshape", shape)
    old_shape = x.data.shape
    try:
        out = x.data.reshape(new_shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {old_shape} ({x.data.size} elements) "
            f"into shape {new_shape}"
        ) from None
    return Tensor.make(out, (x,), lambda g: (g.reshape(old_shape),))


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions (torch.transpose)."""
    ndim = x.data.ndim
    d0 = normalize_axis("transpose", dim0, ndim)
    d1 = normalize_axis("transpose", dim1, ndim)
    if ndim < 2:
        return Tensor.make(x.data, (x,), lambda g: (g,))
    out = np.swapaxes(x.data, d0, d1)
    return Tensor.make(out, (x,), lambda g: (np.swapaxes(g, d0, d1),))


def permute(x: Tensor, *dims) -> Tensor:
    """Reorder all dimensions: output dimension i is input dimension dims[i]."""
    order = _sizes("permute", dims)
    ndim = x.data.ndim
    order = tuple(normalize_axis("permute", d, ndim) for d in order)
    if sorted(order) != list(range(ndim)):
        raise ValueError(
            f"permute: dims {dims} must be a permutation of the {ndim} dimensions of a tensor "
            f"of shape {x.data.shape}"
        )
    inverse = tuple(np.argsort(order))
    out = np.transpose(x.data, order)
    return Tensor.make(out, (x,), lambda g: (np.transpose(g, inverse),))


def T(x: Tensor) -> Tensor:  # noqa: N802 - the attribute's name
    """All dimensions reversed (numpy's `.T`; the same as PyTorch's for 2-D)."""
    return permute(x, tuple(range(x.data.ndim - 1, -1, -1)))


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions start_dim..end_dim (inclusive) into one."""
    shape = x.data.shape
    if not shape:
        return reshape(x, (1,))
    start = normalize_axis("flatten", start_dim, len(shape))
    end = normalize_axis("flatten", end_dim, len(shape))
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(shape[start : end + 1], dtype=np.int64))
    return reshape(x, shape[:start] + (merged,) + shape[end + 1 :])


def squeeze(x: Tensor, dim=None) -> Tensor:
    """Drop size-1 dimensions: all of them, or those among `dim` (an int or tuple); a named
    dimension whose size is not 1 is left alone, as PyTorch."""
    shape = x.data.shape
    if dim is None:
        new_shape = tuple(n for n in shape if n != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        drop = {normalize_axis("squeeze", d, len(shape)) for d in dims} if shape else set()
        new_shape = tuple(n for i, n in enumerate(shape) if not (i in drop and n == 1))
    return reshape(x, new_shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dimension at `dim`, in [-ndim - 1, ndim]."""
    shape = x.data.shape
    d = normalize_axis("unsqueeze", dim, len(shape) + 1)
    return reshape(x, shape[:d] + (1,) + shape[d:])


def expand(x: Tensor, *sizes) -> Tensor:
    """Broadcast to `sizes` without copying; -1 keeps a size; new dimensions go in front.
    The engine's `unbroadcast` sums the gradient back to x's shape."""
    target = _sizes("expand", sizes)
    shape = x.data.shape
    if len(target) < len(shape):
        raise ValueError(f"expand: cannot expand shape {shape} to fewer dimensions {target}")
    lead = len(target) - len(shape)
    resolved = list(target)
    for i, n in enumerate(shape):
        want = target[lead + i]
        if want == -1:
            resolved[lead + i] = n
        elif n != want and n != 1:
            raise ValueError(
                f"expand: shape {shape} cannot expand to {target}: dimension {i} has size {n}, "
                "only size-1 dimensions can grow"
            )
    if any(n < 0 for n in resolved[:lead]):
        raise ValueError(f"expand: -1 is not allowed for new leading dimensions in {target}")
    out = np.broadcast_to(x.data, tuple(resolved))
    return Tensor.make(out, (x,), lambda g: (g,))


def pad(x: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:  # noqa: A002
    """Constant padding as torch.nn.functional.pad: `pad` is a flat tuple (left, right) for
    the last dimension, then the one before, ...; negative amounts crop."""
    amounts = _sizes("pad", (pad,))
    a = x.data
    if len(amounts) % 2 or len(amounts) // 2 > a.ndim:
        raise ValueError(
            f"pad: needs an even number of amounts, at most 2 per dimension, got {len(amounts)} "
            f"for a tensor of shape {a.shape}"
        )
    widths = [(0, 0)] * a.ndim
    for i in range(len(amounts) // 2):
        widths[a.ndim - 1 - i] = (amounts[2 * i], amounts[2 * i + 1])
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    out = np.pad(a, grow, mode="constant", constant_values=value)
    crop = tuple(
        slice(max(-lo, 0), n - max(-hi, 0))
        for (lo, hi), n in zip(widths, out.shape)
    )
    # as PyTorch, the crops alone must leave a size >= 0 (0 is allowed)
    if any(n + min(lo, 0) + min(hi, 0) < 0 for (lo, hi), n in zip(widths, a.shape)):
        raise ValueError(
            f"pad: negative amounts {tuple(amounts)} crop more than shape {a.shape} holds"
        )
    out = out[crop]

    def backward(g):
        # undo the crop with zeros, then drop the padding that was added
        restored = np.pad(g, [(max(-lo, 0), max(-hi, 0)) for lo, hi in widths])
        keep = tuple(
            slice(lo, n - hi) for (lo, hi), n in zip(grow, restored.shape)
        )
        return (restored[keep],)

    return Tensor.make(np.ascontiguousarray(out), (x,), backward)




def _slice_along(x: Tensor, ax: int, start: int, stop: int) -> Tensor:
    """x[..., start:stop, ...] on axis `ax` as a view; its gradient goes into that slice."""
    a = x.data
    where = (slice(None),) * ax + (slice(start, stop),)

    def backward(g):
        return (SlicedGrad(where, g),)

    return Tensor.make(a[where], (x,), backward)


def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of x along `dim` (torch.split): an int gives pieces of that size (the last may
    be smaller); a list gives pieces of those sizes, which must add up to the dimension."""
    a = x.data
    if a.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor")
    ax = normalize_axis("split", dim, a.ndim)
    n = a.shape[ax]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n != 0):
            raise ValueError(
                f"split: split_size must be positive (0 only for an empty dimension), got {size} "
                f"for dimension {dim} of size {n}"
            )
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ValueError(
                f"split: sizes {sizes} must be >= 0 and add up to {n}, the size of dimension {dim}"
            )
    if not sizes:
        sizes = [0]
    bounds = np.cumsum([0, *sizes])
    return tuple(_slice_along(x, ax, int(lo), int(hi)) for lo, hi in zip(bounds, bounds[1:]))


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most `chunks` views of x along `dim`, each ceil(size / chunks) long but the last
    (torch.chunk; so fewer pieces may come back, e.g. 5 in 4 chunks gives 2, 2, 1)."""
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if x.data.ndim == 0:
        raise ValueError("chunk: cannot chunk a 0-d tensor")
    n = x.data.shape[normalize_axis("chunk", dim, x.data.ndim)]
    if n == 0:
        return split(x, [0] * int(chunks), dim)
    return split(x, -(-n // int(chunks)), dim)


def repeat(x: Tensor, *sizes) -> Tensor:
    """Tile x `sizes[i]` times along each dimension (torch.repeat = np.tile); extra leading
    sizes add dimensions. The gradient sums the copies."""
    reps = _sizes("repeat", sizes)
    a = x.data
    if len(reps) < a.ndim:
        raise ValueError(
            f"repeat: needs at least {a.ndim} sizes for a tensor of shape {a.shape}, got {reps}"
        )
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: sizes must be >= 0, got {reps}")
    shape = (1,) * (len(reps) - a.ndim) + a.shape
    out = np.tile(a.reshape(shape), reps)

    def backward(g):
        split_shape = tuple(n for pair in zip(reps, shape) for n in pair)
        summed = g.reshape(split_shape).sum(axis=tuple(range(0, 2 * len(reps), 2)))
        return (summed.reshape(a.shape),)

    return Tensor.make(out, (x,), backward)


def reshape_as(x: Tensor, other: Tensor) -> Tensor:
    """x.reshape(other.shape) (PyTorch's view_as / reshape_as)."""
    return reshape(x, other.shape)


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    """x.expand(other.shape)."""
    return expand(x, *other.shape)
