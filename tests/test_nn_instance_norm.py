"""InstanceNorm1d/2d and F.instance_norm: values against a numpy loop over every (sample,
channel) plane, the running statistics against the documented update (batch average of the
planes' means and unbiased variances), eval with running statistics, gradients by finite
differences in float64, state_dict keys, and the errors for bad input."""

import warnings

import numpy as np
import pytest
from test_nn_gradcheck import check_grads, randn

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn


def ref_instance_norm(x, w=None, b=None, eps=1e-5):
    """Normalise each x[n, c] by its own mean and biased variance, one plane at a time."""
    out = np.empty_like(x, dtype=np.float64)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            plane = x[n, c].astype(np.float64)
            mean = plane.sum() / plane.size
            var = ((plane - mean) ** 2).sum() / plane.size
            y = (plane - mean) / np.sqrt(var + eps)
            out[n, c] = y * (1.0 if w is None else w[c]) + (0.0 if b is None else b[c])
    return out


def ref_running_update(x, running_mean, running_var, momentum):
    """running = (1 - momentum) * running + momentum * (batch mean of per-plane stats)."""
    n, c = x.shape[:2]
    means, variances = np.zeros((n, c)), np.zeros((n, c))
    for i in range(n):
        for j in range(c):
            plane = x[i, j].ravel()
            means[i, j] = plane.sum() / plane.size
            variances[i, j] = ((plane - means[i, j]) ** 2).sum() / (plane.size - 1)
    new_mean = (1 - momentum) * running_mean + momentum * means.sum(axis=0) / n
    new_var = (1 - momentum) * running_var + momentum * variances.sum(axis=0) / n
    return new_mean, new_var


@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 2, 4, 5), (1, 4, 3, 2, 2)])
def test_instance_norm_values_and_grads(shape):
    x = randn(*shape) * 3 + 2
    c = shape[1]
    w, b = randn(c, seed=2), randn(c, seed=3)
    out = F.instance_norm(Tensor(x), weight=Tensor(w), bias=Tensor(b))
    np.testing.assert_allclose(out.data, ref_instance_norm(x, w, b), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F.instance_norm(Tensor(x), eps=0.5).data,
                               ref_instance_norm(x, eps=0.5), rtol=1e-10, atol=1e-12)
    check_grads(lambda t, wt, bt: F.instance_norm(t, weight=wt, bias=bt), x, w, b)
    check_grads(lambda t: F.instance_norm(t), x)


def test_functional_running_stats_update_and_use():
    x = randn(4, 3, 6) * 2 + 1
    rm, rv = randn(3, seed=5), np.abs(randn(3, seed=6)) + 0.5
    running_mean, running_var = rm.copy(), rv.copy()
    out = F.instance_norm(Tensor(x), running_mean, running_var, momentum=0.3)
    np.testing.assert_allclose(out.data, ref_instance_norm(x), rtol=1e-10, atol=1e-12)
    expected_mean, expected_var = ref_running_update(x, rm, rv, 0.3)
    np.testing.assert_allclose(running_mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(running_var, expected_var, rtol=1e-12)
    # use_input_stats=False: (x - running_mean) / sqrt(running_var + eps) * w + b per channel
    w, b = randn(3, seed=7), randn(3, seed=8)
    out = F.instance_norm(Tensor(x), running_mean, running_var, Tensor(w), Tensor(b),
                          use_input_stats=False)
    shape = (1, 3, 1)
    expected = ((x - running_mean.reshape(shape)) / np.sqrt(running_var.reshape(shape) + 1e-5)
                * w.reshape(shape) + b.reshape(shape))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    np.testing.assert_allclose(running_mean, expected_mean, rtol=1e-12)  # not updated
    check_grads(lambda t, wt, bt: F.instance_norm(t, running_mean, running_var, wt, bt,
                                                  use_input_stats=False), x, w, b)


def test_module_defaults_state_dict_and_repr():
    layer = nn.InstanceNorm2d(3)
    assert list(layer.state_dict()) == []
    assert layer.weight is None and layer.running_mean is None
    assert repr(layer) == ("InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                           "track_running_stats=False)")
    tracked = nn.InstanceNorm1d(4, affine=True, track_running_stats=True)
    assert list(tracked.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                          "num_batches_tracked"]
    assert repr(tracked) == ("InstanceNorm1d(4, eps=1e-05, momentum=0.1, affine=True, "
                             "bias=True, track_running_stats=True)")
    assert list(nn.InstanceNorm1d(4, affine=True).state_dict()) == ["weight", "bias"]
    assert list(nn.InstanceNorm1d(4, track_running_stats=True).state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(tracked.weight.data, 1)
    np.testing.assert_array_equal(tracked.bias.data, 0)


@pytest.mark.parametrize("cls,shape", [(nn.InstanceNorm1d, (3, 4, 6)),
                                       (nn.InstanceNorm2d, (2, 4, 3, 5))])
def test_module_training_updates_running_stats_and_eval_uses_them(cls, shape):
    layer = cls(4, momentum=0.2, affine=True, track_running_stats=True, dtype=np.float64)
    layer.weight.data[...] = randn(4, seed=9)
    layer.bias.data[...] = randn(4, seed=10)
    rm, rv = np.zeros(4), np.ones(4)
    for step in range(3):
        x = randn(*shape, seed=20 + step) * (step + 1) + step
        out = layer(Tensor(x))
        np.testing.assert_allclose(
            out.data, ref_instance_norm(x, layer.weight.data, layer.bias.data), rtol=1e-10,
            atol=1e-12)
        rm, rv = ref_running_update(x, rm, rv, 0.2)
        np.testing.assert_allclose(layer.running_mean.data, rm, rtol=1e-12)
        np.testing.assert_allclose(layer.running_var.data, rv, rtol=1e-12)
    assert int(layer.num_batches_tracked.data) == 0  # never counted, as PyTorch
    layer.eval()
    x = randn(*shape, seed=30)
    stat_shape = (1, 4) + (1,) * (len(shape) - 2)
    expected = ((x - rm.reshape(stat_shape)) / np.sqrt(rv.reshape(stat_shape) + 1e-5)
                * layer.weight.data.reshape(stat_shape) + layer.bias.data.reshape(stat_shape))
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-12)
    np.testing.assert_allclose(layer.running_mean.data, rm, rtol=1e-12)  # eval: unchanged


def test_without_tracking_eval_still_uses_instance_stats_and_momentum_none_freezes():
    x = randn(2, 3, 7)
    layer = nn.InstanceNorm1d(3).eval()
    np.testing.assert_allclose(layer(Tensor(x)).data, ref_instance_norm(x), rtol=1e-5,
                               atol=1e-6)
    frozen = nn.InstanceNorm1d(3, momentum=None, track_running_stats=True)
    frozen(Tensor(x))
    np.testing.assert_array_equal(frozen.running_mean.data, 0)
    np.testing.assert_array_equal(frozen.running_var.data, 1)


def test_unbatched_input_and_float32():
    x = randn(3, 4, 5).astype(np.float32)
    layer = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    t = Tensor(x, requires_grad=True)
    out = layer(t)
    assert out.shape == (3, 4, 5) and out.data.dtype == np.float32
    np.testing.assert_allclose(out.data, ref_instance_norm(x[None])[0], rtol=1e-4, atol=1e-5)
    rm, rv = ref_running_update(x[None].astype(np.float64), np.zeros(3), np.ones(3), 0.1)
    np.testing.assert_allclose(layer.running_mean.data, rm, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(layer.running_var.data, rv, rtol=1e-5)
    out.sum().backward()
    assert t.grad.shape == x.shape and t.grad.dtype == np.float32
    check_grads(nn.InstanceNorm1d(2, affine=True, dtype=np.float64), randn(2, 6))


def test_channel_mismatch_warns_without_affine_and_raises_with_it():
    x = Tensor(randn(2, 4, 5))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        out = nn.InstanceNorm1d(3)(x)
    np.testing.assert_allclose(out.data, ref_instance_norm(x.data), rtol=1e-5, atol=1e-6)
    affine = nn.InstanceNorm1d(3, affine=True)
    with pytest.raises(ValueError, match=r"size at dim=1 to match num_features \(3\), but got: 4"):
        affine(x)
    tracked = nn.InstanceNorm1d(3, track_running_stats=True)
    with pytest.raises(ValueError, match=r"num_features \(3\), but got: 4"):
        tracked(x)
    np.testing.assert_array_equal(tracked.running_mean.data, 0)  # state unchanged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.InstanceNorm1d(4)(x)  # matching channels: no warning


ERRORS = [
    (ValueError, r"InstanceNorm1d: expected 2D or 3D input \(got 4D input\)",
     lambda: nn.InstanceNorm1d(3)(Tensor(randn(2, 3, 4, 5)))),
    (ValueError, r"InstanceNorm2d: expected 3D or 4D input \(got 2D input\)",
     lambda: nn.InstanceNorm2d(3)(Tensor(randn(3, 4)))),
    (ValueError, r"more than 1 spatial element when training, got input size \(2, 3, 1\)",
     lambda: nn.InstanceNorm1d(3)(Tensor(randn(2, 3, 1)))),
    (ValueError, "expected running_mean and running_var to be defined when use_input_stats",
     lambda: F.instance_norm(Tensor(randn(2, 3, 4)), use_input_stats=False)),
    (ValueError, "running_mean and running_var must either both be None or neither",
     lambda: F.instance_norm(Tensor(randn(2, 3, 4)), np.zeros(3), None)),
    (ValueError, r"weight must have shape \(3,\), got \(4,\)",
     lambda: F.instance_norm(Tensor(randn(2, 3, 4)), weight=Tensor(np.ones(4)))),
    (ValueError, r"running_var must have shape \(3,\), got \(2,\)",
     lambda: F.instance_norm(Tensor(randn(2, 3, 4)), np.zeros(3), np.ones(2))),
    (ValueError, r"expected input of shape \(N, C, \*\) with C >= 1",
     lambda: F.instance_norm(Tensor(randn(3)))),
    (TypeError, "expected a floating-point input",
     lambda: F.instance_norm(Tensor(np.zeros((2, 3, 4), dtype=np.int64)))),
    (ValueError, "num_features must be a positive int, got 0", lambda: nn.InstanceNorm1d(0)),
    (ValueError, r"momentum must be in \[0, 1\] or None, got 2", lambda: nn.InstanceNorm2d(
        3, momentum=2)),
]


@pytest.mark.parametrize("error,message,call", ERRORS)
def test_bad_input(error, message, call):
    with pytest.raises(error, match=message):
        call()


def test_bad_input_leaves_running_stats_unchanged():
    running_mean, running_var = np.zeros(3), np.ones(3)
    with pytest.raises(ValueError):
        F.instance_norm(Tensor(randn(2, 3, 4)), running_mean, running_var,
                        weight=Tensor(np.ones(2)))
    with pytest.raises(ValueError):
        F.instance_norm(Tensor(randn(2, 3, 1)), running_mean, running_var)
    np.testing.assert_array_equal(running_mean, 0)
    np.testing.assert_array_equal(running_var, 1)


def test_empty_batch_keeps_running_stats():
    layer = nn.InstanceNorm1d(3, track_running_stats=True)
    assert layer(Tensor(np.zeros((0, 3, 5)))).shape == (0, 3, 5)
    np.testing.assert_array_equal(layer.running_mean.data, 0)
    np.testing.assert_array_equal(layer.running_var.data, 1)


def test_exported():
    assert "InstanceNorm1d" in nn.__all__ and "InstanceNorm2d" in nn.__all__
    assert "instance_norm" in F.__all__
