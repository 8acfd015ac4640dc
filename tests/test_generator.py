"""tg.Generator: seeding, state, and `generator=` in every random function that takes one.

References are numpy's documented streams: `Generator().manual_seed(s)` and
`tg.manual_seed(s)` draw what `numpy.random.default_rng(s)` (PCG64 seeded with s) draws.
"""

import copy
import pickle

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.data import DataLoader, TensorDataset, random_split
from tinygrad_opt.samplers import RandomSampler, SubsetRandomSampler, WeightedRandomSampler


def _gen(seed):
    return tg.Generator().manual_seed(seed)


def test_manual_seed_returns_self_and_matches_numpy_stream():
    g = tg.Generator()
    assert g.manual_seed(11) is g and g.initial_seed() == 11
    assert isinstance(g, np.random.Generator)
    np.testing.assert_array_equal(g.random(5), np.random.default_rng(11).random(5))
    g.manual_seed(11)  # reseeding in place starts the stream again
    np.testing.assert_array_equal(g.random(5), np.random.default_rng(11).random(5))


def test_seed_picks_a_fresh_seed_and_reports_it():
    g = tg.Generator()
    s = g.seed()
    assert isinstance(s, int) and s >= 0 and g.initial_seed() == s
    np.testing.assert_array_equal(g.random(4), np.random.default_rng(s).random(4))
    assert isinstance(tg.Generator().initial_seed(), int)


def test_state_round_trip_and_bad_state():
    g = _gen(3)
    g.random(7)
    state = g.get_state()
    first = tg.rand(6, generator=g).data
    assert g.set_state(state) is g
    np.testing.assert_array_equal(tg.rand(6, generator=g).data, first)
    # the state is a copy: drawing does not change a state already taken
    g.set_state(state)
    np.testing.assert_array_equal(tg.rand(6, generator=g).data, first)
    after = g.get_state()
    with pytest.raises(ValueError, match="Generator.set_state: expected a state"):
        g.set_state({"bit_generator": "MT19937"})
    assert g.get_state() == after


def test_seed_errors():
    g = _gen(1)
    with pytest.raises(TypeError, match="Generator.manual_seed expects an int"):
        g.manual_seed(1.5)
    with pytest.raises(ValueError, match="non-negative"):
        g.manual_seed(-1)
    assert g.initial_seed() == 1
    with pytest.raises(ValueError, match="device must be 'cpu'"):
        tg.Generator(device="cuda")


def test_copy_and_pickle_keep_type_seed_and_position():
    g = _gen(5)
    g.random(3)
    for twin in (copy.deepcopy(g), pickle.loads(pickle.dumps(g))):
        assert type(twin) is tg.Generator and twin.initial_seed() == 5
        np.testing.assert_array_equal(twin.random(4), copy.deepcopy(g).random(4))


def test_package_manual_seed_returns_a_generator_with_the_same_stream():
    g = tg.manual_seed(9)
    assert isinstance(g, tg.Generator) and g.initial_seed() == 9
    expected = np.random.default_rng(9).random(3, dtype=np.float32)
    np.testing.assert_array_equal(tg.rand(3).data, expected)


def _fresh(shape=(3, 4), dtype=np.float64):
    return tg.Tensor(np.zeros(shape, dtype=dtype), dtype=dtype)


# every function taking generator=, as a call on a generator
USERS = {
    "rand": lambda g: tg.rand(3, 4, generator=g),
    "randn": lambda g: tg.randn(3, 4, generator=g),
    "randint": lambda g: tg.randint(0, 100, (12,), generator=g),
    "randperm": lambda g: tg.randperm(20, generator=g),
    "rand_like": lambda g: tg.rand_like(_fresh(), generator=g),
    "randn_like": lambda g: tg.randn_like(_fresh(), generator=g),
    "randint_like": lambda g: tg.randint_like(_fresh(), 0, 50, generator=g),
    "normal": lambda g: tg.normal(0.0, 1.0, size=(5,), generator=g),
    "normal(tensor)": lambda g: tg.normal(tg.zeros(5), 2.0, generator=g),
    "multinomial": lambda g: tg.multinomial(tg.tensor([0.2, 0.3, 0.5]), 6, True, generator=g),
    "bernoulli": lambda g: tg.bernoulli(tg.full((20,), 0.5), generator=g),
    "uniform_": lambda g: _fresh().uniform_(-1.0, 2.0, generator=g),
    "normal_": lambda g: _fresh().normal_(1.0, 2.0, generator=g),
    "random_": lambda g: _fresh().random_(0, 9, generator=g),
    "exponential_": lambda g: _fresh().exponential_(generator=g),
    "geometric_": lambda g: _fresh().geometric_(0.3, generator=g),
    "bernoulli_": lambda g: _fresh().bernoulli_(0.5, generator=g),
    "cauchy_": lambda g: _fresh().cauchy_(generator=g),
    "log_normal_": lambda g: _fresh().log_normal_(generator=g),
    "init.uniform_": lambda g: nn.init.uniform_(_fresh(), -1, 1, generator=g),
    "init.normal_": lambda g: nn.init.normal_(_fresh(), 0, 1, generator=g),
    "init.xavier_uniform_": lambda g: nn.init.xavier_uniform_(_fresh(), generator=g),
    "init.xavier_normal_": lambda g: nn.init.xavier_normal_(_fresh(), generator=g),
    "init.kaiming_uniform_": lambda g: nn.init.kaiming_uniform_(_fresh(), generator=g),
    "init.kaiming_normal_": lambda g: nn.init.kaiming_normal_(_fresh(), generator=g),
    "init.trunc_normal_": lambda g: nn.init.trunc_normal_(_fresh(), generator=g),
    "init.orthogonal_": lambda g: nn.init.orthogonal_(_fresh(), generator=g),
    "init.sparse_": lambda g: nn.init.sparse_(_fresh((6, 4)), 0.5, generator=g),
}


@pytest.mark.parametrize("name", list(USERS))
def test_same_seed_same_draws_whatever_the_global_seed(name):
    call = USERS[name]
    tg.manual_seed(0)
    a = np.array(call(_gen(42)).data)
    tg.manual_seed(1)
    tg.rand(10)  # move the package generator: a Generator is independent of it
    b = np.array(call(_gen(42)).data)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, call(_gen(43)).data), "another seed draws other values"


@pytest.mark.parametrize("name", list(USERS))
def test_a_generator_leaves_the_package_stream_alone(name):
    tg.manual_seed(4)
    call = USERS[name]
    call(_gen(1))
    np.testing.assert_array_equal(
        tg.rand(3).data, np.random.default_rng(4).random(3, dtype=np.float32)
    )


@pytest.mark.parametrize("name", ["rand", "randint", "uniform_", "init.uniform_"])
def test_generator_must_be_a_generator(name):
    with pytest.raises(TypeError, match="generator must be a tinygrad_opt.Generator"):
        USERS[name](5)


def test_values_follow_the_documented_stream():
    ref = np.random.default_rng(8)
    np.testing.assert_array_equal(tg.rand(4, generator=_gen(8)).data, ref.random(4, np.float32))
    np.testing.assert_array_equal(tg.randperm(9, generator=_gen(8)).data,
                                  np.random.default_rng(8).permutation(9))
    u = np.random.default_rng(8).random((3, 4))
    np.testing.assert_allclose(USERS["uniform_"](_gen(8)).data, -1.0 + 3.0 * u, rtol=1e-15)


def test_random_split_takes_a_generator():
    data = list(range(10))
    parts = random_split(data, [6, 4], generator=_gen(2))
    order = np.random.default_rng(2).permutation(10).tolist()
    assert list(parts[0].indices) == order[:6] and list(parts[1].indices) == order[6:]


def test_samplers_take_a_generator():
    assert list(RandomSampler(range(7), generator=_gen(3))) == \
        np.random.default_rng(3).permutation(7).tolist()
    idx = [10, 20, 30, 40]
    expected = np.asarray(idx)[np.random.default_rng(3).permutation(4)].tolist()
    assert list(SubsetRandomSampler(idx, generator=_gen(3))) == expected
    w = WeightedRandomSampler([0.0, 1.0, 3.0], 8, generator=_gen(3))
    expected = np.random.default_rng(3).choice(3, size=8, replace=True, p=[0, 0.25, 0.75])
    assert list(w) == expected.tolist()


def test_dataloader_takes_a_generator_and_advances_it():
    x = np.arange(10.0)[:, None]
    g = _gen(6)
    loader = DataLoader(TensorDataset(x), batch_size=10, shuffle=True, generator=g)
    ref = np.random.default_rng(6)
    for _ in range(2):  # each epoch a fresh permutation drawn from g itself
        (batch,) = next(iter(loader))
        np.testing.assert_array_equal(batch.data[:, 0], ref.permutation(10))
    np.testing.assert_array_equal(g.random(2), ref.random(2))
    with pytest.raises(ValueError, match="seed or generator, not both"):
        DataLoader(TensorDataset(x), shuffle=True, seed=1, generator=g)
    with pytest.raises(TypeError, match="DataLoader: generator must be"):
        DataLoader(TensorDataset(x), shuffle=True, generator=1)
