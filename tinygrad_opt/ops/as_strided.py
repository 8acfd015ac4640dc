"""x.as_strided(size, stride, storage_offset=0): the elements of x at
storage_offset + sum(i_k * stride_k), strides counted in elements, as torch.as_strided.

The "storage" here is x's elements in C order, which is torch's storage for a contiguous
tensor (for a non-contiguous torch view it is the base's storage: call .contiguous() first
to get the same numbers). The result is a read-only numpy view; its gradient scatter-adds
into x's shape, so positions read more than once (overlapping windows) get the sum, as torch.
Negative strides and reads past the end raise ValueError.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def _ints(op: str, name: str, value) -> tuple[int, ...]:
    value = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0
               for v in value):
        raise ValueError(f"{op}: {name} must be ints >= 0, got {value!r}")
    return tuple(int(v) for v in value)


def strided_indices(size: tuple[int, ...], stride: tuple[int, ...], offset: int) -> np.ndarray:
    """The flat index of every output element (an int64 array of shape `size`)."""
    index = np.full(size, offset, dtype=np.int64)
    for axis, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[axis] = n
        index = index + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return index


def as_strided(x: Tensor, size, stride, storage_offset=None) -> Tensor:
    size = _ints("as_strided", "size", size)
    stride = _ints("as_strided", "stride", stride)
    if isinstance(storage_offset, (tuple, list)):  # one int: a sequence is not cut to its head
        raise TypeError(f"as_strided: storage_offset must be an int, got {storage_offset!r}")
    offset = 0 if storage_offset is None else _ints("as_strided", "storage_offset",
                                                    storage_offset)[0]
    if len(size) != len(stride):
        raise ValueError(
            f"as_strided: size {size} and stride {stride} must have the same length"
        )
    flat = np.ascontiguousarray(x.data).reshape(-1)
    if 0 not in size:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= flat.size:
            raise ValueError(
                f"as_strided: size {size}, stride {stride} and storage_offset {offset} read "
                f"element {last}, past the {flat.size} elements of the tensor"
            )
    item = flat.itemsize
    out = np.lib.stride_tricks.as_strided(
        flat[offset:] if offset < flat.size else flat[:0], size,
        tuple(s * item for s in stride), writeable=False,
    )
    shape = x.data.shape

    def backward(g: np.ndarray):
        index = strided_indices(size, stride, offset).reshape(-1)
        gx = np.bincount(index, weights=g.reshape(-1), minlength=flat.size)
        return (gx.astype(g.dtype, copy=False).reshape(shape),)

    return Tensor.make(out, (x,), backward)
