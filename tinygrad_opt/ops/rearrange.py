"""More of PyTorch's layout ops: swapaxes/swapdims, movedim/moveaxis, narrow, select,
unbind, unflatten, roll, flip/fliplr/flipud, rot90, repeat_interleave, broadcast_to and
broadcast_tensors.

Most are built from the movement and indexing ops, so their gradients are those ops'
(narrow, select, unbind and flip hand the engine a `SlicedGrad`); roll and rot90 move the
gradient back by the inverse roll or rotation.
"""

from __future__ import annotations

import numpy as np

from ..tensor import SlicedGrad, Tensor
from .axes import normalize_axis
from .indexing import _index_array, index_select
from .movement import _sizes, expand, permute, reshape, transpose


def _int(op: str, name: str, value) -> int:
    """A Python int from an int or a one-element integer tensor (torch takes both)."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iu":
        return int(value.reshape(()))
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)


def _dims(op: str, dims, ndim: int) -> tuple[int, ...]:
    """One dim or a sequence of distinct dims, normalised."""
    seq = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    out = tuple(normalize_axis(op, d, ndim) for d in seq)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dims {dims} repeat a dimension")
    return out


def swapaxes(x: Tensor, axis0: int, axis1: int) -> Tensor:
    """torch.swapaxes: transpose(axis0, axis1)."""
    return transpose(x, axis0, axis1)


def swapdims(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """torch.swapdims: transpose(dim0, dim1)."""
    return transpose(x, dim0, dim1)


def movedim(x: Tensor, source, destination) -> Tensor:
    """Move dims `source` (int or sequence) to positions `destination`; the others keep
    their order (torch.movedim = np.moveaxis)."""
    ndim = x.data.ndim
    src = _dims("movedim", source, ndim)
    dst = _dims("movedim", destination, ndim)
    if len(src) != len(dst):
        raise ValueError(
            f"movedim: source {source} and destination {destination} must name as many dims"
        )
    rest = iter(d for d in range(ndim) if d not in src)
    placed = dict(zip(dst, src))
    return permute(x, tuple(placed[i] if i in placed else next(rest) for i in range(ndim)))


moveaxis = movedim


def narrow(x: Tensor, dim: int, start, length: int) -> Tensor:
    """x[..., start:start + length, ...] along `dim` as a view (torch.narrow); a negative
    start counts from the end."""
    a = x.data
    if a.ndim == 0:
        raise ValueError("narrow: cannot narrow a 0-d tensor")
    ax = normalize_axis("narrow", dim, a.ndim)
    n = a.shape[ax]
    begin = _int("narrow", "start", start)
    length = _int("narrow", "length", length)
    if not -n <= begin <= n:
        raise IndexError(f"narrow: start {begin} is out of range for dimension {dim} of size {n}")
    begin %= n if n else 1
    if length < 0 or begin + length > n:
        raise ValueError(
            f"narrow: start ({begin}) + length ({length}) must lie within dimension {dim} "
            f"of size {n}, with length >= 0"
        )
    return x[(slice(None),) * ax + (slice(begin, begin + length),)]


def select(x: Tensor, dim: int, index) -> Tensor:
    """The slice at `index` along `dim`, which disappears (torch.select)."""
    a = x.data
    if a.ndim == 0:
        raise IndexError("select: cannot select from a 0-d tensor")
    ax = normalize_axis("select", dim, a.ndim)
    i = _int("select", "index", index)
    n = a.shape[ax]
    if not -n <= i < n:
        raise IndexError(f"select: index {i} is out of range for dimension {dim} of size {n}")
    return x[(slice(None),) * ax + (i,)]


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """All slices along `dim`, as a tuple of views (torch.unbind); each one's gradient is a
    `SlicedGrad`, so backward through all of them costs O(size of x)."""
    a = x.data
    if a.ndim == 0:
        raise ValueError("unbind: cannot unbind a 0-d tensor")
    ax = normalize_axis("unbind", dim, a.ndim)
    lead = (slice(None),) * ax

    def piece(i: int) -> Tensor:
        where = lead + (i,)
        return Tensor.make(a[where], (x,), lambda g: (SlicedGrad(where, g),))

    return tuple(piece(i) for i in range(a.shape[ax]))


def unflatten(x: Tensor, dim: int, sizes) -> Tensor:
    """Split dimension `dim` into `sizes` (one may be -1), as torch.unflatten."""
    shape = x.data.shape
    ax = normalize_axis("unflatten", dim, len(shape))
    new = _sizes("unflatten", (sizes,))
    if not new:
        raise ValueError("unflatten: sizes must be non-empty")
    known = int(np.prod([s for s in new if s != -1], dtype=np.int64))
    if sum(s == -1 for s in new) > 1 or (
        -1 not in new and known != shape[ax]
    ) or (-1 in new and (known == 0 or shape[ax] % known)):
        raise ValueError(
            f"unflatten: sizes {new} do not multiply to {shape[ax]}, the size of dimension {dim}"
        )
    return reshape(x, shape[:ax] + new + shape[ax + 1 :])


def roll(x: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically by `shifts` along `dims` (torch.roll); with dims=None the
    tensor is flattened, rolled and reshaped back."""
    a = x.data
    shift_seq = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    shift_seq = tuple(_int("roll", "shifts", s) for s in shift_seq)
    if dims is None:
        if len(shift_seq) != 1:
            raise ValueError(f"roll: with dims=None, shifts must be one int, got {shifts}")
        axes = None
        shift_arg = shift_seq[0]
    else:
        dim_seq = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        axes = tuple(normalize_axis("roll", d, a.ndim) for d in dim_seq)
        if len(axes) != len(shift_seq):
            raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
        shift_arg = shift_seq
    out = np.roll(a, shift_arg, axis=axes)
    back = -shift_arg if axes is None else tuple(-s for s in shift_arg)
    return Tensor.make(out, (x,), lambda g: (np.roll(g, back, axis=axes),))


def flip(x: Tensor, *dims) -> Tensor:
    """Reverse the order of elements along `dims` (torch.flip; a copy there, a view here)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    axes = _dims("flip", dims, x.data.ndim)
    if x.data.ndim == 0:
        return x[...]
    return x[tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(x.ndim))]


def fliplr(x: Tensor) -> Tensor:
    """Flip dimension 1 (torch.fliplr); needs at least 2 dimensions."""
    if x.data.ndim < 2:
        raise ValueError(f"fliplr: needs at least 2 dimensions, got shape {x.shape}")
    return flip(x, 1)


def flipud(x: Tensor) -> Tensor:
    """Flip dimension 0 (torch.flipud); needs at least 1 dimension."""
    if x.data.ndim < 1:
        raise ValueError("flipud: needs at least 1 dimension, got a 0-d tensor")
    return flip(x, 0)


def rot90(x: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane `dims`, from the first dim towards the
    second (torch.rot90 = np.rot90 with axes=dims)."""
    a = x.data
    if len(dims) != 2 or a.ndim < 2:
        raise ValueError(
            f"rot90: needs two dims and a tensor with at least 2 dimensions, got dims {dims} "
            f"and shape {a.shape}"
        )
    axes = tuple(normalize_axis("rot90", d, a.ndim) for d in dims)
    if axes[0] == axes[1]:
        raise ValueError(f"rot90: the two dims must differ, got {dims}")
    k = _int("rot90", "k", k)
    out = np.rot90(a, k, axes).copy()  # a copy, as torch's (numpy gives a view)
    return Tensor.make(out, (x,), lambda g: (np.rot90(g, -k, axes),))


def repeat_interleave(x, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element `repeats` times (an int, or one count per element along `dim`)
    along `dim`; dim=None flattens first (torch.repeat_interleave). Given a 1-D integer
    tensor alone, `repeat_interleave(counts)` gives arange(len(counts)) repeated by counts.
    The gradient adds up the copies (it is index_select's)."""
    if repeats is None:
        counts = _index_array("repeat_interleave", x)
        if counts.ndim != 1 or (counts.size and counts.min() < 0):
            raise ValueError("repeat_interleave: counts must be a 1-D tensor of ints >= 0")
        return Tensor(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    if dim is None:
        x = reshape(x, -1)
        dim = 0
    if x.data.ndim == 0:
        x = reshape(x, 1)
    ax = normalize_axis("repeat_interleave", dim, x.data.ndim)
    n = x.data.shape[ax]
    if isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        counts = np.full(n, int(repeats), dtype=np.int64)
    else:
        counts = _index_array("repeat_interleave", repeats).reshape(-1)
        if counts.size == 1:
            counts = np.full(n, int(counts[0]), dtype=np.int64)
    if counts.shape != (n,) or (counts.size and counts.min() < 0):
        raise ValueError(
            f"repeat_interleave: repeats must be an int >= 0 or {n} ints >= 0 (one per element "
            f"of dimension {dim}), got {repeats!r}"
        )
    source = np.repeat(np.arange(n, dtype=np.int64), counts)
    if output_size is not None and output_size != source.size:
        raise ValueError(
            f"repeat_interleave: output_size={output_size} but the repeats add up to {source.size}"
        )
    return index_select(x, ax, source)


def broadcast_to(x: Tensor, size) -> Tensor:
    """x broadcast to `size` (torch.broadcast_to = expand; -1 keeps a size)."""
    return expand(x, *_sizes("broadcast_to", (size,)))


def broadcast_tensors(*tensors) -> tuple[Tensor, ...]:
    """All tensors expanded to their common broadcast shape (torch.broadcast_tensors)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
    try:
        shape = np.broadcast_shapes(*(t.data.shape for t in tensors))
    except ValueError:
        shapes = [t.data.shape for t in tensors]
        raise ValueError(f"broadcast_tensors: shapes {shapes} cannot broadcast") from None
    return tuple(expand(t, *shape) for t in tensors)
