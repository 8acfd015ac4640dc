"""data.DistributedSampler: index lists against PyTorch's documented rule computed naively,
shuffling by seed + epoch, use with DataLoader, and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt.data import DataLoader, DistributedSampler, TensorDataset


def naive_share(order, replicas, rank, drop_last):
    """The documented rule with plain lists: pad by repeating the order (or cut it), then
    every replicas-th index from position rank."""
    n = len(order)
    if drop_last and n % replicas:
        per = math.ceil((n - replicas) / replicas)
    else:
        per = math.ceil(n / replicas)
    total = per * replicas
    order = list(order)
    if drop_last:
        order = order[:total]
    else:
        while len(order) < total:
            order = order + order[: total - len(order)]
    return [order[i] for i in range(rank, total, replicas)]


@pytest.mark.parametrize("n", [0, 1, 5, 7, 10, 11])
@pytest.mark.parametrize("replicas", [1, 3, 4, 8])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_shares_follow_the_documented_rule(n, replicas, drop_last):
    shares = []
    for rank in range(replicas):
        sampler = DistributedSampler(range(n), num_replicas=replicas, rank=rank,
                                     shuffle=False, drop_last=drop_last)
        got = list(sampler)
        assert got == naive_share(range(n), replicas, rank, drop_last)
        assert len(sampler) == len(got)
        assert all(isinstance(i, int) for i in got)
        shares.append(got)
    assert len({len(s) for s in shares}) <= 1  # every replica gets the same count
    if drop_last:
        flat = sorted(i for s in shares for i in s)
        assert len(flat) == len(set(flat))  # no index twice when dropping the tail


def test_padding_repeats_the_order_when_there_are_more_replicas_than_samples():
    got = [list(DistributedSampler(range(2), num_replicas=5, rank=r, shuffle=False))
           for r in range(5)]
    assert got == [[0], [1], [0], [1], [0]]


def test_shuffle_is_one_permutation_per_seed_and_epoch_shared_by_the_replicas():
    n, replicas = 10, 3
    samplers = [DistributedSampler(range(n), num_replicas=replicas, rank=r, seed=4)
                for r in range(replicas)]
    first = [list(s) for s in samplers]
    # the replicas interleave one padded permutation of 0..n-1
    merged = [None] * (len(first[0]) * replicas)
    for r, share in enumerate(first):
        merged[r::replicas] = share
    assert sorted(merged[:n]) == list(range(n))
    assert merged[n:] == merged[: len(merged) - n]
    assert [list(s) for s in samplers] == first  # the same epoch repeats
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert second != first
    merged2 = [None] * (len(second[0]) * replicas)
    for r, share in enumerate(second):
        merged2[r::replicas] = share
    assert sorted(merged2[:n]) == list(range(n))
    other_seed = DistributedSampler(range(n), num_replicas=replicas, rank=0, seed=5)
    assert list(other_seed) != first[0]


def test_works_as_a_data_loader_sampler():
    x = np.arange(10, dtype=np.float32)[:, None]
    ds = TensorDataset(x)
    sampler = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    rows = [float(v) for (batch,) in DataLoader(ds, batch_size=2, sampler=sampler)
            for v in batch.data.ravel()]
    assert rows == [1.0, 3.0, 5.0, 7.0, 9.0]
    assert tg.utils.data.DistributedSampler is DistributedSampler


def test_errors():
    with pytest.raises(ValueError, match="num_replicas and rank"):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match="num_replicas and rank"):
        DistributedSampler(range(4), num_replicas=2)
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    with pytest.raises(ValueError, match="num_replicas must be positive"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="rank"):
        DistributedSampler(range(4), num_replicas=2, rank=1.0)
    sampler = DistributedSampler(range(4), num_replicas=2, rank=0)
    with pytest.raises(TypeError, match="epoch"):
        sampler.set_epoch("1")
    assert sampler.epoch == 0
