"""Dropout1d/3d (channel dropout) and AlphaDropout/FeatureAlphaDropout: masks checked by
their structure and statistics under a fixed seed, the SELU-preserving affine map against
the paper's closed form, gradients against the mask."""

import math

import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn

# SELU's constants (Klambauer et al., 2017) and alpha' = -scale * alpha
ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
ALPHA_PRIME = -SCALE * ALPHA
RNG = np.random.default_rng(0)


def paper_affine(p):
    a = ((1 - p) * (1 + p * ALPHA_PRIME**2)) ** -0.5
    return a, -a * ALPHA_PRIME * p


@pytest.mark.parametrize("fn, shape", [
    (F.dropout1d, (400, 10, 7)), (F.dropout1d, (4000, 3)),
    (F.dropout3d, (200, 20, 2, 3, 2)), (F.dropout3d, (4000, 2, 2, 3)),
])
def test_channel_dropout_structure_rate_and_gradient(fn, shape):
    tg.manual_seed(1)
    p = 0.3
    x = Tensor(RNG.uniform(1.0, 2.0, shape), requires_grad=True)  # nonzero everywhere
    y = fn(x, p=p)
    ratio = y.data / x.data
    channels = ratio.reshape(shape[: len(shape) - (1 if fn is F.dropout1d else 3)] + (-1,))
    # every channel is wholly dropped or wholly kept and scaled by 1 / (1 - p)
    first = channels[..., :1]
    np.testing.assert_allclose(channels, np.broadcast_to(first, channels.shape), rtol=1e-12)
    assert set(np.round(np.unique(first), 12)) <= {0.0, round(1 / (1 - p), 12)}
    # the dropped fraction over 4000 channels: std sqrt(p (1-p) / 4000) ~ 0.0072; 5 sigma
    assert abs(np.mean(first == 0) - p) < 0.037
    y.sum().backward()
    np.testing.assert_allclose(x.grad, ratio, rtol=1e-12)


def test_channel_dropout_identity_zero_and_seeded_repeat():
    x = Tensor(RNG.standard_normal((2, 3, 4)))
    assert F.dropout1d(x, 0.5, training=False) is x
    assert F.dropout1d(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout1d(x, 1.0).data, np.zeros((2, 3, 4)))
    tg.manual_seed(7)
    a = F.dropout1d(x, 0.5).data
    tg.manual_seed(7)
    np.testing.assert_array_equal(F.dropout1d(x, 0.5).data, a)
    m = nn.Dropout3d(0.25)
    assert repr(m) == "Dropout3d(p=0.25, inplace=False)"
    x5 = Tensor(RNG.standard_normal((2, 3, 2, 2, 2)))
    assert m.eval()(x5) is x5


@pytest.mark.parametrize("fn, bad", [
    (F.dropout1d, (5,)), (F.dropout1d, (2, 3, 4, 5)), (F.dropout3d, (2, 3)),
    (F.dropout3d, (2, 3, 4, 5, 6, 7)),
])
def test_channel_dropout_rejects_other_ranks(fn, bad):
    with pytest.raises(ValueError, match="expected a"):
        fn(Tensor(np.ones(bad)), 0.5)


@pytest.mark.parametrize("cls", [nn.Dropout1d, nn.Dropout3d, nn.AlphaDropout,
                                 nn.FeatureAlphaDropout])
def test_modules_reject_bad_p(cls):
    for p in (-0.1, 1.5, "0.5", True):
        with pytest.raises(ValueError, match="between 0 and 1"):
            cls(p)


def test_alpha_dropout_values_statistics_and_gradient():
    tg.manual_seed(3)
    p = 0.2
    x = Tensor(RNG.standard_normal(400_000), requires_grad=True)
    y = F.alpha_dropout(x, p, training=True)
    a, b = paper_affine(p)
    kept = np.isclose(y.data, a * x.data + b, rtol=0, atol=1e-12)
    dropped = np.isclose(y.data, a * ALPHA_PRIME + b, rtol=0, atol=1e-12)
    assert np.all(kept | dropped)
    # std of the dropped fraction ~ sqrt(0.16 / 4e5) = 6.3e-4; 5 sigma
    assert abs(dropped.mean() - p) < 0.0032
    # the point of alpha dropout: standard input keeps mean 0 and variance 1. std of the
    # sample mean ~ 1/sqrt(4e5) = 1.6e-3, of the sample variance ~ sqrt(2/4e5) ~ 2.2e-3
    # (a bit more with the two-point mixture); 5 sigma with margin
    assert abs(y.data.mean()) < 0.01
    assert abs(y.data.var() - 1.0) < 0.015
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.where(dropped, 0.0, a), rtol=1e-12)


def test_alpha_dropout_defaults_and_edges():
    x = Tensor(RNG.standard_normal((3, 4)))
    assert F.alpha_dropout(x) is x  # training=False by default, as torch
    assert F.feature_alpha_dropout(x) is x
    assert F.alpha_dropout(x, 0.0, True) is x
    np.testing.assert_array_equal(F.alpha_dropout(x, 1.0, True).data, np.zeros((3, 4)))
    m = nn.AlphaDropout(0.5)
    assert m.training and repr(m) == "AlphaDropout(p=0.5, inplace=False)"
    tg.manual_seed(0)
    out = m(Tensor(np.zeros((2000,)))).data
    a, b = paper_affine(0.5)
    assert set(np.round(np.unique(out), 10)) == {round(b, 10), round(a * ALPHA_PRIME + b, 10)}
    assert math.isclose(b, 0.7791939, rel_tol=1e-6)  # the paper's values at p = 0.5


def test_feature_alpha_dropout_drops_whole_channels():
    tg.manual_seed(5)
    p = 0.4
    x = Tensor(RNG.standard_normal((500, 8, 3, 2)), requires_grad=True)
    y = F.feature_alpha_dropout(x, p, training=True)
    a, b = paper_affine(p)
    dropped = np.isclose(y.data, a * ALPHA_PRIME + b, rtol=0, atol=1e-12)
    kept = np.isclose(y.data, a * x.data + b, rtol=0, atol=1e-12)
    assert np.all(kept | dropped)
    per_channel = dropped.reshape(500, 8, -1)
    assert np.all(per_channel.all(-1) | ~per_channel.any(-1))
    # 4000 channels: std sqrt(0.24 / 4000) ~ 0.0077; 5 sigma
    assert abs(per_channel[..., 0].mean() - p) < 0.039
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.where(dropped, 0.0, a), rtol=1e-12)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.feature_alpha_dropout(Tensor(np.ones(5)), 0.5, True)
