"""Sorting: sort, argsort and topk along one dimension, returning (values, indices).

Values are differentiable (the gradient goes back to the positions the indices name);
indices are int64 tensors outside the graph. NaN counts as larger than every number, as in
PyTorch (first when descending). Ties keep their index order (a stable sort); which of
several values tied at the k-th place topk keeps is unspecified, as in PyTorch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from .axes import normalize_axis


class ValuesIndices(NamedTuple):
    """`(values, indices)`, also readable as `.values` / `.indices` (torch.return_types):
    what sort, topk and the function forms max/min with a dim return."""

    values: Tensor
    indices: Tensor


def _order(a: np.ndarray, ax: int, descending: bool) -> np.ndarray:
    """Stable argsort along `ax`; descending keeps equal elements in index order too."""
    if not descending:
        return np.argsort(a, axis=ax, kind="stable")
    # sort the reversed array ascending, then reverse: ties come back in index order
    n = a.shape[ax]
    return np.flip(n - 1 - np.argsort(np.flip(a, ax), axis=ax, kind="stable"), ax)


def _take(x: Tensor, index: np.ndarray, ax: int) -> ValuesIndices:
    """Values at `index` along `ax` (each position at most once) with their gradient."""
    a = x.data

    def backward(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        np.put_along_axis(grad, index, g, axis=ax)
        return (grad,)

    values = Tensor.make(np.take_along_axis(a, index, axis=ax), (x,), backward)
    return ValuesIndices(values, Tensor(index.astype(np.int64, copy=False)))


def _as_1d(x: Tensor, op: str, dim: int) -> tuple[Tensor, int, bool]:
    """0-d tensors are sorted as 1-element vectors (PyTorch allows dim 0 or -1)."""
    if x.data.ndim == 0:
        normalize_axis(op, dim, 0)
        return x.reshape(1), 0, True
    return x, normalize_axis(op, dim, x.data.ndim), False


def _scalar(result: ValuesIndices) -> ValuesIndices:
    return ValuesIndices(result.values.reshape(()), Tensor(result.indices.data.reshape(())))


def sort(
    x: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
) -> ValuesIndices:
    """Sorted values and their original indices along `dim` (torch.sort); always stable."""
    x1, ax, scalar = _as_1d(x, "sort", dim)
    result = _take(x1, _order(x1.data, ax, descending), ax)
    return _scalar(result) if scalar else result


def argsort(x: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """Indices (int64) that sort `x` along `dim` (torch.argsort); always stable."""
    a = x.data
    if a.ndim == 0:
        normalize_axis("argsort", dim, 0)
        return Tensor(np.zeros((), dtype=np.int64))
    ax = normalize_axis("argsort", dim, a.ndim)
    return Tensor(_order(a, ax, descending).astype(np.int64, copy=False))


def topk(
    x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True  # noqa: A002
) -> ValuesIndices:
    """The k largest (or smallest) values along `dim` and their indices (torch.topk), in
    sorted order whatever `sorted` says; 0 <= k <= size of `dim`."""
    x1, ax, scalar = _as_1d(x, "topk", dim)
    n = x1.data.shape[ax]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk: k must be an int, got {type(k).__name__}")
    if not 0 <= k <= n:
        raise ValueError(f"topk: k={k} is out of range for dimension {dim} of size {n} "
                         f"(expected 0 to {n})")
    result = _take(x1, _top(x1.data, k, ax, largest), ax)
    return _scalar(result) if scalar else result


def _top(a: np.ndarray, k: int, ax: int, largest: bool) -> np.ndarray:
    """Indices of the k largest (smallest) along `ax`, sorted: a partition, then a sort of
    only the k chosen (much faster than sorting everything when k is small)."""
    n = a.shape[ax]
    if k == 0 or k == n:
        return np.take(_order(a, ax, largest), np.arange(k), axis=ax)
    part = np.argpartition(a, n - k if largest else k - 1, axis=ax)
    part = np.take(part, np.arange(n - k, n) if largest else np.arange(k), axis=ax)
    part = np.sort(part, axis=ax)  # index order, so the stable sort below keeps ties in it
    chosen = np.take_along_axis(a, part, axis=ax)
    return np.take_along_axis(part, _order(chosen, ax, largest), axis=ax)
