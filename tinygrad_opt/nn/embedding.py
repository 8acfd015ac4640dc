"""`Embedding`: a lookup table of rows, gradients scatter-added back to the looked-up rows."""

from __future__ import annotations

import numpy as np

from .. import sparse_rows
from ..default_dtype import default_float
from ..devices import check_cpu
from ..ops.indexing import scatter_add_rows
from ..tensor import Tensor, mark_changed
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


def renorm_rows(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale, in place and outside the graph, each looked-up row whose norm exceeds max_norm
    by max_norm / (norm + 1e-7), as torch.embedding_renorm_."""
    table = weight.data
    rows = np.unique(rows)
    norms = np.linalg.norm(table[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if np.any(big):
        scale = max_norm / (norms[big] + 1e-7)
        table[rows[big]] *= scale[:, None].astype(table.dtype)
        mark_changed(weight)


def embedding(
    input,  # noqa: A002 - torch's name
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """weight[input]; the row at padding_idx receives no gradient. max_norm first rescales,
    in place, each looked-up row whose norm_type-norm exceeds it to that norm (as torch);
    scale_grad_by_freq divides each row's gradient by how often the batch looks it up.
    `sparse=True`: the gradient is still a dense array, and the looked-up rows (padding_idx
    left out) are recorded for `optim.SparseAdam` (see tinygrad_opt/sparse_rows.py)."""
    table = weight.data
    idx = _indices(input, table.shape[0], "embedding")
    if max_norm is not None and idx.size:
        renorm_rows(weight, idx.reshape(-1), max_norm, norm_type)
    out = table[idx]

    def backward(g):
        grad = np.zeros(table.shape, dtype=table.dtype)
        # a Numba scatter-add (np.add.at was measured ~27x slower)
        scatter_add_rows(grad, idx.reshape(-1), g.reshape(idx.size, table.shape[1]))
        if scale_grad_by_freq:
            counts = np.bincount(idx.reshape(-1), minlength=table.shape[0])
            grad /= np.maximum(counts, 1)[:, None].astype(table.dtype)
        if padding_idx is not None:
            grad[padding_idx] = 0
        if sparse:
            rows = idx.reshape(-1)
            if padding_idx is not None:
                rows = rows[rows != padding_idx]
            sparse_rows.record(weight, rows)
        return (grad,)

    return Tensor.make(out, (weight,), backward)


class Embedding(Module):
    """Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
    norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False):
    weight ~ N(0, 1), the padding row zero, as torch.nn.Embedding (see `embedding` for
    max_norm, scale_grad_by_freq and sparse). `_weight` gives the initial table instead (kept
    as given, padding row included, as torch); `_freeze` makes it not require grad."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight=None,
        _freeze: bool = False,
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("Embedding", device)
        super().__init__()
        self.sparse = bool(sparse)
        if max_norm is not None and not max_norm > 0:
            raise ValueError(f"Embedding: max_norm must be > 0 or None, got {max_norm}")
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
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
        if _weight is not None:
            table = _weight.data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if table.shape != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight must have shape ({num_embeddings}, {embedding_dim}), "
                    f"got {table.shape}"
                )
            dtype = table.dtype if dtype is None else dtype
            self.weight = Parameter(np.array(table, dtype=default_float(dtype)))
        else:
            dtype = default_float(dtype)
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
            init.normal_(self.weight)
            if padding_idx is not None:
                self.weight.data[padding_idx] = 0
        self.weight.requires_grad = not _freeze

    def forward(self, indices) -> Tensor:
        return embedding(
            indices,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is a copy of the 2-D `embeddings` (its dtype kept),
        trainable unless `freeze`; the padding row keeps its given values, as torch."""
        data = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape {data.shape}"
            )
        if data.dtype.kind != "f":
            raise TypeError(
                f"Embedding.from_pretrained: embeddings must be floating, got dtype {data.dtype}"
            )
        module = cls(
            data.shape[0],
            data.shape[1],
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            dtype=data.dtype,
        )
        module.weight.data[...] = data
        module.weight.requires_grad = not freeze
        return module

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            padding += f", max_norm={self.max_norm}"
        if self.sparse:
            padding += ", sparse=True"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"
