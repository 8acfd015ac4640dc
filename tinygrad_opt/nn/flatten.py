"""`Flatten` and `Unflatten`: reshapes as one graph node (a copy only when memory order demands)."""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .module import Module


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim..end_dim into one, as torch.flatten."""
    shape = input.shape
    ndim = max(len(shape), 1)
    start = start_dim + ndim if start_dim < 0 else start_dim
    end = end_dim + ndim if end_dim < 0 else end_dim
    if not 0 <= start < ndim or not 0 <= end < ndim or start > end:
        raise ValueError(
            f"flatten: start_dim={start_dim}, end_dim={end_dim} are invalid for a "
            f"{len(shape)}-D input of shape {tuple(shape)}"
        )
    if len(shape) == 0:
        new_shape: tuple[int, ...] = (1,)
    else:
        # math.prod on the shape tuple: np.prod converts it to an array first (~5 us a call).
        new_shape = (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])
    return _reshape(input, new_shape)


def _reshape(input: Tensor, shape: tuple[int, ...]) -> Tensor:
    old_shape = input.shape
    out = input.data.reshape(shape)

    def backward(g):
        return (g.reshape(old_shape),)

    return Tensor.make(out, (input,), backward)


class Flatten(Module):
    """Flatten(start_dim=1, end_dim=-1), as torch.nn.Flatten."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Unflatten(dim, unflattened_size): split axis `dim` into `unflattened_size`."""

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        dim = self.dim + x.ndim if self.dim < 0 else self.dim
        if not 0 <= dim < x.ndim or int(np.prod(self.unflattened_size)) != x.shape[dim]:
            raise ValueError(
                f"Unflatten: cannot split axis {self.dim} of shape {tuple(x.shape)} into "
                f"{self.unflattened_size}"
            )
        return _reshape(x, (*x.shape[:dim], *self.unflattened_size, *x.shape[dim + 1 :]))
