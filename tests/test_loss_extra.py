"""Margin, embedding and likelihood losses and pairwise_distance against plain loops over
PyTorch's documented formulas, every reduction, float64 finite-difference gradients of
every differentiable input, edge cases (margins, ties, zero vectors, p, swap, full) and
argument errors."""

import inspect
import math

import numpy as np
import pytest
from test_nn_gradcheck import check_grads

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, loss, nn

RNG = np.random.default_rng(7)
REDUCTIONS = ["mean", "sum", "none"]


def randn(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def reduce(values, reduction):
    values = np.asarray(values, dtype=float)
    return {"mean": values.mean(), "sum": values.sum(), "none": values}[reduction]


def value(out):
    return np.asarray(out.data)


# ----------------------------------------------------------------------------- references
def ref_margin_ranking(x1, x2, y, margin):
    return np.array([max(0.0, -b * (a1 - a2) + margin)
                     for a1, a2, b in zip(x1.ravel(), x2.ravel(), y.ravel())]).reshape(x1.shape)


def ref_hinge(x, y, margin):
    out = []
    for a, b in zip(x.ravel(), y.ravel()):
        out.append(a if b == 1 else max(0.0, margin - a))
    return np.array(out).reshape(x.shape)


def ref_cosine(x1, x2, y, margin):
    out = []
    for a, b, t in zip(x1, x2, y):
        cos = np.dot(a, b) / math.sqrt((np.dot(a, a) + 1e-12) * (np.dot(b, b) + 1e-12))
        out.append(1 - cos if t == 1 else max(0.0, cos - margin))
    return np.array(out)


def ref_distance(u, v, p, eps):
    d = np.abs(u - v + eps)
    if p == math.inf:
        return d.max()
    return (d ** p).sum() ** (1 / p)


def ref_triplet(a, pos, neg, margin, p, eps, swap):
    out = []
    for u, v, w in zip(a, pos, neg):
        d_neg = ref_distance(u, w, p, eps)
        if swap:
            d_neg = min(d_neg, ref_distance(v, w, p, eps))
        out.append(max(0.0, margin + ref_distance(u, v, p, eps) - d_neg))
    return np.array(out)


def ref_soft_margin(x, y):
    return np.log1p(np.exp(-y * x))


def ref_multilabel_soft_margin(x, y, w):
    n, c = x.shape
    out = []
    for i in range(n):
        total = 0.0
        for j in range(c):
            s = 1 / (1 + math.exp(-x[i, j]))
            total -= w[j] * (y[i, j] * math.log(s) + (1 - y[i, j]) * math.log(1 - s))
        out.append(total / c)
    return np.array(out)


def ref_multi_margin(x, labels, p, margin, w):
    n, c = x.shape
    out = []
    for i in range(n):
        y = labels[i]
        total = 0.0
        for j in range(c):
            if j != y:
                total += w[y] * max(0.0, margin - x[i, y] + x[i, j]) ** p
        out.append(total / c)
    return np.array(out)


def ref_multilabel_margin(x, targets):
    n, c = x.shape
    out = []
    for i in range(n):
        listed = []
        for t in targets[i]:
            if t < 0:
                break
            listed.append(t)
        total = 0.0
        for j in listed:
            for k in range(c):
                if k not in listed:
                    total += max(0.0, 1 - (x[i, j] - x[i, k]))
        out.append(total / c)
    return np.array(out)


def ref_poisson(x, t, log_input, full, eps):
    out = []
    for a, b in zip(x.ravel(), t.ravel()):
        v = math.exp(a) - b * a if log_input else a - b * math.log(a + eps)
        if full and b > 1:
            v += b * math.log(b) - b + 0.5 * math.log(2 * math.pi * b)
        out.append(v)
    return np.array(out).reshape(x.shape)


def ref_gaussian(x, t, var, full, eps):
    out = []
    for a, b, v in zip(x.ravel(), t.ravel(), var.ravel()):
        v = max(v, eps)
        constant = 0.5 * math.log(2 * math.pi) if full else 0.0
        out.append(0.5 * (math.log(v) + (a - b) ** 2 / v) + constant)
    return np.array(out).reshape(x.shape)


# ----------------------------------------------------------------------------- pairs
X1, X2 = randn(5, 4, seed=2), randn(5, 4, seed=3)
SIGNS = np.where(randn(5, 4, seed=4) > 0, 1.0, -1.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5, -0.3])
def test_margin_ranking_values_and_grads(reduction, margin):
    got = F.margin_ranking_loss(Tensor(X1), Tensor(X2), SIGNS, margin, reduction=reduction)
    np.testing.assert_allclose(value(got), reduce(ref_margin_ranking(X1, X2, SIGNS, margin),
                                                  reduction), rtol=1e-12)
    check_grads(lambda a, b, y: F.margin_ranking_loss(a, b, y, margin, reduction=reduction),
                X1, X2, SIGNS)


def test_margin_ranking_broadcasts_same_rank_and_passes_gradient_at_the_hinge():
    a, b, y = randn(3, 1), randn(1, 4, seed=2), np.ones((3, 4))
    got = F.margin_ranking_loss(Tensor(a), Tensor(b), y, 0.2, reduction="none")
    full_a, full_b = np.broadcast_to(a, (3, 4)), np.broadcast_to(b, (3, 4))
    np.testing.assert_allclose(value(got), ref_margin_ranking(full_a, full_b, y, 0.2))
    # at exactly -y (x1 - x2) + margin = 0 the gradient still flows (clamp_min, as torch)
    x1 = Tensor(np.array([1.0]), requires_grad=True)
    F.margin_ranking_loss(x1, Tensor(np.array([0.5])), np.array([1.0]), 0.5).backward()
    assert x1.grad.tolist() == [-1.0]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3, -0.5])
def test_hinge_embedding_values_and_grads(reduction, margin):
    got = F.hinge_embedding_loss(Tensor(X1), SIGNS, margin, reduction=reduction)
    np.testing.assert_allclose(value(got), reduce(ref_hinge(X1, SIGNS, margin), reduction),
                               rtol=1e-12)
    check_grads(lambda x: F.hinge_embedding_loss(x, SIGNS, margin, reduction=reduction), X1)


def test_hinge_embedding_other_target_values_get_both_terms_as_torch():
    x = np.array([0.25, -2.0])
    got = F.hinge_embedding_loss(Tensor(x), np.array([0.0, 2.0]), reduction="none")
    np.testing.assert_allclose(value(got), x + np.maximum(0, 1 - x))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_values_and_grads(reduction):
    x = 3 * X1
    got = F.soft_margin_loss(Tensor(x), SIGNS, reduction=reduction)
    np.testing.assert_allclose(value(got), reduce(ref_soft_margin(x, SIGNS), reduction),
                               rtol=1e-12)
    y = RNG.uniform(-1, 1, x.shape)  # soft labels: the target's gradient is checked too
    check_grads(lambda a, t: F.soft_margin_loss(a, t, reduction=reduction), x, y)


def test_soft_margin_is_stable_at_large_margins():
    x = Tensor(np.array([-1000.0, 1000.0, 40.0], dtype=np.float32), requires_grad=True)
    out = F.soft_margin_loss(x, np.array([1.0, -1.0, 1.0]), reduction="none")
    # log(1 + e^1000) = 1000 + log1p(e^-1000) = 1000 in any float; log1p(e^-40) = e^-40
    np.testing.assert_allclose(out.data, [1000.0, 1000.0, math.exp(-40)], rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [-1.0, 1.0, -math.exp(-40)], rtol=1e-6)
    # a target broadcasts to the input's shape
    got = F.soft_margin_loss(Tensor(X1), SIGNS[0], reduction="none")
    np.testing.assert_allclose(value(got), ref_soft_margin(X1, SIGNS[0]))


# ----------------------------------------------------------------------------- embeddings
ROW_SIGNS = np.array([1.0, -1.0, -1.0, 1.0, -1.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.4, -0.5])
def test_cosine_embedding_values_and_grads(reduction, margin):
    got = F.cosine_embedding_loss(Tensor(X1), Tensor(X2), ROW_SIGNS, margin,
                                  reduction=reduction)
    np.testing.assert_allclose(value(got), reduce(ref_cosine(X1, X2, ROW_SIGNS, margin),
                                                  reduction), rtol=1e-12)
    check_grads(lambda a, b: F.cosine_embedding_loss(a, b, ROW_SIGNS, margin,
                                                     reduction=reduction), X1, X2)


def test_cosine_embedding_zero_vectors_and_unbatched_pair():
    a = Tensor(np.zeros((2, 3)), requires_grad=True)
    b_data = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    b = Tensor(b_data, requires_grad=True)
    out = F.cosine_embedding_loss(a, b, np.array([1.0, -1.0]), -0.5, reduction="none")
    # cos(0, v) = 0: 1 - 0 for y = 1, max(0, 0 + 0.5) for y = -1
    np.testing.assert_allclose(out.data, [1.0, 0.5])
    out.sum().backward()
    # d(1 - cos)/dx1 at x1 = 0 is -x2 / sqrt(1e-12 (|x2|^2 + 1e-12)): large but finite
    expected = -b_data[0] / math.sqrt(1e-12 * (9 + 1e-12))
    np.testing.assert_allclose(a.grad, [expected, [0.0, 0.0, 0.0]], rtol=1e-9)
    np.testing.assert_array_equal(b.grad, np.zeros((2, 3)))
    u, v = randn(4), randn(4, seed=5)
    got = F.cosine_embedding_loss(Tensor(u), Tensor(v), np.array(-1.0), 0.1, reduction="none")
    assert got.shape == ()
    np.testing.assert_allclose(got.item(), ref_cosine([u], [v], [-1.0], 0.1)[0])
    # other target values give 0, as torch
    zero = F.cosine_embedding_loss(Tensor(X1[:2]), Tensor(X2[:2]), np.array([0.0, 2.0]),
                                   reduction="none")
    np.testing.assert_array_equal(zero.data, [0.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2, 3.0, math.inf])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_values_and_grads(reduction, p, swap):
    a, pos, neg = X1, X2, randn(5, 4, seed=6)
    got = F.triplet_margin_loss(Tensor(a), Tensor(pos), Tensor(neg), 1.5, p, 1e-6, swap,
                                reduction=reduction)
    np.testing.assert_allclose(value(got), reduce(ref_triplet(a, pos, neg, 1.5, p, 1e-6, swap),
                                                  reduction), rtol=1e-12)
    check_grads(lambda u, v, w: F.triplet_margin_loss(u, v, w, 1.5, p, 1e-6, swap,
                                                      reduction=reduction), a, pos, neg)


def test_triplet_swap_uses_the_closer_negative_and_classes_match():
    a = np.array([[0.0, 0.0]])
    pos = np.array([[1.0, 0.0]])
    neg = np.array([[2.0, 0.0]])  # d(a, n) = 2 but d(p, n) = 1
    plain = F.triplet_margin_loss(Tensor(a), Tensor(pos), Tensor(neg), eps=0.0).item()
    swapped = F.triplet_margin_loss(Tensor(a), Tensor(pos), Tensor(neg), eps=0.0, swap=True)
    assert plain == pytest.approx(0.0)  # max(0, 1 + 1 - 2)
    assert swapped.item() == pytest.approx(1.0)  # max(0, 1 + 1 - 1)
    module = nn.TripletMarginLoss(margin=0.5, p=1, swap=True, reduction="sum")
    args = [Tensor(randn(3, 4, seed=s)) for s in (1, 2, 3)]
    assert module(*args).item() == pytest.approx(
        F.triplet_margin_loss(*args, 0.5, 1, swap=True, reduction="sum").item())


# ----------------------------------------------------------------------------- pairwise_distance
@pytest.mark.parametrize("p", [1, 2, 0.5, 3.0, math.inf, -1.5])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_values_and_grads(p, keepdim):
    got = F.pairwise_distance(Tensor(X1), Tensor(X2), p, 1e-6, keepdim)
    ref = np.array([ref_distance(u, v, p, 1e-6) for u, v in zip(X1, X2)])
    np.testing.assert_allclose(got.data, ref[:, None] if keepdim else ref, rtol=1e-12)
    check_grads(lambda u, v: F.pairwise_distance(u, v, p, 1e-6, keepdim), X1, X2)
    module = nn.PairwiseDistance(p, 1e-6, keepdim)
    assert module.norm == p and module.eps == 1e-6 and module.keepdim is keepdim
    np.testing.assert_array_equal(module(Tensor(X1), Tensor(X2)).data, got.data)


def test_pairwise_distance_shapes_eps_and_p_zero():
    # equal vectors are eps * D^(1/p) apart: eps is added to the difference, as torch
    same = F.pairwise_distance(Tensor(np.ones((2, 4))), Tensor(np.ones((2, 4))))
    np.testing.assert_allclose(same.data, [2e-6, 2e-6])
    scalar = F.pairwise_distance(Tensor(np.array(1.5)), Tensor(np.array(-0.5)))
    assert scalar.shape == () and scalar.item() == pytest.approx(2.0 + 1e-6)
    mixed = F.pairwise_distance(Tensor(X1[0]), Tensor(X2[:3]))  # (4,) against (3, 4)
    np.testing.assert_allclose(mixed.data, [ref_distance(X1[0], v, 2, 1e-6) for v in X2[:3]])
    count = F.pairwise_distance(Tensor(np.array([[1.0, 2.0, 3.0]])), Tensor(np.zeros((1, 3))), 0)
    assert count.tolist() == [3.0]  # p = 0 counts nonzero entries
    check_grads(lambda u, v: F.pairwise_distance(u, v), randn(2, 3, 4), randn(3, 4, seed=2))


def test_cosine_similarity_module():
    module = nn.CosineSimilarity(dim=0, eps=1e-6)
    got = module(Tensor(X1), Tensor(X2)).data
    ref = [np.dot(X1[:, j], X2[:, j]) / np.linalg.norm(X1[:, j]) / np.linalg.norm(X2[:, j])
           for j in range(4)]
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert (nn.CosineSimilarity().dim, nn.CosineSimilarity().eps) == (1, 1e-8)


# ----------------------------------------------------------------------------- multi-class
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_values_and_grads(reduction, weighted):
    y = RNG.uniform(0, 1, X1.shape)
    w = np.array([0.5, 2.0, 1.0, 3.0]) if weighted else None
    got = F.multilabel_soft_margin_loss(Tensor(X1), y, w, reduction=reduction)
    ref = ref_multilabel_soft_margin(X1, y, np.ones(4) if w is None else w)
    np.testing.assert_allclose(value(got), reduce(ref, reduction), rtol=1e-12)
    if weighted:
        check_grads(lambda x, t, ww: F.multilabel_soft_margin_loss(x, t, ww, reduction=reduction),
                    X1, y, w)
    else:
        check_grads(lambda x, t: F.multilabel_soft_margin_loss(x, t, reduction=reduction), X1, y)


def test_multilabel_soft_margin_shapes_stability_and_weight_buffer():
    one = F.multilabel_soft_margin_loss(Tensor(X1[0]), np.ones(4), reduction="none")
    assert one.shape == ()
    np.testing.assert_allclose(one.item(), ref_multilabel_soft_margin(X1[:1], np.ones((1, 4)),
                                                                     np.ones(4))[0])
    big = F.multilabel_soft_margin_loss(Tensor(np.array([[1000.0, -1000.0]])),
                                        np.array([[0.0, 1.0]]))
    assert big.item() == pytest.approx(1000.0)  # (1000 + 1000) / 2 classes
    module = nn.MultiLabelSoftMarginLoss(weight=np.array([1.0, 2.0, 3.0, 4.0]), reduction="sum")
    np.testing.assert_array_equal(module.state_dict()["weight"], [1.0, 2.0, 3.0, 4.0])
    y = (RNG.random(X1.shape) > 0.5).astype(float)
    assert module(Tensor(X1), y).item() == pytest.approx(
        ref_multilabel_soft_margin(X1, y, np.array([1.0, 2.0, 3.0, 4.0])).sum())
    assert "weight" not in nn.MultiLabelSoftMarginLoss().state_dict()


LABELS = np.array([0, 3, 1, 1, 2])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_values_and_grads(reduction, p, margin, weighted):
    w = np.array([0.5, 2.0, 1.0, 3.0]) if weighted else None
    got = F.multi_margin_loss(Tensor(X1), LABELS, p, margin, w, reduction=reduction)
    ref = ref_multi_margin(X1, LABELS, p, margin, np.ones(4) if w is None else w)
    np.testing.assert_allclose(value(got), reduce(ref, reduction), rtol=1e-12)
    check_grads(lambda x: F.multi_margin_loss(x, LABELS, p, margin, w, reduction=reduction), X1)


def test_multi_margin_weight_multiplies_the_powered_hinge_once():
    # sample 0, label 0, hinges 1.5 and 3: w (1.5^2 + 3^2) / 3 = 11.25 with w = 3
    # (w inside the power, as older PyTorch pages wrote it, would give 33.75)
    got = F.multi_margin_loss(Tensor(np.array([[0.0, 0.5, 2.0]])), np.array([0]), p=2,
                              weight=np.array([3.0, 1.0, 1.0]))
    assert got.item() == pytest.approx(11.25)


def test_multi_margin_tie_gets_no_gradient_and_one_sample_shapes():
    x = Tensor(np.array([[0.0, 1.0, 0.5]]), requires_grad=True)
    F.multi_margin_loss(x, np.array([1])).backward()
    # the hinge of class 0 is exactly 0 and is not counted; class 2's is 0.5
    np.testing.assert_allclose(x.grad, [[0.0, -1 / 3, 1 / 3]])
    v = randn(4)
    scalar = F.multi_margin_loss(Tensor(v), np.array(2), reduction="none")
    assert scalar.shape == ()
    assert scalar.item() == pytest.approx(ref_multi_margin(v[None], [2], 1, 1.0, np.ones(4))[0])
    assert F.multi_margin_loss(Tensor(v), np.array([2]), reduction="none").shape == (1,)
    empty = F.multi_margin_loss(Tensor(np.zeros((0, 4))), np.zeros(0, dtype=np.int64))
    assert empty.item() == 0.0  # as torch, not NaN


@pytest.mark.parametrize("which", ["multi_margin", "multilabel_margin"])
def test_empty_batch_mean_is_zero_and_still_differentiable(which):
    # a training loop calls backward() on every batch's loss, an empty one included
    x = Tensor(np.zeros((0, 4), dtype=np.float32), requires_grad=True)
    if which == "multi_margin":
        loss = F.multi_margin_loss(x, np.zeros(0, dtype=np.int64))
    else:
        loss = F.multilabel_margin_loss(x, np.zeros((0, 4), dtype=np.int64))
    assert loss.item() == 0.0 and loss.dtype == np.float32
    loss.backward()
    assert x.grad.shape == (0, 4)


def test_multi_margin_class_keeps_weight_buffer():
    module = nn.MultiMarginLoss(p=2, margin=0.5, weight=np.array([1.0, 2.0, 1.0, 0.5]))
    assert list(module.state_dict()) == ["weight"]
    assert module(Tensor(X1), LABELS).item() == pytest.approx(
        ref_multi_margin(X1, LABELS, 2, 0.5, np.array([1.0, 2.0, 1.0, 0.5])).mean())


TARGETS = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 2, -1], [-1, 2, 2, 0], [2, 2, -1, 0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_values_and_grads(reduction):
    got = F.multilabel_margin_loss(Tensor(X1), TARGETS, reduction=reduction)
    np.testing.assert_allclose(value(got), reduce(ref_multilabel_margin(X1, TARGETS), reduction),
                               rtol=1e-12)
    check_grads(lambda x: F.multilabel_margin_loss(x, TARGETS, reduction=reduction), X1)
    module = nn.MultiLabelMarginLoss(reduction=reduction)
    np.testing.assert_array_equal(module(Tensor(X1), TARGETS).data, got.data)


def test_multilabel_margin_rules():
    # entries after the first -1 are ignored; a class listed twice counts twice
    x = np.array([[0.1, 0.2, 0.4, 0.8]])
    once = F.multilabel_margin_loss(Tensor(x), np.array([[3, -1, 1, 2]])).item()
    twice = F.multilabel_margin_loss(Tensor(x), np.array([[3, 3, -1, 2]])).item()
    hinge = sum(max(0.0, 1 - (0.8 - x[0, k])) for k in range(3)) / 4
    assert once == pytest.approx(hinge) and twice == pytest.approx(2 * hinge)
    v = randn(5)
    one = F.multilabel_margin_loss(Tensor(v), np.array([3, 1, -1, 0, 4]), reduction="none")
    assert one.shape == ()
    assert one.item() == pytest.approx(ref_multilabel_margin(v[None], [[3, 1, -1, 0, 4]])[0])
    none_listed = F.multilabel_margin_loss(Tensor(X1[:2]), -np.ones((2, 4), dtype=np.int64),
                                           reduction="none")
    np.testing.assert_array_equal(none_listed.data, [0.0, 0.0])


# ----------------------------------------------------------------------------- likelihoods
COUNTS = np.array([[0.0, 1.0, 3.0, 7.0], [0.5, 2.0, 1.5, 12.0]])
RATES = randn(2, 4, seed=8)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_values_and_grads(reduction, log_input, full):
    x = RATES if log_input else np.abs(RATES) + 0.2
    got = F.poisson_nll_loss(Tensor(x), COUNTS, log_input, full, reduction=reduction)
    np.testing.assert_allclose(value(got), reduce(ref_poisson(x, COUNTS, log_input, full, 1e-8),
                                                  reduction), rtol=1e-12)
    # the target's gradient too, away from the t = 1 edge of the Stirling term
    t = COUNTS + np.where(COUNTS == 1.0, 0.25, 0.0)
    check_grads(lambda a, b: F.poisson_nll_loss(a, b, log_input, full, reduction=reduction),
                x, t)


def test_poisson_nll_eps_full_terms_and_class():
    got = F.poisson_nll_loss(Tensor(np.array([0.0])), np.array([1.0]), log_input=False,
                             eps=1e-4, reduction="sum")
    assert got.item() == pytest.approx(-math.log(1e-4))
    t = Tensor(np.array([0.0, 0.5, 1.0, 3.0]), requires_grad=True)
    F.poisson_nll_loss(Tensor(np.zeros(4)), t, full=True, reduction="sum").backward()
    # d/dt of t log t - t + log(2 pi t) / 2 is log t + 1 / (2 t) where t > 1, else 0
    np.testing.assert_allclose(t.grad, [0.0, 0.0, 0.0, math.log(3) + 1 / 6])
    module = nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-6, reduction="none")
    x = np.abs(RATES) + 0.1
    np.testing.assert_allclose(module(Tensor(x), COUNTS).data,
                               ref_poisson(x, COUNTS, False, True, 1e-6), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(5, 4), (5,), (5, 1), (1, 4)])
def test_gaussian_nll_values_and_grads(reduction, full, var_shape):
    var = RNG.uniform(0.2, 2.0, var_shape)
    expanded = np.broadcast_to(var[:, None] if var_shape == (5,) else var, X1.shape)
    got = F.gaussian_nll_loss(Tensor(X1), Tensor(X2), Tensor(var), full, reduction=reduction)
    ref = ref_gaussian(X1, X2, expanded, full, 1e-6)
    np.testing.assert_allclose(value(got), reduce(ref, reduction), rtol=1e-12)
    check_grads(lambda a, b, v: F.gaussian_nll_loss(a, b, v, full, reduction=reduction),
                X1, X2, var)


def test_gaussian_nll_clamp_passes_the_gradient_and_number_var():
    var = Tensor(np.array([1e-9, 0.5]), requires_grad=True)
    x = np.array([0.3, 0.3])
    out = F.gaussian_nll_loss(Tensor(x), np.zeros(2), var, eps=1e-6, reduction="sum")
    np.testing.assert_allclose(out.item(),
                               ref_gaussian(x, np.zeros(2), var.data, False, 1e-6).sum())
    out.backward()
    # d/dv of (log v + d^2 / v) / 2 at the clamped value eps, not 0 (as torch)
    v = np.array([1e-6, 0.5])
    np.testing.assert_allclose(var.grad, 0.5 * (1 / v - 0.09 / v**2), rtol=1e-12)
    by_number = F.gaussian_nll_loss(Tensor(X1), X2, 0.7, reduction="none")
    np.testing.assert_allclose(by_number.data, ref_gaussian(X1, X2, np.full(X1.shape, 0.7),
                                                            False, 1e-6))
    module = nn.GaussianNLLLoss(full=True, eps=1e-3)
    np.testing.assert_allclose(module(Tensor(X1), X2, np.full(5, 0.5)).item(),
                               ref_gaussian(X1, X2, np.full(X1.shape, 0.5), True, 1e-3).mean())


# ----------------------------------------------------------------------------- api
SIGNATURES = {
    "margin_ranking_loss": "(input1, input2, target, margin=0.0, reduction='mean')",
    "hinge_embedding_loss": "(input, target, margin=1.0, reduction='mean')",
    "cosine_embedding_loss": "(input1, input2, target, margin=0.0, reduction='mean')",
    "triplet_margin_loss": "(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, "
                           "swap=False, reduction='mean')",
    "soft_margin_loss": "(input, target, reduction='mean')",
    "multilabel_soft_margin_loss": "(input, target, weight=None, reduction='mean')",
    "multi_margin_loss": "(input, target, p=1, margin=1.0, weight=None, reduction='mean')",
    "multilabel_margin_loss": "(input, target, reduction='mean')",
    "poisson_nll_loss": "(input, target, log_input=True, full=False, eps=1e-08, "
                        "reduction='mean')",
    "gaussian_nll_loss": "(input, target, var, full=False, eps=1e-06, reduction='mean')",
    "pairwise_distance": "(x1, x2, p=2.0, eps=1e-06, keepdim=False)",
}
CLASSES = {
    "MarginRankingLoss": "(margin=0.0, reduction='mean')",
    "HingeEmbeddingLoss": "(margin=1.0, reduction='mean')",
    "CosineEmbeddingLoss": "(margin=0.0, reduction='mean')",
    "TripletMarginLoss": "(margin=1.0, p=2.0, eps=1e-06, swap=False, reduction='mean')",
    "SoftMarginLoss": "(reduction='mean')",
    "MultiLabelSoftMarginLoss": "(weight=None, reduction='mean')",
    "MultiMarginLoss": "(p=1, margin=1.0, weight=None, reduction='mean')",
    "MultiLabelMarginLoss": "(reduction='mean')",
    "PoissonNLLLoss": "(log_input=True, full=False, eps=1e-08, reduction='mean')",
    "GaussianNLLLoss": "(*, full=False, eps=1e-06, reduction='mean')",
    "PairwiseDistance": "(p=2.0, eps=1e-06, keepdim=False)",
    "CosineSimilarity": "(dim=1, eps=1e-08)",
}


def _plain(sig):
    """The signature as text, without self and annotations (a keyword-only '*' stays)."""
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()
              if p.name != "self"]
    return str(inspect.Signature(params))


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_functional_exports_and_signatures(name):
    fn = getattr(F, name)
    assert _plain(inspect.signature(fn)) == SIGNATURES[name]
    if name != "pairwise_distance":
        assert getattr(loss, name) is fn and name in loss.__all__ and name in F.__all__


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_class_exports_and_signatures(name):
    cls = getattr(nn, name)
    assert _plain(inspect.signature(cls.__init__)) == CLASSES[name]
    assert name in nn.__all__
    if name.endswith("Loss"):
        assert getattr(loss, name) is cls and name in loss.__all__
        assert cls().reduction == "mean"


# ----------------------------------------------------------------------------- errors
def T(a):
    return Tensor(np.asarray(a, dtype=float))


ERRORS = [
    (lambda: F.margin_ranking_loss(T(X1), T(X2), ROW_SIGNS), ValueError,
     r"same number of dimensions, got shapes \(5, 4\), \(5, 4\) and \(5,\)"),
    (lambda: F.margin_ranking_loss(T(X1), T(X2[:3]), SIGNS), ValueError, "do not broadcast"),
    (lambda: F.margin_ranking_loss(T(X1), T(X2), SIGNS, reduction="avg"), ValueError,
     "reduction must be one of"),
    (lambda: F.hinge_embedding_loss(X1, SIGNS), TypeError, "input must be a Tensor"),
    (lambda: F.hinge_embedding_loss(T(X1), SIGNS[:, :3]), ValueError, "do not broadcast"),
    (lambda: F.soft_margin_loss(T(X1[:, :1]), SIGNS), ValueError,
     r"target of shape \(5, 4\) does not broadcast to the input's shape \(5, 1\)"),
    (lambda: F.cosine_embedding_loss(T(X1), T(X2), SIGNS), ValueError,
     r"target must be 0-d or 1-d"),
    (lambda: F.cosine_embedding_loss(T(X1), T(X2), np.array(1.0)), ValueError,
     r"a 0-d target expects 1-d inputs"),
    (lambda: F.cosine_embedding_loss(T(X1), T(X2[:, :3]), ROW_SIGNS), ValueError,
     "do not broadcast"),
    (lambda: F.cosine_embedding_loss(T(X1), T(X2), ROW_SIGNS[:3]), ValueError,
     "do not broadcast"),
    (lambda: F.triplet_margin_loss(T(X1), T(X2), T(X1), margin=0.0), ValueError,
     "margin must be greater than 0, got 0.0"),
    (lambda: F.triplet_margin_loss(T(X1), T(X2[0]), T(X1)), ValueError,
     r"same number of dimensions, got shapes \(5, 4\), \(4,\) and \(5, 4\)"),
    (lambda: F.pairwise_distance(T(X1), T(X2), p=-math.inf), ValueError,
     "p must be a real number or inf, got -inf"),
    (lambda: F.pairwise_distance(T(X1), T(X2[:, :3])), ValueError,
     r"x1 of shape \(5, 4\) and x2 of shape \(5, 3\) do not broadcast"),
    (lambda: F.multilabel_soft_margin_loss(T(1.0), np.array(1.0)), ValueError,
     "input must have a class dimension, got a 0-d input"),
    (lambda: F.multilabel_soft_margin_loss(T(X1), SIGNS, weight=np.ones(3)), ValueError,
     r"weight of shape \(3,\) does not broadcast to the input's shape \(5, 4\)"),
    (lambda: F.multi_margin_loss(T(X1), LABELS, p=3), ValueError, "p must be 1 or 2, got 3"),
    (lambda: F.multi_margin_loss(T(X1), np.array([0, 4, 1, 1, 2])), ValueError,
     r"target class 4 is out of range \[0, 4\)"),
    (lambda: F.multi_margin_loss(T(X1), np.array([0, -1, 1, 1, 2])), ValueError,
     r"target class -1 is out of range"),
    (lambda: F.multi_margin_loss(T(X1), LABELS.astype(float)), TypeError,
     "target must hold integer class indices, got dtype float64"),
    (lambda: F.multi_margin_loss(T(X1), LABELS[:3]), ValueError,
     r"one class index per sample \(5\) .* got shape \(3,\)"),
    (lambda: F.multi_margin_loss(T(X1), LABELS, weight=np.ones(3)), ValueError,
     r"weight must be one-dimensional of shape \(4,\), got \(3,\)"),
    (lambda: F.multi_margin_loss(T(randn(2, 3, 4)), np.array([0, 1])), ValueError,
     r"non-empty vector \(C,\) or matrix \(N, C\)"),
    (lambda: F.multilabel_margin_loss(T(X1), TARGETS[:, :3]), ValueError,
     r"target must have the input's shape \(5, 4\)"),
    (lambda: F.multilabel_margin_loss(T(X1), np.where(TARGETS == 2, 4, TARGETS)), ValueError,
     r"target value 4 is out of range \[-1, 4\)"),
    (lambda: F.multilabel_margin_loss(T(X1), np.where(TARGETS == 2, -2, TARGETS)), ValueError,
     r"target value -2 is out of range"),
    (lambda: F.poisson_nll_loss(T(RATES), COUNTS, reduction="batchmean"), ValueError,
     "reduction must be one of"),
    (lambda: F.poisson_nll_loss(T(RATES), COUNTS[:, :3]), ValueError, "do not broadcast"),
    (lambda: F.poisson_nll_loss(T(RATES), COUNTS, eps=None), TypeError,
     "eps must be a real number"),
    (lambda: F.gaussian_nll_loss(T(X1), X2, np.where(X1 > 0, 1.0, -0.5)), ValueError,
     "var has negative entry/entries"),
    (lambda: F.gaussian_nll_loss(T(X1), X2, -1.0), ValueError, "var has negative entry"),
    (lambda: F.gaussian_nll_loss(T(X1), X2, np.ones(4)), ValueError,
     r"var of shape \(4,\) is of incorrect size for input of shape \(5, 4\)"),
    (lambda: F.gaussian_nll_loss(T(X1), X2, np.ones((5, 2))), ValueError,
     "is of incorrect size"),
    (lambda: F.gaussian_nll_loss(T(X1), X2, np.ones((5, 4)), reduction="avg"), ValueError,
     "reduction must be one of"),
    (lambda: nn.TripletMarginLoss(margin=-1.0), ValueError,
     "margin must be greater than 0, got -1.0"),
    (lambda: nn.MultiMarginLoss(p=3), ValueError, "p must be 1 or 2, got 3"),
    (lambda: nn.MultiMarginLoss(weight=np.ones((2, 2))), ValueError,
     r"weight must be None or one-dimensional, got shape \(2, 2\)"),
    (lambda: nn.SoftMarginLoss(None), ValueError, "reduction must be one of"),
    # torch's positional (log_input, full, size_average, eps) lands eps on reduction
    (lambda: nn.PoissonNLLLoss(True, False, None, 1e-6), ValueError,
     "reduction must be one of"),
]


@pytest.mark.parametrize("call,error,pattern", ERRORS)
def test_errors_name_what_was_wrong(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


FLOAT32_CASES = [
    lambda x: F.margin_ranking_loss(x, x * 0.5, SIGNS),
    lambda x: F.hinge_embedding_loss(x, SIGNS),
    lambda x: F.soft_margin_loss(x, SIGNS),
    lambda x: F.cosine_embedding_loss(x, x * x, ROW_SIGNS),
    lambda x: F.triplet_margin_loss(x, x * 0.5, x * x, swap=True),
    lambda x: F.pairwise_distance(x, x * 0.5, 3.0),
    lambda x: F.multilabel_soft_margin_loss(x, SIGNS > 0, np.ones(4)),
    lambda x: F.multi_margin_loss(x, LABELS, 2, weight=np.ones(4)),
    lambda x: F.multilabel_margin_loss(x, TARGETS),
    lambda x: F.poisson_nll_loss(x, np.abs(X2), full=True),
    lambda x: F.gaussian_nll_loss(x, X2, np.full(5, 0.5), full=True),
]


@pytest.mark.parametrize("case", range(len(FLOAT32_CASES)))
def test_float32_inputs_stay_float32_and_agree_with_float64(case):
    fn = FLOAT32_CASES[case]
    x32 = Tensor(X1.astype(np.float32), requires_grad=True)
    out = fn(x32)
    out.sum().backward()
    assert out.dtype == np.float32 and x32.grad.dtype == np.float32
    x64 = Tensor(X1, requires_grad=True)
    ref = fn(x64)
    ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.data, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x32.grad, x64.grad, rtol=1e-4, atol=1e-5)
