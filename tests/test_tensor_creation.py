"""Creation functions and manual_seed repeatability."""

from __future__ import annotations

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import Tensor


def test_zeros_ones_full_accept_both_size_spellings():
    for t in (tg.zeros(2, 3), tg.zeros((2, 3)), tg.zeros([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32 and not t.numpy().any()
    o = tg.ones(4, dtype=np.float64, requires_grad=True)
    assert o.dtype == np.float64 and o.requires_grad and o.numpy().sum() == 4
    assert tg.full((2,), 7.0).numpy().tolist() == [7.0, 7.0]
    assert tg.full((2, 3), 0.5).dtype == np.float32  # the default float dtype, as torch
    assert tg.full(3, 2.0, dtype=np.float64).dtype == np.float64
    assert tg.zeros(()).shape == ()


def test_full_takes_its_dtype_from_the_fill_value():
    # torch.full's rule: a bool fill gives bool, an int fill int64, a float fill float32
    assert tg.full((3,), 7).dtype == np.int64 and tg.full((3,), 7).numpy().tolist() == [7] * 3
    assert tg.full((2,), True).dtype == np.bool_
    assert tg.full((2,), np.int32(4)).dtype == np.int64
    assert tg.full((2,), 1.0).dtype == np.float32
    assert tg.full((2,), 7, dtype=np.float64).dtype == np.float64  # dtype= wins
    labels = tg.full((4,), 2)
    loss = tg.loss.cross_entropy(Tensor(np.zeros((4, 3))), labels)  # usable as class labels
    assert np.isclose(loss.item(), np.log(3.0))


def test_like_functions_keep_shape_and_dtype():
    x = Tensor(np.ones((2, 5), dtype=np.float64))
    z = tg.zeros_like(x)
    assert z.shape == (2, 5) and z.dtype == np.float64 and not z.numpy().any()
    o = tg.ones_like(x, dtype=np.float32, requires_grad=True)
    assert o.dtype == np.float32 and o.requires_grad and o.numpy().all()
    assert tg.zeros_like(Tensor([1, 2])).dtype == np.int64
    ones = tg.ones_like(Tensor([1, 2]))
    assert ones.dtype == np.int64 and ones.numpy().tolist() == [1, 1]
    assert tg.ones_like(x).dtype == np.float64 and tg.ones_like(x).numpy().all()


def test_arange_follows_pytorch():
    assert tg.arange(5).numpy().tolist() == [0, 1, 2, 3, 4]
    assert tg.arange(5).dtype == np.int64
    assert tg.arange(1, 7, 2).numpy().tolist() == [1, 3, 5]
    f = tg.arange(0, 1, 0.25)
    assert f.dtype == np.float32
    np.testing.assert_allclose(f.numpy(), [0, 0.25, 0.5, 0.75])
    assert tg.arange(3, dtype=np.float64, requires_grad=True).requires_grad


def test_random_creation_shapes_and_ranges():
    tg.manual_seed(0)
    n = tg.randn(2000)
    assert n.dtype == np.float32 and n.shape == (2000,)
    assert abs(float(n.numpy().mean())) < 0.1 and abs(float(n.numpy().std()) - 1) < 0.1
    u = tg.rand(3, 4, dtype=np.float64, requires_grad=True)
    assert u.shape == (3, 4) and u.dtype == np.float64 and u.requires_grad
    assert (u.numpy() >= 0).all() and (u.numpy() < 1).all()


def test_manual_seed_repeats_exactly_and_different_seeds_differ():
    tg.manual_seed(42)
    first = (tg.randn(5).numpy(), tg.rand(3).numpy())
    tg.manual_seed(42)
    second = (tg.randn(5).numpy(), tg.rand(3).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    tg.manual_seed(43)
    assert not np.array_equal(tg.randn(5).numpy(), first[0])


def test_rng_state_round_trip():
    from tinygrad_opt.random import get_rng_state, set_rng_state

    tg.manual_seed(5)
    state = get_rng_state()
    a = tg.randn(4).numpy()
    set_rng_state(state)
    np.testing.assert_array_equal(tg.randn(4).numpy(), a)


def test_randperm_is_a_seeded_permutation():
    tg.manual_seed(5)
    p = tg.randperm(10)
    assert p.dtype == np.int64 and sorted(p.numpy().tolist()) == list(range(10))
    tg.manual_seed(5)
    assert tg.randperm(10).numpy().tolist() == p.numpy().tolist()
    assert tg.randperm(4, dtype=np.int32).dtype == np.int32 and tg.randperm(0).shape == (0,)
    # all 6 orders of 3 items appear about equally often (chi-square, 5 dof, p < 1e-4 cut)
    counts = {}
    for _ in range(3000):
        order = tuple(tg.randperm(3).numpy().tolist())
        counts[order] = counts.get(order, 0) + 1
    assert len(counts) == 6
    assert sum((c - 500) ** 2 / 500 for c in counts.values()) < 25.7
