"""Datasets and the mini-batch loader (`tinygrad_opt.data`), after torch.utils.data.

- `Dataset`: anything with `__len__` and `__getitem__(i)` returning one sample (an array,
  a number, or a tuple of them). `IterableDataset`, `Subset`, `ConcatDataset`,
  `ChainDataset` and `random_split` are in `tinygrad_opt/dataset.py`.
- `TensorDataset(*arrays)`: numpy arrays or Tensors sharing their first dimension.
- `DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
  num_workers=0, pin_memory=False, collate_fn=None, sampler=None, batch_sampler=None,
  generator=None)` plus PyTorch's worker options as keywords (`timeout`, `worker_init_fn`,
  `multiprocessing_context`, `prefetch_factor`, `persistent_workers`, `pin_memory_device`,
  `in_order`), checked as PyTorch and otherwise unused (no worker processes)
  yields tuples of Tensors, one per field, each with the batch as its first dimension (or,
  with `collate_fn`, whatever it makes of the list of samples, as PyTorch).
  `batch_size=len(dataset)` gives full-batch gradient descent, `batch_size=1` pure SGD.

How a batch is gathered (fastest first):
1. The dataset exposes `arrays` (a sequence of arrays of length `len(dataset)`, as
   `TensorDataset` does): each array is fancy-indexed once with the batch's indices.
2. The dataset has `__getitems__(indices)`: it is called with a list of ints and must return
   the already collated batch (a tuple of arrays with the batch first, or one array).
   Deviation from PyTorch, whose `__getitems__` returns a list of samples for `collate_fn`.
3. Otherwise each sample is fetched with `dataset[i]` and the fields are stacked (a dict
   sample or a tuple of Tensors in a field raises TypeError: pass collate_fn=default_collate).
Dtypes are kept (float32 images and int64 labels stay so); Python floats become float32.
Batches are copies, never views into the dataset.

Shuffling uses the loader's own `numpy.random.Generator`, seeded by `seed`, or, when `seed`
is None and `shuffle=True`, by a seed drawn from `tinygrad_opt.random.generator()` when the
loader is created (so `manual_seed` makes it repeat; a non-shuffling loader draws nothing).
Each `iter(loader)` starts a new epoch with a fresh permutation, as in PyTorch. PyTorch's
`generator=` (a `tinygrad_opt.Generator` or numpy Generator, instead of `seed`) is used as
that generator itself, so shuffling advances it, as PyTorch's loader advances its generator.

`state_dict()` captures the generator state at the start of the epoch in progress and how
many of its batches were handed out; `load_state_dict()` on a loader over the same dataset
makes the next `iter()` continue that epoch with exactly the remaining batches, and later
epochs repeat the uninterrupted run. Taken between epochs, the state resumes at the next
epoch. Breaking out of a loop abandons the epoch (the next `iter()` starts a new one).

Samplers (`tinygrad_opt/samplers.py`), as PyTorch: `sampler=` gives the order of indices
(then `shuffle` must stay False), `batch_sampler=` gives whole batches of indices (then
`batch_size`, `shuffle`, `sampler` and `drop_last` must keep their defaults, and the loader's
`batch_size` is None). Without them, `loader.sampler` is a `SequentialSampler`, or a
`RandomSampler` sharing the loader's generator, that describes the order the loader draws
directly. Our samplers hand the loader a whole epoch of indices as one array. An
`IterableDataset` is read in order and its samples grouped by `batch_size`.
With a sampler, a batch sampler or an iterable dataset, `state_dict()` also holds that
object's `state_dict()` taken at the start of the epoch ("sampler_state", None when it has
none), and resuming restores it, iterates it afresh and skips the batches already handed
out (their indices only; no data is fetched for a sampler). The built-in samplers have a
state, so this is exact; for an object without `state_dict`, it is exact when its order
does not depend on hidden state (a fixed or seeded-per-epoch order), as torchdata's
StatefulDataLoader assumes.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import random as _random
from .collate import default_collate as default_collate
from .collate import default_convert as default_convert
from .collate import get_worker_info as get_worker_info
from .dataset import ChainDataset as ChainDataset
from .dataset import ConcatDataset as ConcatDataset
from .dataset import Dataset as Dataset
from .dataset import IterableDataset as IterableDataset
from .dataset import Subset as Subset
from .dataset import random_split as random_split
from .distributed_sampler import DistributedSampler as DistributedSampler
from .samplers import BatchSampler as BatchSampler
from .samplers import RandomSampler as RandomSampler
from .samplers import Sampler as Sampler
from .samplers import SequentialSampler as SequentialSampler
from .samplers import SubsetRandomSampler as SubsetRandomSampler
from .samplers import WeightedRandomSampler as WeightedRandomSampler
from .samplers import _load_state, _state_of, iterates_by
from .stack_dataset import StackDataset as StackDataset
from .tensor import Tensor


def _to_array(value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    return Tensor(value).data  # Tensor's rules: Python floats and lists become float32


class TensorDataset(Dataset):
    """Samples are the i-th rows of the given arrays (numpy arrays or Tensors).

    `dataset[i]` is a tuple of Tensors, one per array, as PyTorch's (views of the rows, no
    graph); `arrays` holds the arrays themselves (Tensors are stored as their numpy data),
    which lets `DataLoader` gather whole batches.
    """

    def __init__(self, *arrays: np.ndarray | Tensor) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array, e.g. TensorDataset(x, y)")
        converted = tuple(_to_array(a) for a in arrays)
        for i, array in enumerate(converted):
            if array.ndim == 0:
                raise ValueError(
                    f"TensorDataset: array {i} is 0-d; every array needs a first dimension "
                    "indexing the samples"
                )
        first = converted[0].shape[0]
        for i, array in enumerate(converted[1:], start=1):
            if array.shape[0] != first:
                raise ValueError(
                    f"TensorDataset: array {i} has {array.shape[0]} samples (shape "
                    f"{array.shape}) but array 0 has {first}; all arrays need the same first "
                    "dimension"
                )
        self.arrays = converted

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        return tuple(Tensor(a[index], dtype=a.dtype) for a in self.arrays)

    def __getitems__(self, indices: Sequence[int]) -> tuple[np.ndarray, ...]:
        index = np.asarray(indices, dtype=np.intp)
        return tuple(a[index] for a in self.arrays)


def _nested(item: Any) -> bool:
    return isinstance(item, dict) or (
        isinstance(item, (tuple, list)) and any(isinstance(x, Tensor) for x in item))


def _collate_field(items: list) -> np.ndarray:
    # np.stack would merge a tuple of Tensors into one array (an int label into float64)
    if any(_nested(x) for x in items):
        raise TypeError(
            "DataLoader: a sample (or a field of one) is a dict or a tuple of Tensors, e.g. from "
            "StackDataset; the built-in batching stacks flat fields only: pass "
            "collate_fn=default_collate (tinygrad_opt.utils.data) to batch nested samples"
        )
    # Python floats become float32; numpy scalars (np.float64 is a float too) keep their dtype
    if all(isinstance(x, float) and not isinstance(x, np.generic) for x in items):
        return np.asarray(items, dtype=np.float32)
    return np.stack([_to_array(x) if isinstance(x, Tensor) else np.asarray(x) for x in items])


def _as_fields(batch: Any) -> tuple[np.ndarray, ...]:
    if isinstance(batch, (tuple, list)):
        return tuple(_to_array(b) for b in batch)
    return (_to_array(batch),)


def _collate_samples(samples: list) -> tuple[np.ndarray, ...]:
    if samples and isinstance(samples[0], (tuple, list)):
        return tuple(_collate_field(list(f)) for f in zip(*samples))
    return (_collate_field(samples),)


def _gather(dataset: Any, indices: np.ndarray) -> tuple[np.ndarray, ...]:
    """One batch of `dataset` as fields, by the fastest route it offers (module docstring)."""
    arrays = getattr(dataset, "arrays", None)
    if arrays is not None:
        return tuple(np.asarray(a)[indices] for a in arrays)
    if hasattr(dataset, "__getitems__"):
        return _as_fields(dataset.__getitems__(indices.tolist()))
    return _collate_samples([dataset[i] for i in indices.tolist()])


def _batch_indices(batch: Any) -> np.ndarray:
    if isinstance(batch, np.ndarray):
        return batch
    indices = np.asarray(batch)
    if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
        raise TypeError(
            f"DataLoader: the sampler gave the batch {batch!r}; expected a list of int indices"
        )
    return indices.astype(np.intp, copy=False)


def _check_worker_options(num_workers, timeout, worker_init_fn, context, prefetch_factor,
                          persistent_workers, in_order) -> None:
    """PyTorch's worker arguments, checked as PyTorch checks them and otherwise unused:
    batches are always gathered in the calling process, so `worker_init_fn` is never called
    (as PyTorch with num_workers=0; with more workers PyTorch calls it in each worker)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float, np.integer, np.floating)):
        raise TypeError(f"DataLoader: timeout must be a number, got {timeout!r}")
    if timeout < 0:
        raise ValueError(f"DataLoader: timeout must be non-negative, got {timeout}")
    if worker_init_fn is not None and not callable(worker_init_fn):
        raise TypeError(f"DataLoader: worker_init_fn must be callable, got {worker_init_fn!r}")
    _check_flag("persistent_workers", persistent_workers)
    _check_flag("in_order", in_order)
    if num_workers == 0:
        for name, value, allowed in (("prefetch_factor", prefetch_factor, None),
                                     ("persistent_workers", persistent_workers, False),
                                     ("multiprocessing_context", context, None)):
            if value != allowed:
                raise ValueError(
                    f"DataLoader: {name}={value!r} needs num_workers > 0 (as PyTorch); "
                    f"leave it at its default {allowed!r} with num_workers=0"
                )
    if prefetch_factor is not None and (
        isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, (int, np.integer))
        or prefetch_factor < 0
    ):
        raise ValueError(
            "DataLoader: prefetch_factor must be None or a non-negative int, got "
            f"{prefetch_factor!r}"
        )


def _check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"DataLoader: {name} must be a bool, got {value!r}")
    return bool(value)


class DataLoader:
    """Iterate over `dataset` in batches of Tensors (see the module docstring).

    Same argument names and defaults as torch.utils.data.DataLoader for the arguments it has;
    `seed` (an int) or PyTorch's `generator=` (a `Generator`, drawn from directly) fix the
    shuffling order. `len(loader)` is the number of batches per epoch.
    `num_workers` and `pin_memory` are checked and otherwise ignored, so PyTorch's loader
    arguments port: batches are gathered in the calling process (one numpy indexing per
    field), and there is no device memory to pin. `collate_fn(samples)` receives the list of
    `dataset[i]` of a batch and its result is the batch, as PyTorch's. `sampler` and
    `batch_sampler` come after PyTorch's others (keyword use ports; PyTorch's positional
    order did not port before them either).
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        collate_fn=None,
        sampler=None,
        batch_sampler=None,
        generator=None,
        *,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        iterable = isinstance(dataset, IterableDataset)
        if not iterable and not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader: dataset must define __len__ and __getitem__ (a Dataset) or be an "
                f"IterableDataset, got {type(dataset).__name__}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        shuffle = _check_flag("shuffle", shuffle)
        drop_last = _check_flag("drop_last", drop_last)
        _check_flag("pin_memory", pin_memory)
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
            raise TypeError(f"DataLoader: num_workers must be an int, got {num_workers!r}")
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be at least 0, got {num_workers}")
        _check_worker_options(num_workers, timeout, worker_init_fn, multiprocessing_context,
                              prefetch_factor, persistent_workers, in_order)
        del pin_memory_device  # no device memory to pin
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
                raise TypeError(f"DataLoader: seed must be an int or None, got {seed!r}")
            if seed < 0:
                raise ValueError(f"DataLoader: seed must be non-negative, got {seed}")
        if generator is not None:
            _random.resolve(generator, "DataLoader")
            if seed is not None:
                raise ValueError("DataLoader: give seed or generator, not both")
        _check_samplers(iterable, batch_size, shuffle, drop_last, sampler, batch_sampler)
        arrays = None if iterable else getattr(dataset, "arrays", None)
        if arrays is not None:
            for i, array in enumerate(arrays):
                if np.ndim(array) == 0 or len(array) != len(dataset):
                    raise ValueError(
                        f"DataLoader: dataset.arrays[{i}] has shape {np.shape(array)} but the "
                        f"dataset has {len(dataset)} samples; each array's first dimension "
                        "must be the dataset's length"
                    )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self._rng: np.random.Generator | None = None
        if shuffle and generator is not None:
            self._rng = generator
        elif shuffle:
            if seed is None:
                seed = int(_random.generator().integers(0, 2**63))
            self._rng = np.random.default_rng(int(seed))
        # `_source` (a user's sampler as a BatchSampler, a user's batch sampler, or an iterable
        # dataset) gives the batches; None is the built-in order, drawn as one array per epoch.
        self._source = self._sampler = self._batch_sampler = None
        if iterable:
            self._source = dataset
        elif batch_sampler is not None:
            self.batch_size, self.drop_last = None, False  # as PyTorch
            self._batch_sampler = self._source = batch_sampler
        elif sampler is not None:
            self._sampler = sampler
            self._batch_sampler = self._source = BatchSampler(sampler, self.batch_size, drop_last)
        # Resume bookkeeping: the epoch in progress (if any), the generator (or source) state
        # before its order was drawn, and how many of its batches have been handed out.
        self._epochs_begun = 0
        self._active: object | None = None  # token of the iterator whose epoch is in progress
        self._epoch_rng_state: dict | None = None
        self._epoch_source_state: Any = None
        self._position = 0
        self._resume_position = 0

    @property
    def sampler(self):
        """The sampler given, or one describing the built-in order (None for a stream)."""
        if self._sampler is None and self._source is None:  # built on use: may be empty
            self._sampler = (RandomSampler(self.dataset, generator=self._rng) if self.shuffle
                             else SequentialSampler(self.dataset))
        return self._sampler

    @property
    def batch_sampler(self):
        """The batch sampler given or made from `sampler` (None for a stream)."""
        if self._batch_sampler is None and self._source is None:
            self._batch_sampler = BatchSampler(self.sampler, self.batch_size, self.drop_last)
        return self._batch_sampler

    def __len__(self) -> int:
        if self._source is self.dataset:  # an IterableDataset: TypeError without __len__
            n = len(self.dataset)
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self._source is not None:
            return len(self._source)
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _length(self) -> int | None:
        try:
            return len(self)
        except TypeError:  # an unsized sampler or stream
            return None

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        return self._epoch()

    def _epoch(self):
        # A generator: nothing (no permutation drawn, no state changed) happens before the
        # first next(), so an iterator that is created but never used leaves no trace.
        start, self._resume_position = self._resume_position, 0
        if self._source is None:
            n = len(self.dataset)
            num_batches = len(self)
            if self._rng is not None:
                self._epoch_rng_state = copy.deepcopy(self._rng.bit_generator.state)
                order = self._rng.permutation(n)
            else:
                order = np.arange(n)
            size = self.batch_size
            batches = (order[b * size : (b + 1) * size] for b in range(start, num_batches))
        else:
            self._epoch_source_state = _state_of(self._source)
            batches = self._source_batches()
            for _ in itertools.islice(batches, start):  # indices only (samples for a stream)
                pass
        token = object()
        self._active, self._position = token, start
        self._epochs_begun += 1
        try:
            for b, indices in enumerate(batches, start=start):
                batch = self._fetch(indices)
                if self._active is token:
                    self._position = b + 1
                yield batch
        finally:  # finished, or abandoned (break, exception, garbage-collected)
            if self._active is token:
                self._active = None
                self._position = 0

    def _source_batches(self) -> Iterator:
        if self._source is self.dataset:  # a stream: lists of samples
            iterator = iter(self.dataset)
            while samples := list(itertools.islice(iterator, self.batch_size)):
                if len(samples) < self.batch_size and self.drop_last:
                    return
                yield samples
        elif iterates_by(self._source, "_index_batches"):
            yield from self._source._index_batches()
        else:
            for batch in self._source:
                yield _batch_indices(batch)

    def _fetch(self, indices) -> tuple[Tensor, ...]:
        dataset = self.dataset
        if self._source is dataset:  # samples of an IterableDataset
            if self.collate_fn is not None:
                return self.collate_fn(indices)
            fields, count = _collate_samples(indices), len(indices)
        elif self.collate_fn is not None:  # as PyTorch: the batch is whatever it makes of the list
            return self.collate_fn([dataset[i] for i in _batch_indices(indices).tolist()])
        else:
            fields, count = self._gather(_batch_indices(indices)), len(indices)
        for field in fields:
            if field.shape[:1] != (count,):
                raise RuntimeError(
                    f"DataLoader: the dataset returned a batch field of shape {field.shape} for "
                    f"{count} indices; expected the batch as the first dimension"
                )
        return tuple(Tensor(f) for f in fields)

    def _gather(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        arrays = getattr(self.dataset, "arrays", None)
        if arrays is not None and self._source is None and not self.shuffle and len(indices):
            rows = slice(int(indices[0]), int(indices[-1]) + 1)  # consecutive: a memcpy
            return tuple(np.array(np.asarray(a)[rows], copy=True) for a in arrays)
        return _gather(self.dataset, indices)

    # ------------------------------------------------------------------------ resume
    def state_dict(self) -> dict:
        """Position in the batch order: plain data, saveable with `tinygrad_opt.save`."""
        length = self._length()
        in_epoch = self._active is not None and (length is None or self._position < length)
        if in_epoch:
            rng_state, position = self._epoch_rng_state, self._position
            source_state = self._epoch_source_state
            epoch = self._epochs_begun - 1
        else:
            rng_state = None if self._rng is None else self._rng.bit_generator.state
            source_state = None if self._source is None else _state_of(self._source)
            position, epoch = self._resume_position, self._epochs_begun
        state = {
            "epoch": epoch,
            "position": position,
            "rng_state": copy.deepcopy(rng_state),
            "dataset_size": self._dataset_size(),
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
        }
        if self._source is not None:
            state["sampler_state"] = copy.deepcopy(source_state)
        return state

    def _dataset_size(self) -> int | None:
        try:
            return len(self.dataset)
        except TypeError:  # a stream of unknown length
            return None

    def load_state_dict(self, state_dict: dict) -> None:
        """Continue from `state_dict()` of a loader with the same dataset size and settings."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"DataLoader.load_state_dict expects a dict, got {type(state_dict)}")
        required = {"epoch", "position", "rng_state", "dataset_size", "batch_size", "shuffle",
                    "drop_last"}
        if self._source is not None:
            required.add("sampler_state")
        elif "sampler_state" in state_dict:
            raise ValueError(
                "DataLoader.load_state_dict: the state was saved by a loader with a sampler, "
                "batch sampler or IterableDataset, but this loader has none"
            )
        missing = required - set(state_dict)
        if missing:
            raise ValueError(f"DataLoader.load_state_dict: missing keys {sorted(missing)}")
        mine = {"dataset_size": self._dataset_size(), "batch_size": self.batch_size,
                "shuffle": self.shuffle, "drop_last": self.drop_last}
        for key, value in mine.items():
            if state_dict[key] != value:
                raise ValueError(
                    f"DataLoader.load_state_dict: the state has {key}={state_dict[key]!r} but "
                    f"this loader has {key}={value!r}; the batch order would differ"
                )
        position, length = state_dict["position"], self._length()
        if isinstance(position, bool) or not isinstance(position, (int, np.integer)) or not (
            0 <= position <= (position if length is None else length)
        ):
            raise ValueError(
                f"DataLoader.load_state_dict: position {position!r} is not in [0, {length}]"
            )
        epoch = state_dict["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"DataLoader.load_state_dict: epoch {epoch!r} is not an int >= 0")
        restored = None
        if self._rng is not None:
            rng_state = state_dict["rng_state"]
            if not isinstance(rng_state, dict):
                raise ValueError("DataLoader.load_state_dict: rng_state must be a dict")
            restored = np.random.default_rng()
            try:
                restored.bit_generator.state = copy.deepcopy(rng_state)
            except (TypeError, ValueError, KeyError) as error:
                raise ValueError(
                    f"DataLoader.load_state_dict: invalid rng_state ({error})"
                ) from None
        if self._source is not None:  # last check: the source leaves itself alone on refusal
            _load_state(self._source, state_dict["sampler_state"], "DataLoader")
        if restored is not None:
            # in place: self.sampler (a RandomSampler) shares this generator
            self._rng.bit_generator.state = restored.bit_generator.state
        self._epochs_begun = int(epoch)
        self._active = None
        self._position = 0
        self._resume_position = int(position)


def _check_samplers(iterable, batch_size, shuffle, drop_last, sampler, batch_sampler) -> None:
    """PyTorch's rules for combining `sampler` and `batch_sampler` with the other options."""
    if iterable:
        for name, value in (("shuffle", shuffle or None), ("sampler", sampler),
                            ("batch_sampler", batch_sampler)):
            if value is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified {name} option, but "
                    f"got {name}={value!r}"
                )
        return
    for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
        if value is not None and not hasattr(value, "__iter__"):
            raise TypeError(f"DataLoader: {name} must be iterable, got {value!r}")
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None and (
        batch_size != 1 or shuffle or sampler is not None or drop_last
    ):
        raise ValueError(
            "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
            "drop_last"
        )
