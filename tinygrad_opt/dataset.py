"""Dataset types and combinators, after torch.utils.data.dataset (all importable from
`tinygrad_opt.data`; the real data sets live in `tinygrad_opt.datasets`).

- `Dataset`: map-style, `__len__` and `__getitem__(i)`; `a + b` is `ConcatDataset([a, b])`.
- `IterableDataset`: a stream, `__iter__`; `a + b` is `ChainDataset([a, b])`.
- `Subset(dataset, indices)`, `ConcatDataset(datasets)`, `ChainDataset(datasets)` and
  `random_split(dataset, lengths, generator=None)`, as PyTorch's.

`Subset` and `ConcatDataset` also define `__getitems__` (the batch protocol of
`tinygrad_opt.data`: the collated batch) so a `DataLoader` over them gathers each batch with
one fancy index per underlying array when the base datasets allow it, instead of a Python
loop over samples.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import random as _random


def _gather(dataset: Any, indices: np.ndarray) -> tuple[np.ndarray, ...]:
    from .data import _gather as gather  # on use: data imports this module

    return gather(dataset, indices)


class Dataset:
    """Abstract map-style dataset: subclasses define `__len__` and `__getitem__`."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset:
    """Abstract stream of samples: subclasses define `__iter__` (and `__len__` if known).

    A `DataLoader` over one groups consecutive samples into batches; `shuffle`, `sampler`
    and `batch_sampler` are refused, as PyTorch. Work is done in the calling process
    (no workers), so there is no per-worker sharding to arrange.
    """

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other: IterableDataset) -> ChainDataset:
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """The samples of each iterable dataset in turn; `len` is the sum of their lengths."""

    def __init__(self, datasets: Iterable[IterableDataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise TypeError(
                    f"ChainDataset only supports IterableDataset, got {type(dataset).__name__}"
                )
            yield from dataset

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self.datasets)


class Subset(Dataset):
    """The samples of `dataset` at `indices`: `subset[i]` is `dataset[indices[i]]`.

    Indexing follows `indices` (a list: negative and out-of-range `i` behave as for the
    list). Deviation from PyTorch, which checks nothing: `indices` must be a 1-d sequence of
    ints within [-len(dataset), len(dataset)) (TypeError / ValueError when built).
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    @property
    def indices(self) -> Sequence[int]:
        return self._indices

    @indices.setter
    def indices(self, indices: Sequence[int]) -> None:
        index = np.asarray(indices)
        if index.ndim != 1 or (index.size and index.dtype.kind not in "iu"):
            raise TypeError(
                f"Subset: indices must be a 1-d sequence of ints, got {type(indices).__name__} "
                f"with shape {index.shape} and dtype {index.dtype}"
            )
        index = index.astype(np.intp, copy=False)
        if hasattr(self.dataset, "__len__") and index.size:
            n = len(self.dataset)
            low, high = int(index.min()), int(index.max())
            if low < -n or high >= n:
                raise ValueError(
                    f"Subset: index {low if low < -n else high} is out of range for a dataset "
                    f"of {n} samples"
                )
        self._indices, self._index = indices, index

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self._indices[i] for i in idx]]
        return self.dataset[self._indices[idx]]

    def __getitems__(self, indices: Sequence[int]) -> tuple[np.ndarray, ...]:
        return _gather(self.dataset, self._index[np.asarray(indices, dtype=np.intp)])

    def __len__(self) -> int:
        return len(self._indices)


class ConcatDataset(Dataset):
    """Map-style datasets one after the other; `cumulative_sizes[k]` ends dataset k.

    A negative index counts from the end (ValueError below -len, as PyTorch); an index at or
    past the end raises IndexError. Deviation: an empty list raises ValueError and an
    IterableDataset TypeError (PyTorch: AssertionError).
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for i, dataset in enumerate(self.datasets):
            if isinstance(dataset, IterableDataset) or not hasattr(dataset, "__len__"):
                raise TypeError(
                    f"ConcatDataset does not support IterableDataset (or datasets without "
                    f"__len__): dataset {i} is a {type(dataset).__name__}"
                )
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def _locate(self, idx: int) -> tuple[int, int]:
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += n
        if idx >= n:
            raise IndexError(f"ConcatDataset: index {idx} is out of range for {n} samples")
        k = int(np.searchsorted(self.cumulative_sizes, idx, side="right"))
        return k, idx - (self.cumulative_sizes[k - 1] if k else 0)

    def __getitem__(self, idx: int) -> Any:
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"ConcatDataset indices must be ints, got {type(idx).__name__}")
        k, local = self._locate(int(idx))
        return self.datasets[k][local]

    def __getitems__(self, indices: Sequence[int]) -> tuple[np.ndarray, ...]:
        n, idx = len(self), np.asarray(indices, dtype=np.intp)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            bad = idx[(idx < -n) | (idx >= n)][0]
            raise IndexError(f"ConcatDataset: index {bad} is out of range for {n} samples")
        idx = np.where(idx < 0, idx + n, idx)
        ends = np.asarray(self.cumulative_sizes)
        which = np.searchsorted(ends, idx, side="right")
        starts = np.concatenate(([0], ends[:-1]))
        parts, positions = [], []
        for k in np.unique(which).tolist():  # a loop over datasets, not samples
            where = np.flatnonzero(which == k)
            parts.append(_gather(self.datasets[k], idx[where] - starts[k]))
            positions.append(where)
        if len({len(p) for p in parts}) > 1:
            raise RuntimeError("ConcatDataset: the datasets' samples have different field counts")
        back = np.argsort(np.concatenate(positions), kind="stable")  # to the requested order
        return tuple(np.concatenate([p[f] for p in parts])[back] for f in range(len(parts[0])))


def _split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    values = list(lengths)
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(
                f"random_split: lengths must be ints or fractions, got {value!r} at index {i}"
            )
    total = math.fsum(values) if values else 0
    if values and math.isclose(total, 1) and total <= 1:  # fractions
        for i, frac in enumerate(values):
            if not 0 <= frac <= 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        sizes = [int(math.floor(n * frac)) for frac in values]
        for i in range(n - sum(sizes)):  # the remainder, one each, from the first split on
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=3,
                )
        return sizes
    if sum(values) != n:
        raise ValueError(
            "Sum of input lengths does not equal the length of the input dataset! (lengths "
            f"{values} for {n} samples; give ints summing to {n} or fractions summing to 1)"
        )
    for i, size in enumerate(values):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(
                f"random_split: lengths must be ints or fractions summing to 1, got {size!r} "
                f"at index {i}"
            )
        if size < 0:
            raise ValueError(f"random_split: length at index {i} is negative ({size})")
    return [int(v) for v in values]


def random_split(
    dataset: Any,
    lengths: Sequence[int | float],
    generator: int | np.random.Generator | None = None,
) -> list[Subset]:
    """Split `dataset` into non-overlapping random `Subset`s of the given lengths.

    `lengths` are ints summing to `len(dataset)`, or fractions summing to 1: each split gets
    floor(n * fraction) samples and the remaining ones go one each to the splits in order,
    from the first (a split left empty warns), as PyTorch. One permutation of
    `len(dataset)` is drawn and cut in order. Deviation: `generator` is None (the package
    generator, so `tinygrad_opt.manual_seed` makes it repeat), an int seed, a
    `tinygrad_opt.Generator` or a `numpy.random.Generator`, not a torch.Generator;
    negative int lengths raise ValueError;
    fractions are summed exactly (math.fsum), so ones like [0.017, 0.553, 0.316, 0.114],
    whose float sum is 1.0000000000000002, are taken (PyTorch refuses them).
    """
    if isinstance(generator, np.random.Generator):
        rng = generator
    elif generator is None:
        rng = _random.generator()
    elif isinstance(generator, bool) or not isinstance(generator, (int, np.integer)):
        raise TypeError(
            f"random_split: generator must be None, an int seed or a numpy.random.Generator, "
            f"got {generator!r}"
        )
    elif generator < 0:
        raise ValueError(f"random_split: a generator seed must be non-negative, got {generator}")
    else:
        rng = np.random.default_rng(int(generator))
    sizes = _split_lengths(len(dataset), lengths)
    order = rng.permutation(sum(sizes)).tolist()
    ends = list(itertools.accumulate(sizes))
    return [Subset(dataset, order[end - size : end]) for end, size in zip(ends, sizes)]
