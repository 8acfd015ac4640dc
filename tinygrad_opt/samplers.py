"""Index samplers for `DataLoader(sampler=..., batch_sampler=...)`, after torch.utils.data.

Also importable from `tinygrad_opt.data`. Each sampler is an iterable of dataset indices
(`BatchSampler`: of lists of indices) with PyTorch's names, arguments and checks:

- `SequentialSampler(data_source)`: 0, 1, ..., len(data_source) - 1.
- `RandomSampler(data_source, replacement=False, num_samples=None, generator=None)`: a
  permutation per `len(data_source)` samples asked for (the last one cut short), or, with
  `replacement=True`, `num_samples` uniform draws from [0, len(data_source)).
- `SubsetRandomSampler(indices, generator=None)`: the given indices in random order.
- `WeightedRandomSampler(weights, num_samples, replacement=True, generator=None)`: index i
  with probability weights[i] / sum(weights) (without replacement: successive draws among
  the indices not drawn yet, each in proportion to its weight).
- `BatchSampler(sampler, batch_size, drop_last)`: the sampler's indices in lists of
  `batch_size`, the last one shorter unless `drop_last`.

Randomness (deviation from PyTorch, whose `generator=` is a torch.Generator and whose
unseeded samplers draw a new seed from the global RNG at every `iter()`): `generator` is an
int seed, a `tinygrad_opt.Generator` or any `numpy.random.Generator` (used, and advanced,
as is). When it is None the
sampler seeds its own generator once, when it is built, with one draw from
`tinygrad_opt.random.generator()`, so `tinygrad_opt.manual_seed` makes it repeat (the
`DataLoader(shuffle=True)` rule). Each `iter()` draws its whole epoch from that generator
at the first `next()`, with vectorised numpy calls (no loop over samples).

`state_dict()` / `load_state_dict()` hold the generator state (plain data, saveable with
`tinygrad_opt.save`), which a `DataLoader` uses to resume a shuffled epoch exactly.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from . import random as _random


def _make_generator(generator: Any, owner: str) -> np.random.Generator:
    if generator is None:
        return np.random.default_rng(int(_random.generator().integers(0, 2**63)))
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, bool) or not isinstance(generator, (int, np.integer)):
        raise TypeError(
            f"{owner}: generator must be None, an int seed or a numpy.random.Generator, got "
            f"{generator!r}"
        )
    if generator < 0:
        raise ValueError(f"{owner}: a generator seed must be non-negative, got {generator}")
    return np.random.default_rng(int(generator))


def _is_positive_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value > 0


def _index_vector(indices: Any, owner: str) -> np.ndarray:
    array = np.asarray(indices)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise TypeError(
            f"{owner}: indices must be a 1-d sequence of ints, got {type(indices).__name__} "
            f"with shape {array.shape} and dtype {array.dtype}"
        )
    return array.astype(np.intp, copy=False)


class Sampler:
    """Base class: subclasses define `__iter__` (and `__len__` when the length is known)."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class _RandomState:
    """`state_dict` / `load_state_dict` for samplers drawing from `self.generator`."""

    generator: np.random.Generator

    def state_dict(self) -> dict:
        """The generator state as plain data."""
        return {"rng_state": copy.deepcopy(self.generator.bit_generator.state)}

    def load_state_dict(self, state_dict: dict) -> None:
        """Set the generator (in place, so a shared Generator follows) to a saved state."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not isinstance(state_dict.get("rng_state"), dict):
            raise ValueError(f"{name}.load_state_dict expects {{'rng_state': dict}}")
        probe = copy.deepcopy(self.generator.bit_generator)
        try:  # on a copy first, so a bad state leaves the sampler as it was
            probe.state = copy.deepcopy(state_dict["rng_state"])
        except (TypeError, ValueError, KeyError) as error:
            raise ValueError(f"{name}.load_state_dict: invalid rng_state ({error})") from None
        self.generator.bit_generator.state = probe.state


class SequentialSampler(Sampler):
    """Indices 0 .. len(data_source) - 1 in order (the length is read at each `iter()`)."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.intp)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)

    def state_dict(self) -> dict:
        """Empty: the order has no state (present so loaders can checkpoint uniformly)."""
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Nothing to restore."""
        if not isinstance(state_dict, dict):
            raise ValueError(
                f"SequentialSampler.load_state_dict expects a dict, got {state_dict!r}"
            )


class RandomSampler(_RandomState, Sampler):
    """Random indices of `data_source`: permutations, or uniform draws with `replacement`.

    Without replacement, `num_samples` (default `len(data_source)`) may exceed the length:
    whole permutations follow each other and the last is cut short, as PyTorch. Errors as
    PyTorch's: TypeError for a non-bool `replacement`, ValueError for a `num_samples` that
    is not a positive int (bools refused too; PyTorch takes True as 1). Seeding: see the
    module docstring.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: int | np.random.Generator | None = None,
    ) -> None:
        if not isinstance(replacement, (bool, np.bool_)):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement!r}"
            )
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = num_samples
        if not _is_positive_int(self.num_samples):
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples!r}"
            )
        self.generator = _make_generator(generator, "RandomSampler")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_array(self) -> np.ndarray:
        n, count = len(self.data_source), int(self.num_samples)
        if self.replacement:
            return self.generator.integers(0, n, size=count).astype(np.intp)
        if n == 0:
            raise ValueError("RandomSampler: cannot draw without replacement from an empty source")
        rounds = [self.generator.permutation(n) for _ in range(count // n)]
        if count % n:
            rounds.append(self.generator.permutation(n)[: count % n])
        return np.concatenate(rounds).astype(np.intp, copy=False)

    def __iter__(self) -> Iterator[int]:
        yield from self._index_array().tolist()  # a generator: nothing is drawn before next()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(_RandomState, Sampler):
    """The given `indices` (a 1-d sequence of ints), in a new random order at each `iter()`."""

    def __init__(
        self, indices: Sequence[int], generator: int | np.random.Generator | None = None
    ) -> None:
        self.indices = indices
        self.generator = _make_generator(generator, "SubsetRandomSampler")

    @property
    def indices(self) -> Sequence[int]:
        return self._given

    @indices.setter
    def indices(self, indices: Sequence[int]) -> None:
        self._indices = _index_vector(indices, "SubsetRandomSampler")
        self._given = indices

    def _index_array(self) -> np.ndarray:
        return self._indices[self.generator.permutation(len(self._indices))]

    def __iter__(self) -> Iterator[int]:
        yield from self._index_array().tolist()

    def __len__(self) -> int:
        return len(self._indices)


class WeightedRandomSampler(_RandomState, Sampler):
    """`num_samples` indices drawn with probabilities proportional to `weights`.

    `weights` need not sum to 1. Errors as PyTorch's: ValueError for `num_samples` that is
    not a positive int, a non-bool `replacement` or non-1-d `weights`. Deviations: negative,
    NaN or infinite weights, an all-zero sum and, without replacement, more samples than
    non-zero weights raise ValueError when the sampler is built (PyTorch: RuntimeError from
    torch.multinomial at iteration, which without replacement then draws zero-weight indices).
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: int | np.random.Generator | None = None,
    ) -> None:
        if not _is_positive_int(num_samples):
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={num_samples!r}"
            )
        if not isinstance(replacement, (bool, np.bool_)):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement!r}"
            )
        array = np.asarray(weights.data if hasattr(weights, "grad") else weights, dtype=np.float64)
        if array.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {array.shape}"
            )
        if not np.all(np.isfinite(array)) or np.any(array < 0) or not array.sum() > 0:
            raise ValueError(
                "WeightedRandomSampler: weights must be finite and non-negative with a positive "
                f"sum, got {array if array.size <= 8 else array[:8]}"
            )
        if not replacement and num_samples > np.count_nonzero(array):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement "
                f"from {np.count_nonzero(array)} non-zero weights"
            )
        self.weights = array
        self.num_samples = int(num_samples)
        self.replacement = bool(replacement)
        self.generator = _make_generator(generator, "WeightedRandomSampler")

    def _index_array(self) -> np.ndarray:
        p = self.weights / self.weights.sum()
        drawn = self.generator.choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        return drawn.astype(np.intp, copy=False)

    def __iter__(self) -> Iterator[int]:
        yield from self._index_array().tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of `batch_size` indices from `sampler` (any iterable of ints), in its order.

    The last list is shorter unless `drop_last`; `len` is `len(sampler) // batch_size` with
    `drop_last`, else rounded up. Errors as PyTorch's (ValueError for both arguments).
    `state_dict()` is the inner sampler's state (None when it has no `state_dict`).
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not _is_positive_int(batch_size):
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size!r}"
            )
        if not isinstance(drop_last, (bool, np.bool_)):
            raise ValueError(
                f"drop_last should be a boolean value, but got drop_last={drop_last!r}"
            )
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = bool(drop_last)

    def _index_batches(self) -> Iterator:
        """The batches as index arrays (vectorised for our samplers) or lists (others)."""
        size = self.batch_size
        if iterates_by(self.sampler, "_index_array"):
            order = self.sampler._index_array()
            stop = len(order) - len(order) % size if self.drop_last else len(order)
            for start in range(0, stop, size):
                yield order[start : start + size]
            return
        iterator = iter(self.sampler)
        while batch := list(itertools.islice(iterator, size)):
            if len(batch) < size and self.drop_last:
                return
            yield batch

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self._index_batches():
            yield batch.tolist() if isinstance(batch, np.ndarray) else batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)

    def state_dict(self) -> dict:
        """The inner sampler's state, so a loader can restore the epoch's order."""
        return {"sampler_state": _state_of(self.sampler)}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the inner sampler (refused if only one side has a state)."""
        if not isinstance(state_dict, dict) or "sampler_state" not in state_dict:
            raise ValueError("BatchSampler.load_state_dict expects {'sampler_state': ...}")
        _load_state(self.sampler, state_dict["sampler_state"], "BatchSampler")


def iterates_by(obj: Any, fast: str) -> bool:
    """Whether `obj` has the vectorised method `fast` and iterates by it: not a subclass that
    overrides `__iter__` (its own order must be used, not the parent's array of indices)."""
    for cls in type(obj).__mro__:
        if fast in cls.__dict__:
            return type(obj).__iter__ is cls.__dict__.get("__iter__")
    return False


def _has_state(obj: Any) -> bool:
    return callable(getattr(obj, "state_dict", None)) and callable(
        getattr(obj, "load_state_dict", None)
    )


def _state_of(obj: Any) -> Any:
    """A deep copy of `obj.state_dict()`, or None for objects without one."""
    return copy.deepcopy(obj.state_dict()) if _has_state(obj) else None


def _load_state(obj: Any, state: Any, owner: str) -> None:
    if _has_state(obj) != (state is not None):
        raise ValueError(
            f"{owner}.load_state_dict: the state was saved "
            f"{'with' if state is not None else 'without'} a sampler state but "
            f"{type(obj).__name__} {'has' if _has_state(obj) else 'has no'} state_dict(); "
            "resume with the same kind of sampler"
        )
    if state is not None:
        obj.load_state_dict(copy.deepcopy(state))
