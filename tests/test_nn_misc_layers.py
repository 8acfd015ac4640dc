"""PReLU, RReLU, GLU, Threshold, Softmin, Softmax2d, Hardshrink, Softshrink, the padding
layers, Bilinear, parameters_to_vector / vector_to_parameters and init.eye_ / dirac_ /
sparse_: values against numpy formulas and loops from the documented definitions, float64
finite-difference gradients, parameter names and the errors for bad arguments."""

import math

import numpy as np
import pytest
from test_nn_gradcheck import check_grads, randn

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, manual_seed, nn


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def kink_free(x, kinks):
    for kink in kinks:
        x[np.abs(x - kink) < 1e-3] += 0.01
    return x


# name: (F form, module, numpy reference, kinks)
ACTIVATIONS = {
    "threshold": (lambda t: F.threshold(t, 0.3, -2.0), nn.Threshold(0.3, -2.0),
                  lambda x: np.where(x > 0.3, x, -2.0), (0.3,)),
    "hardshrink": (lambda t: F.hardshrink(t, 0.7), nn.Hardshrink(0.7),
                   lambda x: np.where(np.abs(x) > 0.7, x, 0.0), (0.7, -0.7)),
    "softshrink": (lambda t: F.softshrink(t, 0.7), nn.Softshrink(0.7),
                   lambda x: np.where(x > 0.7, x - 0.7, np.where(x < -0.7, x + 0.7, 0.0)),
                   (0.7, -0.7)),
    "softmin": (lambda t: F.softmin(t, 1), nn.Softmin(1), lambda x: np_softmax(-x, 1), ()),
    "glu": (lambda t: F.glu(t, 1), nn.GLU(1),
            lambda x: x[:, :2] * np_sigmoid(x[:, 2:]), ()),
    "rrelu_eval": (F.rrelu, nn.RReLU().eval(),
                   lambda x: np.where(x >= 0, x, x * (1 / 8 + 1 / 3) / 2), (0.0,)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_values_match_the_definition(name):
    fn, module, reference, _ = ACTIVATIONS[name]
    x = np.linspace(-3, 3, 48).reshape(3, 4, 4)
    np.testing.assert_allclose(fn(Tensor(x)).data, reference(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(module(Tensor(x)).data, reference(x), rtol=1e-12, atol=1e-14)
    out32 = fn(Tensor(x.astype(np.float32))).data
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, reference(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_gradients_by_finite_differences(name):
    fn, module, _, kinks = ACTIVATIONS[name]
    check_grads(fn, kink_free(randn(3, 4, 2) * 2, kinks))
    check_grads(module, kink_free(randn(2, 4, seed=3) * 2, kinks))


def test_shrink_and_threshold_gradients_at_the_kinks_are_zero():
    x = Tensor(np.array([-0.5, 0.5, 0.2]), requires_grad=True)
    F.hardshrink(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 0])
    x.grad = None
    F.softshrink(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 0])
    x.grad = None
    F.threshold(x, 0.2, 5.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 0])


def test_threshold_keeps_nan_visible():
    # the rule is "value where x <= threshold": NaN is not <= anything, so it stays NaN
    x = Tensor(np.array([np.nan, 0.1, 0.9], dtype=np.float32), requires_grad=True)
    out = F.threshold(x, 0.5, 2.0)
    np.testing.assert_array_equal(out.data, np.array([np.nan, 2.0, 0.9], dtype=np.float32))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 0, 1])


def test_softmax2d_is_a_softmax_over_channels():
    x = randn(2, 3, 4, 5)
    np.testing.assert_allclose(nn.Softmax2d()(Tensor(x)).data, np_softmax(x, 1), rtol=1e-12)
    np.testing.assert_allclose(nn.Softmax2d()(Tensor(x[0])).data, np_softmax(x[0], 0), rtol=1e-12)
    check_grads(nn.Softmax2d(), randn(2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) or \(C, H, W\)"):
        nn.Softmax2d()(Tensor(randn(3, 4)))


def test_softmin_default_dim_and_dtype():
    x = randn(5)
    np.testing.assert_allclose(F.softmin(Tensor(x)).data, np_softmax(-x, 0), rtol=1e-12)
    out = F.softmin(Tensor(x.astype(np.float32)), 0, dtype=np.float64)
    assert out.dtype == np.float64


def np_prelu(x, a):
    shape = (1, -1) + (1,) * (x.ndim - 2) if a.size > 1 else ()
    return np.where(x > 0, x, a.reshape(shape) * x)


@pytest.mark.parametrize("channels", [1, 3])
def test_prelu_values_and_gradients_for_input_and_weight(channels):
    x = kink_free(randn(2, 3, 4), (0.0,))
    a = randn(channels, seed=7)
    np.testing.assert_allclose(F.prelu(Tensor(x), Tensor(a)).data, np_prelu(x, a), rtol=1e-12)
    check_grads(F.prelu, x, a)
    check_grads(F.prelu, kink_free(randn(2, 3), (0.0,)), a)


def test_prelu_module_parameter_and_errors():
    layer = nn.PReLU(3, init=0.1)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert list(layer.state_dict()) == ["weight"]
    np.testing.assert_array_equal(layer.weight.data, np.full(3, 0.1, dtype=np.float32))
    assert layer.weight.dtype == np.float32 and repr(layer) == "PReLU(num_parameters=3)"
    x = Tensor(randn(2, 3, 2).astype(np.float32))
    layer(x).sum().backward()
    assert layer.weight.grad.shape == (3,)
    with pytest.raises(ValueError, match="channel size"):
        layer(Tensor(randn(2, 4)))
    with pytest.raises(ValueError, match="num_parameters"):
        nn.PReLU(0)
    x1 = randn(4)  # no channel axis: one slope only
    np.testing.assert_allclose(nn.PReLU()(Tensor(x1)).data, np.where(x1 > 0, x1, 0.25 * x1),
                               rtol=1e-6)


def test_rrelu_training_draws_seeded_slopes_in_range():
    x = -np.abs(randn(2000)) - 0.1
    layer = nn.RReLU(0.1, 0.3)
    manual_seed(5)
    out = layer(Tensor(x)).data
    slopes = out / x
    assert np.all((slopes >= 0.1) & (slopes <= 0.3))
    assert abs(slopes.mean() - 0.2) < 0.01 and slopes.std() > 0.05  # U(0.1, 0.3): std 0.058
    manual_seed(5)
    np.testing.assert_array_equal(layer(Tensor(x)).data, out)
    positive = np.abs(randn(10)) + 0.1
    np.testing.assert_array_equal(layer(Tensor(positive)).data, positive)
    layer.eval()
    np.testing.assert_allclose(layer(Tensor(x)).data, 0.2 * x, rtol=1e-12)


def test_rrelu_training_gradient_is_the_drawn_slope():
    x = Tensor(randn(50), requires_grad=True)
    manual_seed(1)
    out = F.rrelu(x, training=True)
    out.sum().backward()
    expected = np.where(x.data > 0, 1.0, out.data / x.data)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)
    assert repr(nn.RReLU()) == "RReLU(lower=0.125, upper=0.3333333333333333)"
    with pytest.raises(ValueError, match="lower"):
        nn.RReLU(0.5, 0.1)


def test_activation_errors():
    with pytest.raises(ValueError, match="dimension 1 is size 3"):
        F.glu(Tensor(randn(2, 3)), 1)
    with pytest.raises(ValueError, match="lambd must be a number >= 0"):
        F.softshrink(Tensor(randn(3)), -1.0)
    with pytest.raises(ValueError, match="lambd must be a number >= 0"):
        nn.Hardshrink(-0.1)
    with pytest.raises(TypeError, match="floating-point"):
        F.hardshrink(Tensor(np.arange(3)))


# --------------------------------------------------------------------------------- padding
NP_MODES = {"Zero": "constant", "Constant": "constant", "Reflection": "reflect",
            "Replication": "edge", "Circular": "wrap"}


def np_padded(x, amounts, kind, value=0.0):
    """np.pad with torch's flat (last dimension first) amounts."""
    widths = [(0, 0)] * x.ndim
    for i in range(len(amounts) // 2):
        widths[x.ndim - 1 - i] = (amounts[2 * i], amounts[2 * i + 1])
    if kind == "Constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode=NP_MODES[kind])


@pytest.mark.parametrize("kind", list(NP_MODES))
@pytest.mark.parametrize("dims,padding,shape", [
    (1, 2, (2, 3, 5)), (1, (3, 1), (3, 5)), (2, 1, (2, 2, 4, 5)), (2, (2, 0, 1, 3), (3, 4, 5)),
])
def test_padding_layers_match_numpy_pad(kind, dims, padding, shape):
    cls = getattr(nn, f"{kind}Pad{dims}d")
    layer = cls(padding, 1.5) if kind == "Constant" else cls(padding)
    amounts = (padding,) * (2 * dims) if isinstance(padding, int) else padding
    assert layer.padding == tuple(amounts)
    x = randn(*shape)
    expected = np_padded(x, amounts, kind, 1.5)
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=0, atol=0)
    check_grads(layer, randn(*shape, seed=4))


def test_padding_layer_reprs_and_errors():
    assert repr(nn.ZeroPad2d(2)) == "ZeroPad2d((2, 2, 2, 2))"
    assert repr(nn.ConstantPad1d((1, 2), 3.5)) == "ConstantPad1d(padding=(1, 2), value=3.5)"
    assert repr(nn.ReflectionPad1d(1)) == "ReflectionPad1d((1, 1))"
    assert list(nn.CircularPad2d(1).state_dict()) == []
    with pytest.raises(TypeError, match="an int or a tuple of 4 ints"):
        nn.ReplicationPad2d((1, 2))
    with pytest.raises(ValueError, match="reflect padding must be less than"):
        nn.ReflectionPad1d(3)(Tensor(randn(2, 3)))


# -------------------------------------------------------------------------------- bilinear
def naive_bilinear(x1, x2, w, b):
    out = np.zeros((x1.shape[0], w.shape[0]))
    for n in range(x1.shape[0]):
        for k in range(w.shape[0]):
            out[n, k] = sum(x1[n, i] * w[k, i, j] * x2[n, j]
                            for i in range(w.shape[1]) for j in range(w.shape[2]))
            out[n, k] += 0.0 if b is None else b[k]
    return out


def test_bilinear_values_and_gradients():
    x1, x2, w, b = randn(4, 3), randn(4, 2, seed=2), randn(5, 3, 2, seed=3), randn(5, seed=4)
    out = F.bilinear(Tensor(x1), Tensor(x2), Tensor(w), Tensor(b))
    np.testing.assert_allclose(out.data, naive_bilinear(x1, x2, w, b), rtol=1e-12)
    np.testing.assert_allclose(F.bilinear(Tensor(x1), Tensor(x2), Tensor(w)).data,
                               naive_bilinear(x1, x2, w, None), rtol=1e-12)
    check_grads(F.bilinear, x1, x2, w, b)
    check_grads(F.bilinear, randn(2, 3, 3), randn(2, 3, 2, seed=2), w)  # leading dims


def test_bilinear_module_init_names_and_errors():
    manual_seed(0)
    layer = nn.Bilinear(16, 3, 40)
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert layer.weight.shape == (40, 16, 3) and layer.bias.shape == (40,)
    for p in (layer.weight.data, layer.bias.data):  # U(-1/sqrt(in1), 1/sqrt(in1)) = U(-.25, .25)
        assert np.abs(p).max() <= 0.25 and np.abs(p).max() > 0.2
    assert abs(layer.weight.data.std() - 0.25 / math.sqrt(3)) < 0.02
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None
    assert repr(nn.Bilinear(2, 3, 4)) == (
        "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)")
    x1, x2 = Tensor(randn(5, 16).astype(np.float32)), Tensor(randn(5, 3).astype(np.float32))
    assert layer(x1, x2).shape == (5, 40)
    with pytest.raises(ValueError, match=r"expected inputs of shape \(\*, 16\) and \(\*, 3\)"):
        layer(x2, x1)
    with pytest.raises(ValueError, match="leading dimensions must match"):
        layer(x1, Tensor(randn(4, 3).astype(np.float32)))


# --------------------------------------------------------------------------- utils and init
def test_parameters_to_vector_and_back():
    params = [Tensor(randn(2, 3), requires_grad=True), Tensor(randn(4, seed=2), requires_grad=True)]
    vec = nn.utils.parameters_to_vector(params)
    expected = np.concatenate([params[0].data.ravel(), params[1].data])
    np.testing.assert_array_equal(vec.data, expected)
    direction = randn(10, seed=3)
    vec.backward(gradient=direction)
    np.testing.assert_array_equal(params[0].grad, direction[:6].reshape(2, 3))
    np.testing.assert_array_equal(params[1].grad, direction[6:])
    views = [p.data for p in params]
    new = randn(10, seed=5)
    nn.utils.vector_to_parameters(Tensor(new), params)
    assert all(p.data is v for p, v in zip(params, views))  # filled in place
    np.testing.assert_array_equal(params[0].data.ravel(), new[:6])
    np.testing.assert_array_equal(params[1].data, new[6:])


def test_vector_to_parameters_errors_leave_parameters_unchanged():
    params = [Tensor(randn(2, 3)), Tensor(randn(4, seed=2))]
    before = [p.data.copy() for p in params]
    with pytest.raises(ValueError, match="vec has 11 elements but the parameters hold 10"):
        nn.utils.vector_to_parameters(Tensor(randn(11)), params)
    with pytest.raises(TypeError, match="expected vec to be a Tensor"):
        nn.utils.vector_to_parameters(randn(10), params)
    with pytest.raises(ValueError, match="1-D"):
        nn.utils.vector_to_parameters(Tensor(randn(2, 5)), params)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.data, b)


def test_init_eye_and_dirac():
    for shape in [(3, 5), (4, 2)]:
        a = np.full(shape, 7.0)
        nn.init.eye_(a)
        np.testing.assert_array_equal(a, [[float(i == j) for j in range(shape[1])]
                                          for i in range(shape[0])])
    w = np.full((6, 2, 3, 3), 5.0)
    nn.init.dirac_(w, groups=2)
    expected = np.zeros_like(w)
    for g in range(2):
        for d in range(2):  # min(out per group 3, in channels 2)
            expected[g * 3 + d, d, 1, 1] = 1
    np.testing.assert_array_equal(w, expected)
    x = randn(1, 4, 5, 6)  # a dirac conv weight copies its input channels
    k = Tensor(np.zeros((4, 4, 3, 3)))
    nn.init.dirac_(k)
    np.testing.assert_allclose(F.conv2d(Tensor(x), k, padding=1).data, x, atol=1e-12)
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.eye_(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.init.dirac_(np.zeros((3, 2, 2)), 2)
    with pytest.raises(ValueError, match="3, 4, or 5 dimensions"):
        nn.init.dirac_(np.zeros((3, 2)))


def test_init_sparse_zeros_a_fraction_of_every_column():
    manual_seed(3)
    w = Tensor(np.zeros((10, 400), dtype=np.float32))
    nn.init.sparse_(w, 0.25, std=0.5)
    zeros = (w.data == 0).sum(axis=0)
    np.testing.assert_array_equal(zeros, 3)  # ceil(0.25 * 10)
    assert abs(w.data[w.data != 0].std() - 0.5) < 0.03
    rows_zeroed = (w.data == 0).sum(axis=1)
    assert rows_zeroed.min() > 60  # rows drawn at random per column (mean 120)
    again = np.zeros((10, 400), dtype=np.float32)
    manual_seed(3)
    nn.init.sparse_(again, 0.25, std=0.5)
    np.testing.assert_array_equal(again, w.data)
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.sparse_(np.zeros(3), 0.1)
