"""Top-level RNG functions: get_rng_state / set_rng_state round trips (draws repeat
exactly), refusal of bad states (state unchanged), initial_seed, seed; and the samplers
binomial / poisson against numpy's documented PCG64 stream and their moments."""

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn


def test_state_round_trip_repeats_every_kind_of_draw():
    tg.manual_seed(3)
    tg.rand(5)  # move away from the seed's start
    state = tg.get_rng_state()
    first = (tg.rand(4).numpy(), tg.randn(3).numpy(), tg.randint(0, 100, (6,)).numpy(),
             nn.functional.dropout(tg.ones(8), 0.5, True).numpy())
    tg.set_rng_state(state)
    again = (tg.rand(4).numpy(), tg.randn(3).numpy(), tg.randint(0, 100, (6,)).numpy(),
             nn.functional.dropout(tg.ones(8), 0.5, True).numpy())
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)


def test_state_is_numpys_pcg64_dict_and_a_copy():
    tg.manual_seed(11)
    state = tg.get_rng_state()
    assert state["bit_generator"] == "PCG64"
    reference = np.random.Generator(np.random.PCG64())
    reference.bit_generator.state = state
    expected = reference.random(3)
    state["state"]["state"] = 0  # editing the returned dict must not touch the generator
    np.testing.assert_array_equal(tg.rand(3, dtype=tg.float64).numpy(), expected)


def test_set_rng_state_restores_in_place():
    g = tg.manual_seed(5)
    state = tg.get_rng_state()
    a = g.random(3)
    tg.set_rng_state(state)
    np.testing.assert_array_equal(g.random(3), a)  # the object manual_seed returned rewound


@pytest.mark.parametrize("bad, error, message", [
    ([1, 2], TypeError, "expected the dict returned by tinygrad_opt.get_rng_state"),
    (tg.zeros(3, dtype=tg.uint8), TypeError, "not torch's uint8 tensor"),
    ({"bit_generator": "MT19937", "state": {}}, ValueError, "expected a state returned"),
    ({"bit_generator": "PCG64"}, ValueError, "expected a state returned"),
])
def test_bad_state_is_refused_and_leaves_the_stream_alone(bad, error, message):
    tg.manual_seed(7)
    before = tg.get_rng_state()
    with pytest.raises(error, match=message):
        tg.set_rng_state(bad)
    assert tg.get_rng_state() == before
    np.testing.assert_array_equal(tg.rand(3, dtype=tg.float64).numpy(),
                                  np.random.default_rng(7).random(3))


def test_initial_seed_and_seed():
    tg.manual_seed(1234)
    assert tg.initial_seed() == 1234
    s = tg.seed()
    assert isinstance(s, int) and 0 <= s < 2**63
    assert tg.initial_seed() == s
    np.testing.assert_array_equal(tg.rand(4, dtype=tg.float64).numpy(),
                                  np.random.default_rng(s).random(4))
    assert tg.seed() != s  # fresh randomness each time (a 2^-63 chance of failing)


def test_binomial_follows_numpys_stream_and_moments():
    count = tg.tensor(np.array([10.0, 0.0, 7.0, 30.0]))
    prob = tg.tensor(np.array([0.3, 0.5, 1.0, 0.0]))
    tg.manual_seed(2)
    draws = tg.binomial(count, prob)
    expected = np.random.default_rng(2).binomial(np.array([10, 0, 7, 30]),
                                                 np.array([0.3, 0.5, 1.0, 0.0]))
    np.testing.assert_array_equal(draws.numpy(), expected)
    assert draws.dtype == np.float64
    np.testing.assert_array_equal(draws.numpy()[1:], [0.0, 7.0, 0.0])
    many = tg.binomial(tg.full((20000,), 20.0), tg.full((20000,), 0.25),
                       generator=tg.Generator().manual_seed(0)).numpy()
    assert abs(many.mean() - 5.0) < 0.05 and abs(many.var() - 3.75) < 0.15


def test_poisson_follows_numpys_stream_and_moments():
    rates = tg.tensor([0.0, 1.5, 4.0])
    g = tg.Generator().manual_seed(9)
    draws = tg.poisson(rates, g)
    np.testing.assert_array_equal(draws.numpy(),
                                  np.random.default_rng(9).poisson(np.array([0.0, 1.5, 4.0])))
    assert draws.dtype == np.float32 and draws.numpy()[0] == 0
    many = tg.poisson(tg.full((20000,), 3.0), generator=tg.Generator().manual_seed(1)).numpy()
    assert abs(many.mean() - 3.0) < 0.06 and abs(many.var() - 3.0) < 0.15


def test_sampler_errors():
    with pytest.raises(TypeError, match="count must be a floating-point tensor, got dtype int64"):
        tg.binomial(tg.tensor([3]), tg.tensor([0.5]))
    with pytest.raises(ValueError, match="prob must lie in"):
        tg.binomial(tg.tensor([3.0]), tg.tensor([1.5]))
    with pytest.raises(ValueError, match="count must hold non-negative whole numbers"):
        tg.binomial(tg.tensor([-1.0]), tg.tensor([0.5]))
    with pytest.raises(ValueError, match="rates must be non-negative"):
        tg.poisson(tg.tensor([-1.0]))
    with pytest.raises(TypeError, match="generator must be"):
        tg.poisson(tg.tensor([1.0]), generator=3)
