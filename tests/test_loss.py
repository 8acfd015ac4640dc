"""Losses against plain-numpy versions of PyTorch's documented formulas, finite-difference
gradients in float64, stability at logits of +-1000, and argument errors."""

import re

import numpy as np
import pytest
from test_nn_gradcheck import check_grads

from tinygrad_opt import Tensor, loss, loss_kernels, nn

RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 4))
T = RNG.standard_normal((5, 4))
LABELS = np.array([0, 3, 1, 1, 2])


def reduce(values, reduction):
    return {"mean": values.mean(), "sum": values.sum(), "none": values}[reduction]


def ref_log_softmax(z, axis=1):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


REGRESSION = [
    (loss.mse_loss, {}, lambda d: d**2),
    (loss.l1_loss, {}, np.abs),
    (loss.smooth_l1_loss, {"beta": 0.5},
     lambda d: np.where(np.abs(d) < 0.5, 0.5 * d**2 / 0.5, np.abs(d) - 0.25)),
    (loss.huber_loss, {"delta": 0.7},
     lambda d: np.where(np.abs(d) < 0.7, 0.5 * d**2, 0.7 * (np.abs(d) - 0.35))),
]


@pytest.mark.parametrize("fn,kwargs,rule", REGRESSION)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_values_and_grads(fn, kwargs, rule, reduction):
    got = fn(Tensor(X), T, reduction=reduction, **kwargs).data
    np.testing.assert_allclose(got, reduce(rule(X - T), reduction), rtol=1e-12)
    check_grads(lambda x, t: fn(x, t, reduction=reduction, **kwargs), X, T)


def test_regression_loss_classes_and_numpy_or_tensor_targets():
    for cls, fn in ((nn.MSELoss, loss.mse_loss), (nn.L1Loss, loss.l1_loss),
                    (nn.SmoothL1Loss, loss.smooth_l1_loss), (nn.HuberLoss, loss.huber_loss)):
        a = cls(reduction="sum")(Tensor(X), Tensor(T)).item()
        assert a == pytest.approx(fn(Tensor(X), T, reduction="sum").item())
    assert loss.smooth_l1_loss(Tensor(X), T, beta=0.0).item() == pytest.approx(
        np.abs(X - T).mean())
    with pytest.raises(ValueError, match="shape"):
        loss.mse_loss(Tensor(X), T[:, :2])
    with pytest.raises(ValueError, match="reduction"):
        loss.mse_loss(Tensor(X), T, reduction="avg")


def ref_cross_entropy(z, y, weight=None, ignore_index=-100, smoothing=0.0, reduction="mean"):
    """PyTorch's documented rule, one sample at a time."""
    n, c = z.shape
    w = np.ones(c) if weight is None else weight
    logp = ref_log_softmax(z)
    losses, denom = [], 0.0
    for i in range(n):
        if y[i] == ignore_index:
            losses.append(0.0)
            continue
        nll = -w[y[i]] * logp[i, y[i]]
        smooth = -(w * logp[i]).sum()
        losses.append((1 - smoothing) * nll + smoothing / c * smooth)
        denom += w[y[i]]
    losses = np.array(losses)
    if reduction == "mean":
        return losses.sum() / denom
    return losses.sum() if reduction == "sum" else losses


CE_CASES = [
    {},
    {"weight": np.array([0.5, 2.0, 1.0, 3.0])},
    {"label_smoothing": 0.2},
    {"weight": np.array([0.5, 2.0, 1.0, 3.0]), "label_smoothing": 0.1, "ignore_index": 1},
    {"ignore_index": 3},
]


@pytest.fixture(params=["serial", "parallel"])
def ce_rows_route(request, monkeypatch):
    """Run the class-index kernels on one thread and, forced by a zero threshold, parallel."""
    if request.param == "parallel":
        monkeypatch.setattr(loss_kernels, "PARALLEL_MIN_LOGITS", 0)
    return request.param


@pytest.mark.parametrize("kwargs", CE_CASES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_class_indices(kwargs, reduction, ce_rows_route):
    got = loss.cross_entropy(Tensor(X), LABELS, reduction=reduction, **kwargs).data
    want = ref_cross_entropy(X, LABELS, kwargs.get("weight"), kwargs.get("ignore_index", -100),
                             kwargs.get("label_smoothing", 0.0), reduction)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    check_grads(lambda x: loss.cross_entropy(x, LABELS, reduction=reduction, **kwargs), X)


def test_cross_entropy_probability_targets_with_smoothing_and_weight():
    p = np.exp(ref_log_softmax(T))
    w = np.array([1.0, 0.5, 2.0, 1.5])
    smoothed = p * 0.9 + 0.1 / 4
    want = -(smoothed * w * ref_log_softmax(X)).sum(axis=1).mean()
    got = loss.cross_entropy(Tensor(X), p, weight=w, label_smoothing=0.1).item()
    assert got == pytest.approx(want, rel=1e-12)
    check_grads(lambda x, t: loss.cross_entropy(x, t, weight=w, label_smoothing=0.1), X, p)


def test_cross_entropy_spatial_input_and_unbatched():
    z = RNG.standard_normal((2, 3, 4, 5))
    y = RNG.integers(0, 3, (2, 4, 5))
    flat_z = np.moveaxis(z, 1, -1).reshape(-1, 3)
    want = ref_cross_entropy(flat_z, y.reshape(-1), reduction="none").reshape(2, 4, 5)
    got = loss.cross_entropy(Tensor(z), y, reduction="none").data
    np.testing.assert_allclose(got, want, rtol=1e-12)
    check_grads(lambda t: loss.cross_entropy(t, y), z)
    single = loss.cross_entropy(Tensor(X[0]), np.array(2)).item()
    assert single == pytest.approx(-ref_log_softmax(X[:1])[0, 2])


def test_cross_entropy_and_bce_stable_at_extreme_logits():
    z = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]), requires_grad=True)
    out = loss.cross_entropy(z, np.array([1, 1]))
    out.backward()
    assert out.item() == pytest.approx((2000.0 + np.log1p(np.exp(-1.0))) / 2)
    assert np.all(np.isfinite(z.grad))
    x = Tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0])
    b = loss.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(b.data, [0.0, 0.0, 1000.0, 1000.0])
    b.backward(gradient=np.ones(4))
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 1.0, -1.0])


def test_nll_loss_matches_cross_entropy_on_log_softmax():
    logp = ref_log_softmax(X)
    w = np.array([0.5, 2.0, 1.0, 3.0])
    for reduction in ("mean", "sum", "none"):
        got = loss.nll_loss(Tensor(logp), LABELS, weight=w, ignore_index=3,
                            reduction=reduction).data
        want = ref_cross_entropy(X, LABELS, w, 3, 0.0, reduction)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    check_grads(lambda t: loss.nll_loss(t, LABELS, weight=w), logp)
    assert nn.NLLLoss()(Tensor(logp), LABELS).item() == pytest.approx(
        ref_cross_entropy(X, LABELS))


def test_binary_cross_entropy_values_grads_and_clamp():
    p = 1 / (1 + np.exp(-X))
    t = (T > 0).astype(float)
    w = RNG.random((5, 4))
    want = -(w * (t * np.log(p) + (1 - t) * np.log(1 - p))).mean()
    assert loss.binary_cross_entropy(Tensor(p), t, weight=w).item() == pytest.approx(want)
    check_grads(lambda q: loss.binary_cross_entropy(q, t, weight=w), p, atol=1e-5)
    edge = loss.binary_cross_entropy(Tensor(np.array([0.0, 1.0])), np.array([1.0, 0.0]),
                                     reduction="none").data
    np.testing.assert_allclose(edge, [100.0, 100.0])  # logs clamped at -100, as PyTorch
    with pytest.raises(ValueError, match="between 0 and 1"):
        loss.binary_cross_entropy(Tensor(np.array([1.5])), np.array([1.0]))


def test_bce_with_logits_pos_weight_and_weight():
    t = (T > 0).astype(float)
    pw = np.array([1.0, 2.0, 0.5, 3.0])
    w = RNG.random((5, 4))
    s = 1 / (1 + np.exp(-X))
    want = -(w * (pw * t * np.log(s) + (1 - t) * np.log(1 - s)))
    got = loss.binary_cross_entropy_with_logits(Tensor(X), t, weight=w, pos_weight=pw,
                                                reduction="none").data
    np.testing.assert_allclose(got, want, rtol=1e-10)
    check_grads(lambda x, y: loss.binary_cross_entropy_with_logits(x, y, w, pos_weight=pw), X, t)
    module = nn.BCEWithLogitsLoss(pos_weight=pw)
    assert module(Tensor(X), t).item() == pytest.approx(
        loss.binary_cross_entropy_with_logits(Tensor(X), t, pos_weight=pw).item())


def test_penalties_and_their_gradients():
    a, b = RNG.standard_normal((3, 2)), RNG.standard_normal(4)
    assert loss.l1_penalty([Tensor(a), Tensor(b)]).item() == pytest.approx(
        np.abs(a).sum() + np.abs(b).sum())
    assert loss.l2_penalty([Tensor(a), Tensor(b)]).item() == pytest.approx(
        (a**2).sum() + (b**2).sum())
    check_grads(lambda p, q: loss.l1_penalty([p, q]), a, b)
    check_grads(lambda p, q: loss.l2_penalty([p, q]), a, b)
    for penalty in (loss.l1_penalty, loss.l2_penalty):
        name = penalty.__name__
        with pytest.raises(ValueError, match=rf"^{name}: got an empty parameter list$"):
            penalty([])


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_cross_entropy_float32_logits_and_other_label_dtypes(dtype, ce_rows_route):
    """float32 logits (the training dtype) against the float64 reference; int32 labels."""
    z = RNG.standard_normal((37, 11)).astype(np.float32) * 4
    y = RNG.integers(0, 11, 37).astype(np.int32 if dtype is np.int32 else np.int64)
    y[5] = -100
    w = RNG.uniform(0.5, 2.0, 11).astype(np.float32)
    x = Tensor(z, requires_grad=True)
    out = loss.cross_entropy(x, y, weight=w, label_smoothing=0.05)
    out.backward()
    want = ref_cross_entropy(z.astype(np.float64), y, w.astype(np.float64), -100, 0.05)
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(out.item(), want, rtol=1e-5)
    w64 = w.astype(np.float64)
    ref_grad = np.zeros((37, 11))
    step = 1e-6
    for i, j in np.ndindex(37, 11):  # central differences of the float64 reference
        plus, minus = z.astype(np.float64), z.astype(np.float64)
        plus[i, j] += step
        minus[i, j] -= step
        ref_grad[i, j] = (ref_cross_entropy(plus, y, w64, -100, 0.05)
                          - ref_cross_entropy(minus, y, w64, -100, 0.05)) / (2 * step)
    np.testing.assert_allclose(x.grad, ref_grad, rtol=1e-4, atol=1e-7)
    assert not x.grad[5].any()  # the ignored row


def test_cross_entropy_bad_targets(ce_rows_route):
    with pytest.raises(ValueError, match="out of range"):
        loss.cross_entropy(Tensor(X), np.array([0, 1, 2, 3, 4]))
    with pytest.raises(ValueError, match=r"target class -1 is out of range"):
        loss.cross_entropy(Tensor(X), np.array([0, 1, -1, 3, 0]))
    with pytest.raises(ValueError, match="shape"):
        loss.cross_entropy(Tensor(X), np.array([0, 1]))
    with pytest.raises(ValueError, match="weight"):
        loss.cross_entropy(Tensor(X), LABELS, weight=np.ones(3))


# ----------------------------------------------------------------------------- loss modules
MODULE_RNG = np.random.default_rng(1)  # not RNG: the tests above keep their data
W4 = np.array([0.5, 2.0, 1.0, 3.0])
P_T = np.exp(ref_log_softmax(T))  # class-probability targets, rows summing to 1
Z_SPATIAL = MODULE_RNG.standard_normal((2, 4, 3, 2))
Y_SPATIAL = MODULE_RNG.integers(0, 4, (2, 3, 2))
Y_SPATIAL[0, 1, 0] = 2
P_SPATIAL = np.exp(ref_log_softmax(MODULE_RNG.standard_normal(Z_SPATIAL.shape)))
P_BCE = 1 / (1 + np.exp(-X))
T_BCE = MODULE_RNG.random((5, 4))  # soft targets, so the target gradient is exercised too
W_BCE = MODULE_RNG.random((5, 4))

# (class, its constructor's arguments, function, input, target, target is a Tensor with grad)
MODULE_CASES = {
    "ce default": (nn.CrossEntropyLoss, {}, loss.cross_entropy, X, LABELS, False),
    "ce weight ignore smoothing": (
        nn.CrossEntropyLoss, {"weight": W4, "ignore_index": 1, "label_smoothing": 0.15},
        loss.cross_entropy, X, LABELS, False),
    "ce tensor weight": (nn.CrossEntropyLoss, {"weight": Tensor(W4)}, loss.cross_entropy, X,
                         LABELS, False),
    "ce smoothing only": (nn.CrossEntropyLoss, {"label_smoothing": 0.3}, loss.cross_entropy, X,
                          LABELS, False),
    "ce ignore only": (nn.CrossEntropyLoss, {"ignore_index": 3}, loss.cross_entropy, X, LABELS,
                       False),
    "ce probabilities": (
        nn.CrossEntropyLoss, {"weight": W4, "label_smoothing": 0.2}, loss.cross_entropy, X, P_T,
        True),
    "ce spatial": (
        nn.CrossEntropyLoss, {"ignore_index": 2, "label_smoothing": 0.1}, loss.cross_entropy,
        Z_SPATIAL, Y_SPATIAL, False),
    "bce": (nn.BCELoss, {}, loss.binary_cross_entropy, P_BCE, T_BCE, True),
    "bce weight": (nn.BCELoss, {"weight": W_BCE}, loss.binary_cross_entropy, P_BCE, T_BCE, True),
    "huber": (nn.HuberLoss, {}, loss.huber_loss, X, T, True),
    "huber delta": (nn.HuberLoss, {"delta": 0.3}, loss.huber_loss, X, T, True),
    "smooth_l1 beta": (nn.SmoothL1Loss, {"beta": 0.4}, loss.smooth_l1_loss, X, T, True),
}


def _value_and_grads(call, x, t, target_grad):
    """call(input, target) -> loss; its value and the gradients of input (and target) for a
    fixed upstream gradient."""
    xt = Tensor(x.copy(), requires_grad=True)
    tt = Tensor(t.copy(), requires_grad=True) if target_grad else t.copy()
    out = call(xt, tt)
    upstream = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(gradient=upstream)
    return out.data, xt.grad, (tt.grad if target_grad else None)


@pytest.mark.parametrize("case", list(MODULE_CASES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_classes_equal_their_functions(case, reduction):
    """Value and gradients of nn.<Loss>(**args) == the function with the same arguments."""
    cls, kwargs, fn, x, t, target_grad = MODULE_CASES[case]
    module = cls(reduction=reduction, **kwargs)
    got = _value_and_grads(module, x, t, target_grad)
    want = _value_and_grads(lambda a, b: fn(a, b, reduction=reduction, **kwargs), x, t,
                            target_grad)
    assert got[0].shape == want[0].shape
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    if target_grad:
        np.testing.assert_array_equal(got[2], want[2])
    # the arguments matter here: the default-argument function gives another value
    if kwargs:
        default = fn(Tensor(x), t, reduction=reduction).data
        assert not np.allclose(got[0], default)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_against_numpy_for_every_reduction(weighted, reduction):
    w = W_BCE if weighted else None
    values = -(T_BCE * np.log(P_BCE) + (1 - T_BCE) * np.log(1 - P_BCE))
    want = reduce(values * (W_BCE if weighted else 1.0), reduction)
    got = loss.binary_cross_entropy(Tensor(P_BCE), T_BCE, weight=w, reduction=reduction).data
    np.testing.assert_allclose(got, want, rtol=1e-12)
    check_grads(lambda p, t: loss.binary_cross_entropy(p, t, weight=w, reduction=reduction),
                P_BCE, T_BCE, atol=1e-5)


def ref_cross_entropy_probs(z, p, weight=None, smoothing=0.0, reduction="mean"):
    """PyTorch's rule for probability targets on (N, C, ...) logits: -sum_c w_c q_c log s_c
    per sample with q = (1 - eps) p + eps / C; 'mean' divides by the number of samples."""
    c = z.shape[1]
    w = np.ones(c) if weight is None else weight
    shape = (1, c) + (1,) * (z.ndim - 2)
    q = (1 - smoothing) * p + smoothing / c
    losses = -(w.reshape(shape) * q * ref_log_softmax(z, axis=1)).sum(axis=1)
    return reduce(losses, reduction)


@pytest.mark.parametrize("kwargs", [{}, {"weight": W4}, {"label_smoothing": 0.25},
                                    {"weight": W4, "label_smoothing": 1.0}])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets_every_reduction(kwargs, reduction):
    want = ref_cross_entropy_probs(X, P_T, kwargs.get("weight"),
                                   kwargs.get("label_smoothing", 0.0), reduction)
    got = loss.cross_entropy(Tensor(X), P_T, reduction=reduction, **kwargs).data
    np.testing.assert_allclose(got, want, rtol=1e-12)
    check_grads(lambda x, t: loss.cross_entropy(x, t, reduction=reduction, **kwargs), X, P_T)
    # spatial (N, C, d1, d2) logits with probability targets along axis 1
    want = ref_cross_entropy_probs(Z_SPATIAL, P_SPATIAL, kwargs.get("weight"),
                                   kwargs.get("label_smoothing", 0.0), reduction)
    got = loss.cross_entropy(Tensor(Z_SPATIAL), P_SPATIAL, reduction=reduction, **kwargs).data
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_cross_entropy_label_smoothing_bounds_against_numpy():
    for eps in (0.0, 1.0):
        got = loss.cross_entropy(Tensor(X), LABELS, weight=W4, label_smoothing=eps).item()
        assert got == pytest.approx(ref_cross_entropy(X, LABELS, W4, smoothing=eps), rel=1e-12)


@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_huber_is_delta_times_smooth_l1_with_beta_delta(delta):
    """PyTorch's documented identity, an independent check of both delta and beta."""
    for reduction in ("mean", "sum", "none"):
        huber = nn.HuberLoss(reduction, delta)(Tensor(X), T).data
        smooth = nn.SmoothL1Loss(reduction, beta=delta)(Tensor(X), T).data
        np.testing.assert_allclose(huber, delta * smooth, rtol=1e-12)


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_invalid_label_smoothing_is_refused(value):
    message = re.escape(f"cross_entropy: label_smoothing must be in [0, 1], got {value}")
    with pytest.raises(ValueError, match=message):
        loss.cross_entropy(Tensor(X), LABELS, label_smoothing=value)
    with pytest.raises(ValueError, match=message):
        nn.CrossEntropyLoss(label_smoothing=value)(Tensor(X), LABELS)
    with pytest.raises(ValueError, match=message):  # probability targets too
        loss.cross_entropy(Tensor(X), P_T, label_smoothing=value)


@pytest.mark.parametrize("beta", [-0.5, -1e-9])
def test_negative_smooth_l1_beta_is_refused(beta):
    message = re.escape(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    with pytest.raises(ValueError, match=message):
        loss.smooth_l1_loss(Tensor(X), T, beta=beta)
    with pytest.raises(ValueError, match=message):
        nn.SmoothL1Loss(beta=beta)(Tensor(X), T)


@pytest.mark.parametrize("delta", [0.0, -2.0])
def test_non_positive_huber_delta_is_refused(delta):
    message = re.escape(f"huber_loss: delta must be > 0, got {delta}")
    with pytest.raises(ValueError, match=message):
        loss.huber_loss(Tensor(X), T, delta=delta)
    with pytest.raises(ValueError, match=message):
        nn.HuberLoss(delta=delta)(Tensor(X), T)


# ----------------------------------------------------------------------------- edge cases
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_minus_inf_logit_is_a_masked_class(dtype, ce_rows_route):
    """A -inf logit (a masked-out class) has probability 0: the loss stays finite without
    label smoothing and becomes inf with it, as -sum_c log p_c then includes log 0."""
    z = Tensor(np.array([[-np.inf, 0.0, 0.0], [0.0, 1.0, -np.inf]], dtype), requires_grad=True)
    out = loss.cross_entropy(z, np.array([1, 0]), reduction="none")
    # row 0: p = (0, 1/2, 1/2); row 1: p_0 = 1 / (1 + e)
    np.testing.assert_allclose(out.data, [np.log(2.0), np.log1p(np.e)], rtol=1e-6)
    out.backward(gradient=np.ones(2, dtype))
    p1 = 1 / (1 + np.e)
    want = [[0.0, -0.5, 0.5], [p1 - 1, 1 - p1, 0.0]]  # softmax minus one-hot
    np.testing.assert_allclose(z.grad, want, rtol=1e-6)
    smoothed = loss.cross_entropy(Tensor(z.data), np.array([1, 0]), label_smoothing=0.1)
    assert smoothed.item() == np.inf


def test_nll_loss_ignored_rows_count_zero_even_at_minus_inf_and_when_all_are_ignored():
    logp = Tensor(np.array([[-np.inf, 0.0], [-np.inf, 0.0]]), requires_grad=True)
    out = loss.nll_loss(logp, np.array([-100, 1]), reduction="none")
    np.testing.assert_array_equal(out.data, [0.0, 0.0])  # -w[y] logp[y] with logp[1] = 0
    assert loss.nll_loss(logp, np.array([-100, 1])).item() == 0.0
    # every target ignored: 'mean' is 0 / 0 = NaN, as PyTorch, but no input gets a gradient
    z = Tensor(ref_log_softmax(X), requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = loss.nll_loss(z, np.full(5, -100))
        out.backward()
    assert np.isnan(out.item())
    np.testing.assert_array_equal(z.grad, np.zeros_like(X))


@pytest.mark.parametrize("p,t,message", [
    ([0.5, np.nan], [0.0, 1.0], "input should be between 0 and 1"),
    ([0.5, 0.5], [1.5, 0.0], "target should be between 0 and 1"),
    ([0.5, 0.5], [-0.1, 0.0], "target should be between 0 and 1"),
    ([0.5, 0.5], [np.nan, 0.0], "target should be between 0 and 1"),
])
def test_binary_cross_entropy_refuses_nan_input_and_targets_outside_0_1(p, t, message):
    with pytest.raises(ValueError, match=f"binary_cross_entropy: all elements of {message}"):
        loss.binary_cross_entropy(Tensor(np.array(p)), np.array(t))


@pytest.mark.parametrize("fn,name", [
    (loss.binary_cross_entropy, "weight"),
    (loss.binary_cross_entropy_with_logits, "weight"),
    (loss.binary_cross_entropy_with_logits, "pos_weight"),
])
@pytest.mark.parametrize("shape", [(2, 5, 4), (3,), (5, 2)])
def test_bce_weights_must_broadcast_to_the_input_shape(fn, name, shape):
    """A weight that would stretch the (5, 4) loss, or does not broadcast at all, is refused;
    shapes (4,), (5, 1) and (5, 4) work."""
    with pytest.raises(ValueError, match=re.escape(
            f"{name} of shape {shape} does not broadcast to the input's shape (5, 4)")):
        fn(Tensor(P_BCE), T_BCE, **{name: np.ones(shape)})
    for fits in [(4,), (5, 1), (5, 4)]:
        assert fn(Tensor(P_BCE), T_BCE, reduction="none", **{name: np.ones(fits)}).shape == (5, 4)


def test_bce_with_logits_target_gradient_at_infinite_logits():
    """d loss / d t = log s(-x) - log s(x) = -x: +inf at x = -inf and -inf at x = +inf."""
    x = Tensor(np.array([-np.inf, np.inf, -800.0]))
    t = Tensor(np.array([0.5, 0.5, 0.5]), requires_grad=True)
    loss.binary_cross_entropy_with_logits(x, t, reduction="none").backward(gradient=np.ones(3))
    np.testing.assert_array_equal(t.grad, [np.inf, -np.inf, 800.0])


@pytest.mark.parametrize("cls,names", [
    (nn.CrossEntropyLoss, ("weight",)), (nn.NLLLoss, ("weight",)), (nn.BCELoss, ("weight",)),
    (nn.BCEWithLogitsLoss, ("weight", "pos_weight")),
])
def test_loss_class_weights_are_buffers_in_state_dict(cls, names):
    """As PyTorch: given weights are saved and loaded; absent ones are not saved."""
    assert list(cls().state_dict()) == []
    module = cls(**{name: W4.copy() for name in names})  # loading writes into the buffer
    state = module.state_dict()
    assert list(state) == list(names)
    for name in names:
        np.testing.assert_array_equal(state[name], W4)
    module.load_state_dict({name: 2 * W4 for name in names})
    for name in names:
        np.testing.assert_array_equal(getattr(module, name).data, 2 * W4)
    assert list(module.parameters()) == []
