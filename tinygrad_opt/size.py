"""`Size`: a shape as a tuple of ints with `numel()`, PyTorch's `torch.Size`.

`x.size()` returns one; `x.shape` stays a plain tuple (numpy's own shape, read by nearly
every op, so wrapping it would cost on every access). A `Size` equals the tuple with the
same ints, hashes like it and is accepted wherever a shape is. Its repr is `Size([2, 3])`
(torch: `torch.Size([2, 3])`), as this package's `Tensor(...)` repr carries no module name.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable

import numpy as np


class Size(tuple):
    """`Size(dims=())`: an iterable of ints (bools and numpy or 0-d integer tensors count as
    ints, as torch), else TypeError naming the offending item."""

    __slots__ = ()

    def __new__(cls, dims: Iterable = ()) -> Size:
        if isinstance(dims, (str, bytes)) or not isinstance(dims, Iterable):
            raise TypeError(f"Size() takes an iterable of ints, got {type(dims).__name__}")
        values = []
        for i, d in enumerate(dims):
            try:
                values.append(operator.index(d))
            except TypeError:
                raise TypeError(
                    f"Size() takes an iterable of 'int' (item {i} is '{type(d).__name__}')"
                ) from None
        return super().__new__(cls, values)

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds (1 for `Size([])`)."""
        return int(np.prod(self, dtype=np.int64)) if self else 1

    def __getitem__(self, index):
        if isinstance(index, slice):  # a slice of a shape is a shape, as torch
            return Size(tuple.__getitem__(self, index))
        return tuple.__getitem__(self, index)

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, count):
        return Size(tuple.__mul__(self, count))

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Size({list(self)})"

    def __reduce__(self):
        return (Size, (tuple(self),))
