"""`DistributedSampler`: the share of a dataset's indices that one of `num_replicas`
processes reads, as torch.utils.data.distributed.DistributedSampler (also importable from
`tinygrad_opt.data`).

It is index arithmetic only (PyTorch's documented rule):
    num_samples = ceil((n - R) / R) if drop_last and n % R else ceil(n / R)
    total_size = num_samples * R
The epoch's order is 0 .. n-1, or a permutation seeded with seed + epoch when `shuffle`;
without drop_last it is padded to total_size by repeating its own first indices (the whole
list again as often as needed), with drop_last cut to total_size; replica `rank` takes
every R-th index from position `rank`. So every replica yields num_samples indices and,
for the same seed and epoch, the replicas' shares partition the (padded) order.

tinygrad_opt has no process groups: num_replicas and rank must be given (PyTorch reads them
from torch.distributed when they are None, and raises ValueError when no process group
exists; here leaving either out is that ValueError). Deviation: the
shuffled order comes from numpy's default_rng(seed + epoch), not torch.randperm, so it
differs from PyTorch's for the same seed (every replica of a run still agrees on it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy as np

from .samplers import Sampler


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"DistributedSampler: {name} must be an int, got {value!r}")
    return int(value)


class DistributedSampler(Sampler):
    """DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
    drop_last=False); call `set_epoch(epoch)` before each epoch for a new shuffle."""

    def __init__(self, dataset: Sized, num_replicas: int | None = None,
                 rank: int | None = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            raise ValueError(
                "DistributedSampler: num_replicas and rank must be given; tinygrad_opt has no "
                "distributed backend (torch.distributed) to read them from")
        num_replicas = _int(num_replicas, "num_replicas")
        rank = _int(rank, "rank")
        if num_replicas <= 0:
            raise ValueError(f"DistributedSampler: num_replicas must be positive, got "
                             f"{num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = bool(drop_last)
        self.shuffle = bool(shuffle)
        self.seed = _int(seed, "seed")
        n = len(dataset)
        if self.drop_last and n % num_replicas:
            # the tail that would need padding is dropped so every replica gets equal data
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def _index_array(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if not self.drop_last:
            pad = self.total_size - n
            if pad > 0:
                repeats = math.ceil(pad / n)  # n > 0 here: an empty dataset needs no padding
                order = np.concatenate([order, np.tile(order, repeats)[:pad]])
        else:
            order = order[:self.total_size]
        return order[self.rank:self.total_size:self.num_replicas].astype(np.intp, copy=False)

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch that seeds the next shuffle (with `seed`), the same on every replica."""
        self.epoch = _int(epoch, "epoch")
