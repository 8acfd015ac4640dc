"""`Embedding`: a lookup table of rows, gradients scatter-added back to the looked-up rows."""

from __future__ import annotations

import numpy as np

from ..ops.indexing import scatter_add_rows
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


def _indices(input, num_embeddings: int, who: str) -> np.ndarray:
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: indices must be integers, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_embeddings):
        raise ValueError(
            f"{who}: index out of range: indices must lie in [0, {num_embeddings}), got "
            f"min {idx.min()}, max {idx.max()}"
        )
    return idx


def embedding(input, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """weight[input]; the row at padding_idx receives no gradient."""
    table = weight.data
    idx = _indices(input, table.shape[0], "embedding")
    out = table[idx]

    def backward(g):
        grad = np.zeros(table.shape, dtype=table.dtype)
        # a Numba scatter-add (np.add.at was measured ~27x slower)
        scatter_add_rows(grad, idx.reshape(-1), g.reshape(idx.size, table.shape[1]))
        if padding_idx is not None:
            grad[padding_idx] = 0
        return (grad,)

    return Tensor.make(out, (weight,), backward)


class Embedding(Module):
    """Embedding(num_embeddings, embedding_dim, padding_idx=None): weight ~ N(0, 1), the
    padding row zero, as torch.nn.Embedding."""

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *, dtype=None
    ) -> None:
        super().__init__()
        if num_embeddings < 1 or embedding_dim < 1:
            raise ValueError(
                f"Embedding: sizes must be positive, got ({num_embeddings}, {embedding_dim})"
            )
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be within num_embeddings={num_embeddings}, "
                    f"got {padding_idx}"
                )
            padding_idx = padding_idx % num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
        init.normal_(self.weight)
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    def forward(self, indices) -> Tensor:
        return embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"
