"""Finite-difference gradient checks (float64) for every layer of nn.

`check_grads` projects the output on a fixed random direction R, so one backward pass with
gradient=R gives d<R, f(x)>/dx, and compares it with central differences of the same
scalar, element by element. Other nn test files import it from here.
"""

import numpy as np
import pytest
from conv_paths import PATHS, use_conv_path

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, manual_seed, nn
from tinygrad_opt.nn.lora import _lora_linear


def check_grads(fn, *arrays, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0):
    """fn(*tensors) -> Tensor; checks the gradient of every float64 input array."""
    rng = np.random.default_rng(seed)
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*tensors)
    direction = rng.standard_normal(out.shape)
    out.backward(gradient=direction)
    for index, (array, tensor) in enumerate(zip(arrays, tensors)):
        numeric = np.zeros_like(array)
        flat = numeric.reshape(-1)
        for k in range(array.size):
            shifted = [a.copy() for a in arrays]
            shifted[index].reshape(-1)[k] += eps
            plus = np.sum(fn(*[Tensor(a) for a in shifted]).data * direction)
            shifted[index].reshape(-1)[k] -= 2 * eps
            minus = np.sum(fn(*[Tensor(a) for a in shifted]).data * direction)
            flat[k] = (plus - minus) / (2 * eps)
        assert tensor.grad is not None, f"input {index} got no gradient"
        np.testing.assert_allclose(tensor.grad, numeric, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {index}")


def randn(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def test_check_grads_catches_a_wrong_rule():
    def wrong_square(t):
        return Tensor.make(t.data ** 2, (t,), lambda g: (g * t.data,))  # should be 2 x g
    with pytest.raises(AssertionError):
        check_grads(wrong_square, randn(3))


def test_linear_grads_with_and_without_bias():
    check_grads(F.linear, randn(4, 5), randn(3, 5, seed=2), randn(3, seed=3))
    check_grads(F.linear, randn(2, 4, 5), randn(3, 5, seed=2))
    check_grads(F.linear, randn(4, 5), randn(3, 5, seed=2), randn(1, seed=3))  # broadcast


def test_linear_with_zero_input_or_output_features():
    # no inputs: y = bias in every row, dy/dW is (out, 0), db sums the rows
    x = Tensor(np.zeros((4, 0)), requires_grad=True)
    w, b = Tensor(np.zeros((3, 0)), requires_grad=True), Tensor(randn(3), requires_grad=True)
    y = F.linear(x, w, b)
    np.testing.assert_array_equal(y.data, np.broadcast_to(b.data, (4, 3)))
    y.sum().backward()
    assert x.grad.shape == (4, 0) and w.grad.shape == (3, 0)
    np.testing.assert_array_equal(b.grad, [4.0, 4.0, 4.0])
    # no outputs: an empty result whose gradient w.r.t. x is zero
    x = Tensor(randn(2, 5), requires_grad=True)
    y = F.linear(x, Tensor(np.zeros((0, 5)), requires_grad=True))
    assert y.shape == (2, 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 5)))


def test_bilinear_and_lora_with_an_empty_batch_or_no_outputs():
    # the same reshape as Linear's: numpy cannot infer -1 when a size is 0
    x1 = Tensor(np.zeros((0, 2)), requires_grad=True)
    y = F.bilinear(x1, Tensor(np.zeros((0, 4))), Tensor(randn(3, 2, 4)), Tensor(randn(3)))
    assert y.shape == (0, 3)
    y.sum().backward()
    assert x1.grad.shape == (0, 2)
    x1 = Tensor(randn(5, 2), requires_grad=True)
    y = F.bilinear(x1, Tensor(randn(5, 4, seed=2)), Tensor(np.zeros((0, 2, 4))))
    assert y.shape == (5, 0)
    y.sum().backward()
    np.testing.assert_array_equal(x1.grad, np.zeros((5, 2)))  # no output depends on x1
    manual_seed(0)
    lora = nn.LoRALinear(nn.Linear(3, 0), r=2)
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    y = lora(x)
    assert y.shape == (4, 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((4, 3)))


@pytest.mark.parametrize("shape", [(2,), (3, 1), (1, 3)])
def test_linear_refuses_a_bias_that_is_not_one_per_output(shape):
    with pytest.raises(ValueError, match=r"expected bias of shape \(3,\)"):
        F.linear(*(Tensor(a) for a in (randn(2, 5), randn(3, 5, seed=2), randn(*shape, seed=3))))


@pytest.mark.parametrize(
    "stride,padding,dilation",
    [(1, 0, 1), (2, 1, 1), ((2, 1), (0, 2), 1), (1, 1, 2), (3, 2, 1), (1, "same", 1),
     (1, 1, (2, 1))],
)
@pytest.mark.parametrize("path", PATHS)
def test_conv2d_grads(stride, padding, dilation, path, monkeypatch):
    routes = use_conv_path(monkeypatch, path)
    check_grads(
        lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation),
        randn(2, 3, 6, 7), randn(4, 3, 3, 3, seed=2), randn(4, seed=3),
    )
    routes.skip_unless_taken()


def test_conv2d_grads_with_many_channels():
    check_grads(lambda x, w: F.conv2d(x, w, stride=2, padding=1), randn(2, 9, 5, 5),
                randn(2, 9, 3, 3, seed=2))


@pytest.mark.parametrize("path", PATHS)
def test_conv2d_pointwise_and_unbatched_grads(path, monkeypatch):
    # a pointwise conv is one plain product on every path (conv.py); the unbatched one
    # takes the forced path
    routes = use_conv_path(monkeypatch, path)
    check_grads(lambda x, w: F.conv2d(x, w), randn(2, 3, 4, 4), randn(5, 3, 1, 1, seed=2))
    check_grads(lambda x, w: F.conv2d(x, w, padding=1), randn(1, 3, 3, 4),
                randn(2, 3, 1, 1, seed=2))  # padded: not a plain product
    check_grads(lambda x, w: F.conv2d(x, w, padding=1), randn(2, 5, 5), randn(3, 2, 3, 2, seed=2))
    routes.assert_taken()


@pytest.mark.parametrize(
    "kernel,stride,padding,ceil_mode",
    [(2, None, 0, False), (3, 2, 1, False), ((3, 2), (1, 2), (1, 0), False), (3, 2, 0, True)],
)
def test_pool_grads(kernel, stride, padding, ceil_mode):
    x = randn(2, 3, 7, 6)  # distinct values: no ties, so max pooling is differentiable here
    check_grads(lambda t: F.max_pool2d(t, kernel, stride, padding, ceil_mode=ceil_mode), x)
    check_grads(lambda t: F.avg_pool2d(t, kernel, stride, padding, ceil_mode), x)
    check_grads(
        lambda t: F.avg_pool2d(t, kernel, stride, padding, ceil_mode, count_include_pad=False), x
    )


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 5)])
def test_batch_norm_training_grads(shape):
    rm, rv = np.zeros(3), np.ones(3)
    check_grads(
        lambda x, w, b: F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=True),
        randn(*shape), randn(3, seed=2), randn(3, seed=3),
    )


def test_batch_norm_eval_grads():
    rm, rv = randn(3, seed=4), np.abs(randn(3, seed=5)) + 0.5
    check_grads(
        lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False),
        randn(3, 3, 4, 2), randn(3, seed=2), randn(3, seed=3),
    )


def test_batchnorm_modules_in_both_modes():
    for mode in ("train", "eval"):
        layer = nn.BatchNorm2d(2, dtype=np.float64)
        layer.running_mean.data[:] = [0.3, -0.2]
        layer.running_var.data[:] = [1.5, 0.7]
        layer.train(mode == "train")
        check_grads(layer, randn(3, 2, 3, 3))


def test_layer_norm_grads():
    check_grads(
        lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
        randn(2, 3, 4), randn(3, 4, seed=2), randn(3, 4, seed=3),
    )
    check_grads(lambda x: F.layer_norm(x, 5), randn(4, 5))


@pytest.mark.parametrize(
    "fn",
    [F.relu, F.tanh, F.sigmoid, F.silu, lambda t: F.leaky_relu(t, 0.2), F.gelu,
     lambda t: F.gelu(t, approximate="tanh"), lambda t: F.softmax(t, dim=1),
     lambda t: F.log_softmax(t, dim=0)],
)
def test_activation_grads(fn):
    x = randn(3, 4) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep relu/leaky_relu away from their kink
    check_grads(fn, x)


def test_activation_kinks_follow_pytorch():
    x = Tensor(np.array([-1.0, 0.0, 1.0]), requires_grad=True)
    F.relu(x).backward(gradient=np.array([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(x.grad, [0, 0, 1])  # relu'(0) = 0
    x.grad = None
    F.leaky_relu(x, 0.2).backward(gradient=np.array([1.0, 1.0, 1.0]))
    np.testing.assert_allclose(x.grad, [0.2, 0.2, 1])  # x > 0 ? 1 : slope, so slope at 0


def test_dropout_grads_with_a_fixed_mask():
    def seeded_dropout(t):
        manual_seed(7)
        return F.dropout(t, p=0.4, training=True)
    check_grads(seeded_dropout, randn(5, 6))


def test_flatten_and_embedding_grads():
    check_grads(lambda t: F.flatten(t, 1), randn(2, 3, 4))
    idx = np.array([[0, 2, 2], [1, 0, 3]])
    check_grads(lambda w: F.embedding(idx, w), randn(4, 3))


def test_embedding_padding_row_gets_no_gradient():
    """As torch.nn.Embedding: a negative padding_idx counts from the end; that row starts at
    zero and receives no gradient, while repeated indices add up."""
    manual_seed(0)
    layer = nn.Embedding(5, 3, padding_idx=-1, dtype=np.float64)
    assert layer.padding_idx == 4
    np.testing.assert_array_equal(layer.weight.data[4], 0)
    idx = np.array([[4, 1, 4], [1, 0, 2]])
    g = randn(2, 3, 3)
    layer(Tensor(idx)).backward(gradient=g)
    expected = np.zeros((5, 3))
    for (i, j), row in np.ndenumerate(idx):
        if row != 4:
            expected[row] += g[i, j]
    np.testing.assert_allclose(layer.weight.grad, expected, rtol=1e-15)


def test_lora_linear_grads():
    manual_seed(0)
    base = nn.Linear(5, 3, dtype=np.float64)
    base.requires_grad_(False)
    check_grads(
        lambda x, a, b: _lora_linear(x, base, a, b, scaling=2.0, p=0.0),
        randn(4, 5), randn(2, 5, seed=2), randn(3, 2, seed=3),
    )

    def with_dropout(x, a, b):  # the same mask on every call: a fixed function of x, A, B
        manual_seed(11)
        return _lora_linear(x, base, a, b, scaling=2.0, p=0.4)

    x, a, b = randn(6, 5), randn(2, 5, seed=2), randn(3, 2, seed=3)
    no_mask = _lora_linear(Tensor(x), base, Tensor(a), Tensor(b), scaling=2.0, p=0.0)
    assert not np.allclose(with_dropout(Tensor(x), Tensor(a), Tensor(b)).data, no_mask.data)
    check_grads(with_dropout, x, a, b)


def test_functional_exposes_every_loss_of_the_loss_module():
    from tinygrad_opt import loss

    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy",
                 "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"):
        assert getattr(F, name) is getattr(loss, name), name
    with pytest.raises(AttributeError, match="no attribute 'not_a_loss'"):
        F.not_a_loss  # noqa: B018


def test_whole_small_cnn_grads_through_channels_last_layouts():
    # conv -> BN -> relu -> pool -> conv -> relu -> avgpool -> flatten -> linear -> CE: the
    # intermediate arrays are channels-last views, which every consumer must read correctly
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 8, 8))
    labels = np.array([0, 2, 1])
    from tinygrad_opt import loss

    def net(w1, w2, w3):
        h = F.conv2d(x_t, w1, padding=1)
        h = F.batch_norm(h, None, None, training=True)
        h = F.max_pool2d(F.relu(h), 2)
        h = F.avg_pool2d(F.relu(F.conv2d(h, w2, stride=1, padding=1)), 2)
        return loss.cross_entropy(F.linear(F.flatten(h, 1), w3), labels)

    x_t = Tensor(x)
    check_grads(net, randn(4, 2, 3, 3, seed=6), randn(5, 4, 3, 3, seed=7), randn(3, 20, seed=8))
