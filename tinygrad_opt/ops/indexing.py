"""`tensor[index]` with ints, slices, None, Ellipsis, integer arrays/Tensors and boolean masks.

Backward scatters the gradient into zeros of the input's shape. Basic indexing and boolean
masks select each element at most once, so plain assignment does; integer arrays may repeat an
index, and then the contributions must add up (np.add.at).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def _convert(item):
    """Tensors and lists become arrays; everything else numpy understands as is."""
    if isinstance(item, Tensor):
        return item.data
    if isinstance(item, list):
        return np.asarray(item)
    return item


def _has_int_array(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def getitem(x: Tensor, index) -> Tensor:
    if isinstance(index, tuple):
        index = tuple(_convert(i) for i in index)
    else:
        index = _convert(index)
    a = x.data
    try:
        out = a[index]
    except IndexError as error:
        raise IndexError(f"getitem: index {index!r} invalid for shape {a.shape}: {error}") from None
    repeats_possible = _has_int_array(index)

    def backward(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        if repeats_possible:
            np.add.at(grad, index, g)
        else:
            grad[index] = g
        return (grad,)

    return Tensor.make(np.asarray(out), (x,), backward)
