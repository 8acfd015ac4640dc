"""`EmbeddingBag`: sums, means or maxima of bags of embedding rows, without building the
per-entry rows as a graph node.

Every bag is a run of entries (a row of 2-D input, or the span between two offsets of 1-D
input). Entries equal to padding_idx are dropped first; what is left is sorted by bag, so
sum and mean are one Numba kernel over bags adding each entry's row times its factor (1, the
per-sample weight or 1 / bag size) and max is one over bags that also records which table row
won each (bag, column) for the backward. The sum/mean backward adds g[bag] times the factor
into each entry's row, serially (rows repeat), without gathering the (entries, dim) rows
first (that gather and the gathered products took ~70% of the time before).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .. import sparse_rows
from ..default_dtype import default_float
from ..devices import check_cpu
from ..jit import kernel
from ..tensor import Tensor
from . import init
from .embedding import _indices, renorm_rows
from .module import Module, Parameter

_MODES = ("sum", "mean", "max")


@kernel
def _bag_max(table, rows, starts, stops, out, winner):
    """out[b, j] = max of table[rows[p], j] over p in [starts[b], stops[b]); winner holds the
    row of the first maximum (-1 and out 0 for an empty bag)."""
    for b in prange(starts.shape[0]):
        for j in range(table.shape[1]):
            best = 0.0
            row = -1
            for p in range(starts[b], stops[b]):
                v = table[rows[p], j]
                if row < 0 or v > best:
                    best = v
                    row = rows[p]
            out[b, j] = best
            winner[b, j] = row


@kernel
def _bag_sum(table, rows, coef, starts, stops, out):
    """out[b] += coef[p] * table[rows[p]] for p in [starts[b], stops[b]) (out zeroed)."""
    for b in prange(starts.shape[0]):
        for p in range(starts[b], stops[b]):
            r, c = rows[p], coef[p]
            for j in range(table.shape[1]):
                out[b, j] += table[r, j] * c


@kernel(parallel=False)  # serial: two entries of one row must not add into it at once
def _bag_sum_backward(g, rows, coef, bag_of, grad):
    """grad[rows[p]] += coef[p] * g[bag_of[p]] for every kept entry p."""
    for p in range(rows.shape[0]):
        r, b, c = rows[p], bag_of[p], coef[p]
        for j in range(grad.shape[1]):
            grad[r, j] += g[b, j] * c


def _offsets(offsets, length: int, include_last_offset: bool) -> tuple[np.ndarray, int]:
    """(start of each bag, end of the last bag) from 1-D offsets, checked as torch checks them
    (plus non-decreasing order, which torch leaves undefined). With include_last_offset the
    last offset ends the last bag (CSR), so entries from there on belong to no bag."""
    if offsets is None:
        raise ValueError("embedding_bag: offsets has to be a 1D Tensor for 1D input, but got None")
    off = offsets.data if isinstance(offsets, Tensor) else np.asarray(offsets)
    if off.dtype.kind not in "iu":
        raise TypeError(f"embedding_bag: offsets must be integers, got dtype {off.dtype}")
    if off.ndim != 1:
        raise ValueError(f"embedding_bag: offsets has to be a 1D Tensor, got shape {off.shape}")
    if off.size == 0:
        raise ValueError("embedding_bag: offsets must hold at least one offset, got none")
    if off[0] != 0:
        raise ValueError(
            f"embedding_bag: offsets[0] has to be 0 (the first bag starts at position 0), "
            f"got {off[0]}"
        )
    if np.any(np.diff(off) < 0):
        bad = int(np.flatnonzero(np.diff(off) < 0)[0])
        raise ValueError(
            f"embedding_bag: offsets must be non-decreasing, got offsets[{bad}] = {off[bad]} > "
            f"offsets[{bad + 1}] = {off[bad + 1]}"
        )
    if off[-1] > length:
        raise ValueError(
            f"embedding_bag: offsets[-1] can not be greater than the input's length {length}, "
            f"got {off[-1]}"
        )
    off = off.astype(np.int64)
    if include_last_offset:
        return off[:-1], int(off[-1])
    return off, length


def embedding_bag(
    input,
    weight: Tensor,
    offsets=None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Reduce bags of rows of `weight` (num_embeddings, embedding_dim) to (bags,
    embedding_dim), as torch.nn.functional.embedding_bag.

    2-D input (B, N): each row is a bag (offsets must be None). 1-D input: bag i is
    input[offsets[i]:offsets[i + 1]], the last running to the end of input (with
    include_last_offset, offsets has one more entry that ends the last bag, documented to be
    the input's length: entries past a smaller one are left out, as torch's sum and mean
    modes do; torch 2.13's max mode runs that bag to the end of input). mode 'sum' (optionally
    weighted by per_sample_weights, shaped like input), 'mean' or 'max'. Entries equal to
    padding_idx are left out (the mean divides by the bag's other entries), empty bags give
    zeros. max_norm rescales the looked-up rows of weight in place first. scale_grad_by_freq
    divides each row's gradient by its count in the mini-batch (not with mode 'max').
    Deviations: errors are ValueError/TypeError (torch raises RuntimeError or
    NotImplementedError for some); offsets must be non-decreasing; the gradient is dense
    (`sparse=True` records the looked-up rows for optim.SparseAdam, as `embedding` does; like
    torch, mode 'max' refuses it); scale_grad_by_freq divides by each row's own count,
    as documented (torch 2.13's CPU kernel mixes up the counts of different rows).
    """
    if mode not in _MODES:
        raise ValueError(f"embedding_bag: mode has to be one of {_MODES}, got {mode!r}")
    if not isinstance(weight, Tensor) or weight.data.ndim != 2:
        raise ValueError(
            "embedding_bag: weight must be a 2-D Tensor (num_embeddings, embedding_dim), got "
            f"{getattr(getattr(weight, 'data', None), 'shape', type(weight).__name__)}"
        )
    n, dim = weight.data.shape
    idx = _indices(input, n, "embedding_bag")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "embedding_bag: if input is 2D, then offsets has to be None (each row is a bag), "
                f"got offsets of type {type(offsets).__name__}"
            )
        bags = idx.shape[0]
        bag_of = np.repeat(np.arange(bags), idx.shape[1])
        end = idx.size
    elif idx.ndim == 1:
        starts, end = _offsets(offsets, idx.size, include_last_offset)
        bags = starts.size
        bag_of = np.searchsorted(starts, np.arange(end), side="right") - 1
    else:
        raise ValueError(
            f"embedding_bag: input has to be a 1D or 2D Tensor, got shape {idx.shape}"
        )
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(
                f"embedding_bag: padding_idx must be within num_embeddings={n}, got {padding_idx}"
            )
        padding_idx %= n
    psw = None
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(
                "embedding_bag: per_sample_weights is only supported for mode='sum', got "
                f"mode={mode!r}"
            )
        psw = per_sample_weights.data if isinstance(per_sample_weights, Tensor) else (
            np.asarray(per_sample_weights))
        if psw.shape != idx.shape:
            raise ValueError(
                f"embedding_bag: per_sample_weights must have the input's shape {idx.shape}, "
                f"got {psw.shape}"
            )
        if psw.dtype.kind != "f":
            raise TypeError(
                f"embedding_bag: per_sample_weights must be floating point, got {psw.dtype}"
            )
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("embedding_bag: max mode does not support scale_grad_by_freq")
    if mode == "max" and sparse:
        raise ValueError("embedding_bag: max mode does not support sparse weights")

    flat = idx.reshape(-1)[:end]
    keep = np.ones(end, dtype=bool) if padding_idx is None else flat != padding_idx
    rows, bag_of = flat[keep].astype(np.int64), bag_of[keep]
    if max_norm is not None and rows.size:
        renorm_rows(weight, rows, max_norm, norm_type)
    table = weight.data
    coef = None  # each kept entry's factor in its bag's sum
    if psw is not None:
        coef = psw.reshape(-1)[:end][keep].astype(table.dtype)
    elif mode == "mean":
        counts = np.bincount(bag_of, minlength=bags)
        coef = (1.0 / counts[bag_of]).astype(table.dtype)

    out = np.zeros((bags, dim), dtype=table.dtype)
    first = np.searchsorted(bag_of, np.arange(bags), side="left")
    stop = np.searchsorted(bag_of, np.arange(bags), side="right")
    if mode == "max":
        winner = np.empty((bags, dim), dtype=np.int64)
        if dim:
            _bag_max(np.ascontiguousarray(table), rows, first, stop, out, winner)
    else:
        if coef is None:  # plain sum: a factor of 1 is exact
            coef = np.ones(rows.size, dtype=table.dtype)
        if dim:
            _bag_sum(np.ascontiguousarray(table), rows, coef, first, stop, out)

    def backward(g):
        grad_w = grad_psw = None
        if weight.requires_grad:
            if mode == "max":
                won = winner >= 0
                column = np.broadcast_to(np.arange(dim), winner.shape)
                sums = np.bincount(
                    (winner * dim + column)[won], weights=g[won], minlength=n * dim
                )
                grad_w = sums.astype(table.dtype, copy=False).reshape(n, dim)
            else:
                grad_w = np.zeros_like(table)
                if dim:
                    g_rows = np.ascontiguousarray(g, dtype=table.dtype)
                    _bag_sum_backward(g_rows, rows, coef, bag_of.astype(np.int64), grad_w)
                if scale_grad_by_freq:
                    grad_w /= np.maximum(np.bincount(rows, minlength=n), 1)[:, None]
                if sparse:
                    sparse_rows.record(weight, rows)
        if takes_psw and per_sample_weights.requires_grad:
            grad_psw = np.zeros(psw.size, dtype=psw.dtype)
            positions = np.flatnonzero(keep)
            grad_psw[positions] = np.einsum("kd,kd->k", table[rows], g[bag_of])
            grad_psw = grad_psw.reshape(psw.shape)
        return (grad_w, grad_psw) if takes_psw else (grad_w,)

    # per_sample_weights given as a plain array are constants, outside the graph
    takes_psw = isinstance(per_sample_weights, Tensor)
    return Tensor.make(out, (weight, per_sample_weights) if takes_psw else (weight,), backward)


class EmbeddingBag(Module):
    """EmbeddingBag(num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, mode='mean', sparse=False, _weight=None,
    include_last_offset=False, padding_idx=None) as torch.nn.EmbeddingBag: weight ~ N(0, 1)
    with the padding row zero (unless _weight is given); forward(input, offsets=None,
    per_sample_weights=None) is `embedding_bag` (see there for the deviations)."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight=None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("EmbeddingBag", device)
        super().__init__()
        if num_embeddings < 1 or embedding_dim < 1:
            raise ValueError(
                f"EmbeddingBag: sizes must be positive, got ({num_embeddings}, {embedding_dim})"
            )
        if mode not in _MODES:
            raise ValueError(f"EmbeddingBag: mode has to be one of {_MODES}, got {mode!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"EmbeddingBag: padding_idx must be within num_embeddings={num_embeddings}, "
                    f"got {padding_idx}"
                )
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = padding_idx
        if _weight is None:
            dtype = default_float(dtype)
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
            init.normal_(self.weight)
            if padding_idx is not None:
                self.weight.data[padding_idx] = 0
        else:
            data = _weight.data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if data.shape != (num_embeddings, embedding_dim):
                raise ValueError(
                    "EmbeddingBag: _weight must have shape (num_embeddings, embedding_dim) = "
                    f"{(num_embeddings, embedding_dim)}, got {data.shape}"
                )
            self.weight = Parameter(np.array(data))

    def forward(self, input, offsets=None, per_sample_weights=None) -> Tensor:
        return embedding_bag(
            input, self.weight, offsets, self.max_norm, self.norm_type,
            self.scale_grad_by_freq, self.mode, self.sparse, per_sample_weights,
            self.include_last_offset, self.padding_idx,
        )  # fmt: skip

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag holding a copy of the 2-D `embeddings`, trainable unless freeze."""
        data = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(
                f"EmbeddingBag.from_pretrained: embeddings must be 2-D, got shape {data.shape}"
            )
        bag = cls(
            data.shape[0], data.shape[1], max_norm, norm_type, scale_grad_by_freq, mode,
            sparse, data, include_last_offset, padding_idx,
        )  # fmt: skip
        bag.weight.requires_grad_(not freeze)
        return bag

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
