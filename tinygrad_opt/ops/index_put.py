"""Writing at advanced indices: index_put (x[indices] = values as an op) and put (the
same on x flattened), out of place; the `_` forms are in ops/in_place.py.

index_put takes a tuple of index tensors (integer, negative ones counting from the end, or
bool masks) for x's leading dimensions; they broadcast together, and values broadcast to
the shape of x[indices]. accumulate=True adds every value, repeated positions included;
otherwise, where an index repeats, which value lands is unspecified (torch) — here numpy's
last write. Gradients, as torch: x gets the output's gradient (zero at the written positions
unless accumulate), values get it read back at their positions, summed over broadcasting.
Deviation: values of another dtype are cast to x's (torch refuses), floats into an integer
tensor excepted; values may also be a number.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .movement import reshape


def _integer_positions(op: str, indices, shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """The index tensors as broadcast integer arrays in [0, n), one per dimension indexed
    (a bool mask of k dimensions becomes k arrays of the positions it selects)."""
    if isinstance(indices, (Tensor, np.ndarray)) or not isinstance(indices, (tuple, list)):
        raise TypeError(
            f"{op}: indices must be a tuple of index tensors, got {type(indices).__name__}"
        )
    arrays = []
    for k, item in enumerate(indices):
        if item is None:
            raise TypeError(f"{op}: index {k} is None; every index must be a tensor")
        arr = item.data if isinstance(item, Tensor) else np.asarray(item)
        if arr.dtype.kind not in "iub":
            raise TypeError(
                f"{op}: index {k} must be an integer (int64) or bool tensor, got {arr.dtype}"
            )
        if arr.dtype.kind == "b" and arr.ndim == 0:
            raise IndexError(
                f"{op}: index {k} is a 0-d bool tensor, which is not supported; give a mask "
                "with the shape of the dimensions it selects"
            )
        arrays.append(arr)
    used = sum(arr.ndim if arr.dtype.kind == "b" else 1 for arr in arrays)
    if used > len(shape):
        raise IndexError(f"{op}: too many indices ({used}) for a tensor of {len(shape)} dimensions")
    parts: list[np.ndarray] = []
    for k, arr in enumerate(arrays):
        if arr.dtype.kind == "b":
            dims = shape[len(parts) : len(parts) + arr.ndim]
            if arr.shape != dims:
                raise IndexError(
                    f"{op}: bool index {k} has shape {arr.shape} but the dimensions it "
                    f"masks have shape {dims}"
                )
            parts.extend(np.nonzero(arr))
            continue
        n = shape[len(parts)]
        if arr.size and (arr.min() < -n or arr.max() >= n):
            bad = arr.min() if arr.min() < -n else arr.max()
            raise IndexError(
                f"{op}: index {bad} is out of range for dimension {len(parts)} of size {n} "
                f"(expected {-n} to {n - 1})"
            )
        parts.append(arr % max(n, 1))
    try:
        return tuple(np.broadcast_arrays(*parts))
    except ValueError:
        shapes = ", ".join(str(p.shape) for p in parts)
        raise ValueError(f"{op}: the index tensors cannot broadcast together: {shapes}") from None


def index_put(x: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """out = x, then out[indices] = values (or += with accumulate=True), as torch.index_put."""
    a = x.data
    tv = values if isinstance(values, Tensor) else Tensor(np.asarray(values))
    if a.dtype.kind in "iub" and tv.data.dtype.kind == "f":
        raise TypeError(
            f"index_put: values of dtype {tv.data.dtype} cannot be written into a {a.dtype} "
            "tensor; give values the tensor's dtype"
        )
    where = _integer_positions("index_put", indices, a.shape)
    target = a[where].shape
    try:
        fits = np.broadcast_shapes(tv.data.shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"index_put: values of shape {tv.data.shape} cannot broadcast to the shape "
            f"{target} of the indexed positions"
        )
    written = np.broadcast_to(tv.data.astype(a.dtype, copy=False), target)
    out = a.copy()
    if accumulate:
        np.add.at(out, where, written)
    else:
        out[where] = written

    def backward(g):
        gx = None
        if x.requires_grad:
            gx = g if accumulate else g.copy()
            if not accumulate:
                gx[where] = 0
        return gx, (g[where] if tv.requires_grad else None)

    return Tensor.make(out, (x, tv), backward)


def put(x: Tensor, index, source, accumulate: bool = False) -> Tensor:
    """x flattened, written at `index` (an int64 tensor of any shape; negative indices count
    from the end) with source's elements in order, then reshaped back (torch.put); the
    gradients are index_put's."""
    idx = index.data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype != np.int64:
        raise TypeError(f"put: index must be an int64 tensor, got dtype {idx.dtype}")
    source = source if isinstance(source, Tensor) else Tensor(source)
    if source.data.size != idx.size:
        raise ValueError(
            f"put: source has {source.data.size} elements but index has {idx.size}; they "
            "must match"
        )
    flat = index_put(reshape(x, -1), (idx.reshape(-1),), reshape(source, -1), accumulate)
    return reshape(flat, x.data.shape)
