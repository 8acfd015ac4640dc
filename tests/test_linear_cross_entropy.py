"""F.linear_cross_entropy, nn.LinearCrossEntropyLoss and nn.LinearCrossEntropyOptions: the
reference and chunked paths against the unfused linear + cross-entropy formula in numpy
float64, gradients against float64 finite differences, module layout, options and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn

RNG = np.random.default_rng(5)
Options = nn.LinearCrossEntropyOptions


def reference(x, w, t, b=None, weight=None, reduction="mean", ignore_index=-100, eps=0.0):
    """logits = x W^T + b, then cross-entropy with class indices by the documented formula:
    loss_i = (1 - eps) w[y_i] (-log p_iy) + eps / C sum_c w[c] (-log p_ic), 0 if ignored;
    'mean' divides by sum of w[y_i] over the rows not ignored."""
    z = x @ w.T + (0 if b is None else b)
    c = z.shape[1]
    cw = np.ones(c) if weight is None else weight
    losses, denom = [], 0.0
    for i in range(z.shape[0]):
        logp = z[i] - np.log(np.sum(np.exp(z[i] - z[i].max()))) - z[i].max()
        if t[i] == ignore_index:
            losses.append(0.0)
            continue
        nll = -logp[t[i]] * cw[t[i]]
        smooth = -np.sum(cw * logp) / c
        losses.append((1 - eps) * nll + eps * smooth)
        denom += cw[t[i]]
    losses = np.array(losses)
    if reduction == "none":
        return losses
    return losses.sum() / denom if reduction == "mean" else losses.sum()


OPTIONS = [None, Options(batch_chunk_size=2), Options(batch_chunk_size=3), Options(),
           Options(chunking_method="aspect_ratio:1"), Options(chunking_method=None)]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_values_match_the_unfused_formula(options, reduction):
    x = RNG.standard_normal((9, 4))
    w = RNG.standard_normal((6, 4))
    b = RNG.standard_normal(6)
    t = RNG.integers(0, 6, 9)
    t[[2, 7]] = -100
    cw = RNG.random(6) + 0.5
    for eps in (0.0, 0.25):
        out = F.linear_cross_entropy(Tensor(x), Tensor(w), Tensor(t), linear_bias=Tensor(b),
                                     weight=Tensor(cw), reduction=reduction,
                                     label_smoothing=eps, options=options)
        want = reference(x, w, t, b, cw, reduction, -100, eps)
        np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("options", [None, Options(batch_chunk_size=2), Options()])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradients_match_finite_differences(options, reduction):
    x = RNG.standard_normal((7, 3))
    w = RNG.standard_normal((5, 3))
    b = RNG.standard_normal(5)
    t = RNG.integers(0, 5, 7)
    t[4] = 2
    cw = RNG.random(5) + 0.5

    def loss(xx, ww, bb):
        return F.linear_cross_entropy(xx, ww, Tensor(t), linear_bias=bb, weight=Tensor(cw),
                                      reduction=reduction, ignore_index=2,
                                      label_smoothing=0.1, options=options)

    check_grads(loss, x, w, b)


def test_chunked_gradient_equals_the_reference_path_gradient():
    x = RNG.standard_normal((11, 4))
    w = RNG.standard_normal((7, 4))
    t = RNG.integers(0, 7, 11)
    grads = []
    for options in (None, Options(batch_chunk_size=4)):
        xt, wt = Tensor(x.copy(), requires_grad=True), Tensor(w.copy(), requires_grad=True)
        F.linear_cross_entropy(xt, wt, Tensor(t), options=options).backward()
        grads.append((xt.grad, wt.grad))
    np.testing.assert_allclose(grads[0][0], grads[1][0], atol=1e-13)
    np.testing.assert_allclose(grads[0][1], grads[1][1], atol=1e-13)


def test_unbatched_input_and_ignore_index_none_means_minus_100():
    x = RNG.standard_normal(4)
    w = RNG.standard_normal((3, 4))
    for options in (None, Options()):
        out = F.linear_cross_entropy(Tensor(x), Tensor(w), Tensor(np.array(2)), options=options)
        np.testing.assert_allclose(out.data, reference(x[None], w, [2]), rtol=1e-12)
        none = F.linear_cross_entropy(Tensor(x), Tensor(w), Tensor(np.array(2)),
                                      reduction="none", options=options)
        assert none.shape == ()
    t = np.array([0, -100, 1])
    xs = RNG.standard_normal((3, 4))
    out = F.linear_cross_entropy(Tensor(xs), Tensor(w), Tensor(t), options=Options())
    np.testing.assert_allclose(out.data, reference(xs, w, t), rtol=1e-12)


def test_k_dimensional_weight_and_probability_targets():
    x = RNG.standard_normal((5, 3))
    w = RNG.standard_normal((4, 2, 3))  # C = 4 classes at each of 2 positions
    b = RNG.standard_normal((4, 2))
    t = RNG.integers(0, 4, (5, 2))
    out = F.linear_cross_entropy(Tensor(x), Tensor(w), Tensor(t), linear_bias=Tensor(b),
                                 reduction="none")
    for d in range(2):  # logits (N, C, d): position d uses the weight rows w[:, d]
        want = reference(x, w[:, d], t[:, d], b[:, d], reduction="none")
        np.testing.assert_allclose(out.data[:, d], want, rtol=1e-12)
    probs = RNG.random((5, 4))
    probs /= probs.sum(1, keepdims=True)
    w2 = w[:, 0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = F.linear_cross_entropy(Tensor(x), Tensor(w2), Tensor(probs),
                                     label_smoothing=0.2, options=Options())
    assert any("falling back" in str(c.message) for c in caught)
    z = x @ w2.T
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    smoothed = 0.8 * probs + 0.2 / 4
    np.testing.assert_allclose(got.data, -(smoothed * logp).sum(1).mean(), rtol=1e-12)


def test_module_layout_state_dict_and_forward():
    loss = nn.LinearCrossEntropyLoss(5, 3, out_features=(2,), bias=True,
                                     weight=Tensor(np.array([1.0, 2.0, 3.0])))
    keys = list(loss.state_dict())
    assert keys == ["weight", "linear.weight", "linear.bias"]
    assert loss.linear.weight.shape == (6, 5) and loss.linear.bias.shape == (6,)
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    t = RNG.integers(0, 3, (4, 2))
    out = loss(Tensor(x), Tensor(t))
    w = loss.linear.weight.data.astype(np.float64).reshape(3, 2, 5)
    b = loss.linear.bias.data.astype(np.float64).reshape(3, 2)
    cw = np.array([1.0, 2.0, 3.0])
    # 'mean' over both positions: one weighted sum, one shared denominator
    num = sum(reference(x.astype(np.float64), w[:, d], t[:, d], b[:, d], cw, "sum")
              for d in range(2))
    den = sum(cw[t[:, d]].sum() for d in range(2))
    np.testing.assert_allclose(out.data, num / den, rtol=1e-5)
    assert "num_classes=3" in repr(loss) and "out_features=(2,)" in repr(loss)
    plain = nn.LinearCrossEntropyLoss(5, 3)
    assert list(plain.state_dict()) == ["linear.weight"]


def test_options_and_argument_errors():
    with pytest.raises(ValueError, match="batch_chunk_size"):
        Options(batch_chunk_size=0)
    with pytest.raises(ValueError, match="chunking_method"):
        Options(chunking_method="aspect_ratio:0")
    with pytest.raises(ValueError, match="acc_policy"):
        Options(acc_policy="fast")
    x, w = Tensor(np.ones((2, 3))), Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match="input of shape"):
        F.linear_cross_entropy(Tensor(np.ones((2, 2))), w, Tensor(np.array([0, 1])))
    with pytest.raises(ValueError, match="batched input"):
        F.linear_cross_entropy(Tensor(np.ones(3)), Tensor(np.ones((4, 2, 3))),
                               Tensor(np.array([0, 1])))
    with pytest.raises(ValueError, match="out of range"):
        F.linear_cross_entropy(x, w, Tensor(np.array([0, 9])), options=Options())
    with pytest.raises(ValueError, match="reduction"):
        F.linear_cross_entropy(x, w, Tensor(np.array([0, 1])), reduction="avg",
                               options=Options())
    with pytest.raises(TypeError, match="options"):
        F.linear_cross_entropy(x, w, Tensor(np.array([0, 1])), options={"batch_chunk_size": 2})
    with pytest.raises(ValueError, match="num_classes"):
        nn.LinearCrossEntropyLoss(3, 0)
    with pytest.raises(ValueError, match="CPU"):
        nn.LinearCrossEntropyLoss(3, 2, device="cuda")


def test_float32_stays_float32_on_the_chunked_path():
    x = Tensor(RNG.standard_normal((6, 3)).astype(np.float32), requires_grad=True)
    w = Tensor(RNG.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    out = F.linear_cross_entropy(x, w, Tensor(RNG.integers(0, 4, 6)), options=Options())
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    assert tg.nn.functional.linear_cross_entropy is F.linear_cross_entropy
