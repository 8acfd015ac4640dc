"""gumbel_softmax, pdist, the in-place functional activations, the deprecated upsample
aliases and triplet_margin_with_distance_loss, against closed forms, naive loops and float64
finite differences."""

import itertools
import math

import numpy as np
import pytest
from finite_differences import finite_difference_check

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn, no_grad
from tinygrad_opt.loss import TripletMarginWithDistanceLoss, triplet_margin_with_distance_loss

RNG = np.random.default_rng(0)


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ----------------------------------------------------------------------------- gumbel
def test_gumbel_max_frequencies_match_softmax():
    # Gumbel-max trick: argmax(logits + g) ~ Categorical(softmax(logits))
    tg.manual_seed(0)
    logits = np.array([1.0, 0.0, -1.0, 2.0])
    y = F.gumbel_softmax(Tensor(np.tile(logits, (20000, 1))), tau=0.5, hard=True)
    assert set(np.unique(y.data)) == {0.0, 1.0}
    np.testing.assert_array_equal(y.data.sum(-1), 1.0)
    # std of each frequency <= sqrt(0.25 / 20000) = 0.0035; 5 sigma
    np.testing.assert_allclose(y.data.mean(0), softmax(logits), atol=0.018)


def test_gumbel_softmax_temperature_scales_log_ratios():
    logits = RNG.standard_normal((3, 5))
    tg.manual_seed(4)
    y1 = F.gumbel_softmax(Tensor(logits), tau=1.0).data
    tg.manual_seed(4)
    y2 = F.gumbel_softmax(Tensor(logits), tau=2.0).data
    np.testing.assert_allclose(y1.sum(-1), 1.0)
    # log y_i - log y_0 = (l_i + g_i - l_0 - g_0) / tau with the same draws g
    r1 = np.log(y1) - np.log(y1[:, :1])
    r2 = np.log(y2) - np.log(y2[:, :1])
    np.testing.assert_allclose(r1, 2 * r2, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_gradient_is_the_soft_samples(hard):
    logits = RNG.standard_normal((4, 6))
    w = RNG.standard_normal((6, 4))  # dim=0 below
    tau = 0.7
    tg.manual_seed(9)
    soft = F.gumbel_softmax(Tensor(logits), tau=tau, dim=0).data
    tg.manual_seed(9)
    x = Tensor(logits, requires_grad=True)
    y = F.gumbel_softmax(x, tau=tau, hard=hard, dim=0)
    if hard:  # the one-hot of the soft sample's argmax along dim 0
        expected = (np.arange(4)[:, None] == soft.argmax(0)).astype(float)
        np.testing.assert_allclose(y.data, expected, atol=1e-12)
    (y * Tensor(w.T)).sum().backward()
    # straight-through: softmax's Jacobian at the soft sample, / tau
    v = w.T
    np.testing.assert_allclose(x.grad, soft * (v - (soft * v).sum(0)) / tau, rtol=1e-9,
                               atol=1e-12)


def test_gumbel_softmax_errors_and_0d_input():
    # a 0-d input is one category, as torch: the sample is 1 and does not depend on it
    for hard in (False, True):
        x = Tensor(np.array(2.5), requires_grad=True)
        y = F.gumbel_softmax(x, tau=0.5, hard=hard)
        assert y.shape == () and y.item() == 1.0
        y.backward()
        assert x.grad == 0.0
    with pytest.raises(ValueError, match="out of range"):
        F.gumbel_softmax(Tensor(np.array(1.0)), dim=1)
    with pytest.raises(ValueError, match="out of range"):
        F.gumbel_softmax(Tensor(np.ones((2, 3))), dim=2)


# ----------------------------------------------------------------------------- pdist
@pytest.mark.parametrize("p", [0, 1, 2, 3.5, math.inf])
def test_pdist_matches_naive_pairs(p):
    x = RNG.standard_normal((5, 3))
    x[3] = x[1]  # a zero distance
    expected = []
    for i, j in itertools.combinations(range(5), 2):
        d = np.abs(x[i] - x[j])
        expected.append(np.count_nonzero(d) if p == 0 else d.max() if p == math.inf
                        else (d**p).sum() ** (1 / p))
    np.testing.assert_allclose(F.pdist(Tensor(x), p).data, expected, rtol=1e-12)


@pytest.mark.parametrize("p", [1.5, 2, 3])
def test_pdist_gradient_finite_differences(p):
    x = RNG.standard_normal((4, 3))
    finite_difference_check(lambda t: [F.pdist(t["x"], p)], {"x": x})


def test_pdist_inf_gradient_goes_whole_to_each_tied_entry():
    # as torch's pdist (and our cdist): d/dx_i of max_k |x_ik - x_jk| is sign(x_ik - x_jk)
    # at every k reaching the max, not shared among the ties as the inf-norm's is
    x = np.array([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0], [1.0, 2.5, 3.0]])
    weights = np.array([1.0, 2.0, 3.0])  # one per pair (0, 1), (0, 2), (1, 2)
    t = Tensor(x, requires_grad=True)
    (F.pdist(t, math.inf) * Tensor(weights)).sum().backward()
    expected = np.zeros_like(x)
    for w, (i, j) in zip(weights, itertools.combinations(range(3), 2)):
        d = x[i] - x[j]
        at_max = np.abs(d) == np.abs(d).max()
        expected[i] += w * np.sign(d) * at_max
        expected[j] -= w * np.sign(d) * at_max
    assert np.abs(x[0] - x[1]).tolist() == [3.0, 2.0, 3.0]  # the pair with a tie
    np.testing.assert_array_equal(t.grad, expected)


def test_pdist_edges_and_errors():
    assert F.pdist(Tensor(np.ones((1, 3)))).shape == (0,)
    x = Tensor(np.ones((3, 2)), requires_grad=True)
    F.pdist(x).sum().backward()  # equal rows: distance 0 and gradient 0, not NaN
    np.testing.assert_array_equal(x.grad, 0.0)
    for bad in (np.ones(3), np.ones((2, 3, 4))):
        with pytest.raises(ValueError, match="2-D"):
            F.pdist(Tensor(bad))
    with pytest.raises(ValueError, match="non-negative"):
        F.pdist(Tensor(np.ones((3, 2))), p=-1)


# ----------------------------------------------------------------------------- in place
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
X = np.array([-3.0, -1.0, -0.25, 0.0, 0.5, 2.0, 7.0])
CASES = [
    (F.relu_, {}, np.maximum(X, 0)),
    (F.elu_, {"alpha": 0.5}, np.where(X > 0, X, 0.5 * np.expm1(X))),
    (F.leaky_relu_, {"negative_slope": 0.2}, np.where(X > 0, X, 0.2 * X)),
    (F.hardtanh_, {"min_val": -0.5, "max_val": 2.5}, np.clip(X, -0.5, 2.5)),
    (F.selu_, {}, SELU_S * np.where(X > 0, X, SELU_A * np.expm1(X))),
    (F.celu_, {"alpha": 2.0}, np.maximum(X, 0) + np.minimum(0, 2.0 * np.expm1(X / 2.0))),
    (F.rrelu_, {"lower": 0.1, "upper": 0.3}, np.where(X >= 0, X, 0.2 * X)),
    (F.threshold_, {"threshold": 0.5, "value": -9.0}, np.where(X > 0.5, X, -9.0)),
]


@pytest.mark.parametrize("fn, kwargs, expected", CASES, ids=[c[0].__name__ for c in CASES])
def test_in_place_activations_write_into_the_input(fn, kwargs, expected):
    x = Tensor(X.copy())
    view = x.detach()  # shares x's array
    assert fn(x, **kwargs) is x
    np.testing.assert_allclose(x.data, expected, rtol=1e-12)
    np.testing.assert_allclose(view.data, expected, rtol=1e-12)


@pytest.mark.parametrize("fn, kwargs, expected", CASES, ids=[c[0].__name__ for c in CASES])
def test_in_place_activations_refuse_a_tensor_that_requires_grad(fn, kwargs, expected):
    leaf = Tensor(X.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad cannot be changed in place"):
        fn(leaf, **kwargs)
    np.testing.assert_array_equal(leaf.data, X)  # unchanged
    with no_grad():
        fn(leaf, **kwargs)
    np.testing.assert_allclose(leaf.data, expected, rtol=1e-12)


def test_in_place_change_after_use_refuses_backward_and_tensor_relu_():
    w = Tensor(X.copy(), requires_grad=True)
    x = Tensor(X.copy())
    y = (w * x).sum()
    F.relu_(x)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    z = Tensor(X.copy())
    assert z.relu_() is z
    np.testing.assert_array_equal(z.data, np.maximum(X, 0))
    with pytest.raises(ValueError, match="must not exceed"):
        F.hardtanh_(Tensor(X.copy()), 1.0, -1.0)
    tg.manual_seed(0)
    r = Tensor(X.copy())
    F.rrelu_(r, 0.1, 0.3, training=True)
    slope = r.data[X < 0] / X[X < 0]
    assert np.all((slope >= 0.1) & (slope <= 0.3))
    np.testing.assert_array_equal(r.data[X >= 0], X[X >= 0])


# ----------------------------------------------------------------------------- upsample
def naive_bilinear_align_corners(x, oh, ow):
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            sy = i * (h - 1) / (oh - 1) if oh > 1 else 0.0
            sx = j * (w - 1) / (ow - 1) if ow > 1 else 0.0
            y0, x0 = int(np.floor(sy)), int(np.floor(sx))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            fy, fx = sy - y0, sx - x0
            top = (1 - fx) * x[:, :, y0, x0] + fx * x[:, :, y0, x1]
            bottom = (1 - fx) * x[:, :, y1, x0] + fx * x[:, :, y1, x1]
            out[:, :, i, j] = (1 - fy) * top + fy * bottom
    return out


def test_upsample_aliases():
    x = RNG.standard_normal((2, 3, 3, 4))
    np.testing.assert_allclose(F.upsample_bilinear(Tensor(x), size=(5, 7)).data,
                               naive_bilinear_align_corners(x, 5, 7), rtol=1e-12)
    np.testing.assert_allclose(F.upsample_bilinear(Tensor(x), scale_factor=2).data,
                               naive_bilinear_align_corners(x, 6, 8), rtol=1e-12)
    repeated = x.repeat(2, axis=2).repeat(2, axis=3)
    np.testing.assert_array_equal(F.upsample_nearest(Tensor(x), scale_factor=2).data, repeated)
    np.testing.assert_array_equal(F.upsample(Tensor(x), size=(6, 8)).data, repeated)
    np.testing.assert_allclose(
        F.upsample(Tensor(x), size=(5, 7), mode="bilinear", align_corners=True).data,
        naive_bilinear_align_corners(x, 5, 7), rtol=1e-12)
    with pytest.raises(ValueError):
        F.upsample_nearest(Tensor(x))  # neither size nor scale_factor


# ----------------------------------------------------------------------------- triplet
def naive_triplet(a, p, n, dist, margin, swap):
    out = []
    for i in range(a.shape[0]):
        d_neg = dist(a[i], n[i])
        if swap:
            d_neg = min(d_neg, dist(p[i], n[i]))
        out.append(max(0.0, margin + dist(a[i], p[i]) - d_neg))
    return np.array(out)


def l2_eps(u, v):
    return np.sqrt(((u - v + 1e-6) ** 2).sum())


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_triplet_with_distance_default_and_custom(swap, reduction):
    a, p, n = (RNG.standard_normal((6, 4)) for _ in range(3))
    expected = naive_triplet(a, p, n, l2_eps, 1.5, swap)
    reduce = {"none": lambda v: v, "sum": np.sum, "mean": np.mean}[reduction]
    got = triplet_margin_with_distance_loss(Tensor(a), Tensor(p), Tensor(n), margin=1.5,
                                            swap=swap, reduction=reduction)
    np.testing.assert_allclose(got.data, reduce(expected), rtol=1e-12)

    def l1(x, y):
        return (x - y).abs().sum(axis=-1)

    expected = naive_triplet(a, p, n, lambda u, v: np.abs(u - v).sum(), 2.0, swap)
    module = TripletMarginWithDistanceLoss(distance_function=l1, margin=2.0, swap=swap,
                                           reduction=reduction)
    np.testing.assert_allclose(module(Tensor(a), Tensor(p), Tensor(n)).data, reduce(expected),
                               rtol=1e-12)


def test_triplet_with_distance_gradient_and_module_defaults():
    a, p, n = (RNG.standard_normal((5, 3)) for _ in range(3))
    finite_difference_check(
        lambda t: [F.triplet_margin_with_distance_loss(t["a"], t["p"], t["n"], margin=3.0,
                                                       swap=True, reduction="sum")],
        {"a": a, "p": p, "n": n},
    )
    m = nn.TripletMarginWithDistanceLoss()
    assert isinstance(m.distance_function, nn.PairwiseDistance)
    assert m.margin == 1.0 and m.swap is False and m.reduction == "mean"
    assert m.state_dict() == {}


def test_triplet_with_distance_errors():
    a = Tensor(np.ones((3, 4)))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_with_distance_loss(a, a, a, margin=0.0)
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(ValueError, match="same number of dimensions"):
        F.triplet_margin_with_distance_loss(a, a, Tensor(np.ones(4)))
    with pytest.raises(TypeError, match="callable"):
        F.triplet_margin_with_distance_loss(a, a, a, distance_function=3)
    with pytest.raises(ValueError, match="reduction"):
        F.triplet_margin_with_distance_loss(a, a, a, reduction="avg")
    with pytest.raises(TypeError):
        F.triplet_margin_with_distance_loss(a, a, a, None)  # keyword-only, as torch


def test_new_names_are_exported():
    from tinygrad_opt import loss

    for name in ("dropout1d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
                 "gumbel_softmax", "pdist", "relu_", "elu_", "leaky_relu_", "hardtanh_",
                 "selu_", "celu_", "rrelu_", "threshold_", "upsample", "upsample_nearest",
                 "upsample_bilinear", "triplet_margin_with_distance_loss"):
        assert name in F.__all__ and callable(getattr(F, name))
    assert F.triplet_margin_with_distance_loss is loss.triplet_margin_with_distance_loss
    for name in ("Buffer", "Dropout1d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
                 "TripletMarginWithDistanceLoss", "UninitializedParameter",
                 "UninitializedBuffer", "LazyLinear", "LazyConv1d", "LazyConv2d",
                 "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyBatchNorm1d",
                 "LazyBatchNorm2d", "LazyInstanceNorm1d", "LazyInstanceNorm2d"):
        assert name in nn.__all__ and getattr(nn, name)
