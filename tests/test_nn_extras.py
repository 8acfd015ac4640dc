"""The activations, functional helpers, Dropout2d, GroupNorm and kl_div added for porting
PyTorch tutorials: values against numpy formulas from the documented definitions,
gradients by finite differences in float64, PyTorch's one-sided derivatives at kinks, and
the errors for bad arguments."""

import math

import numpy as np
import pytest
from test_nn_gradcheck import check_grads, randn

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, loss, manual_seed, nn

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name: (F form, module, numpy reference); reference formulas straight from torch's docs
ACTIVATIONS = {
    "elu": (lambda t: F.elu(t, 0.7), nn.ELU(0.7),
            lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1))),
    "selu": (F.selu, nn.SELU(),
             lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))),
    "celu": (lambda t: F.celu(t, 1.5), nn.CELU(1.5),
             lambda x: np.maximum(0, x) + np.minimum(0, 1.5 * (np.exp(x / 1.5) - 1))),
    "softplus": (lambda t: F.softplus(t, 2.0, 3.0), nn.Softplus(2.0, 3.0),
                 lambda x: np.where(2 * x > 3, x, np.log(1 + np.exp(2 * x)) / 2)),
    "hardtanh": (lambda t: F.hardtanh(t, -0.5, 2.0), nn.Hardtanh(-0.5, 2.0),
                 lambda x: np.minimum(np.maximum(x, -0.5), 2.0)),
    "relu6": (F.relu6, nn.ReLU6(), lambda x: np.minimum(np.maximum(x, 0), 6)),
    "mish": (F.mish, nn.Mish(), lambda x: x * np.tanh(np.log(1 + np.exp(x)))),
    "logsigmoid": (F.logsigmoid, nn.LogSigmoid(), lambda x: np.log(np_sigmoid(x))),
    "softsign": (F.softsign, nn.Softsign(), lambda x: x / (1 + np.abs(x))),
    "hardswish": (F.hardswish, nn.Hardswish(),
                  lambda x: x * np.minimum(np.maximum(x + 3, 0), 6) / 6),
    "hardsigmoid": (F.hardsigmoid, nn.Hardsigmoid(),
                    lambda x: np.minimum(np.maximum(x + 3, 0), 6) / 6),
    "tanhshrink": (F.tanhshrink, nn.Tanhshrink(), lambda x: x - np.tanh(x)),
}


def kink_free(x):
    # keep finite differences away from the kinks at 0, +-3, 6, -0.5, 2 and 1.5
    for kink in (0.0, 3.0, -3.0, 6.0, -0.5, 2.0, 1.5):
        x[np.abs(x - kink) < 1e-3] += 0.01
    return x


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_values_match_the_definition(name):
    fn, module, reference = ACTIVATIONS[name]
    x = np.linspace(-8, 8, 161)
    np.testing.assert_allclose(fn(Tensor(x)).data, reference(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(module(Tensor(x)).data, reference(x), rtol=1e-12, atol=1e-14)
    x32 = x.astype(np.float32)
    out32 = fn(Tensor(x32)).data
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, reference(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_gradients_by_finite_differences(name):
    fn = ACTIVATIONS[name][0]
    check_grads(fn, kink_free(randn(4, 5) * 3))
    check_grads(ACTIVATIONS[name][1], kink_free(randn(3, 2, seed=4) * 4))


@pytest.mark.parametrize(
    "fn,x,expected",
    [
        (lambda t: F.elu(t, 2.0), [0.0, -1.0, 1.0], [2.0, 2 * math.exp(-1), 1.0]),
        (F.selu, [0.0, 1.0], [SELU_SCALE * SELU_ALPHA, SELU_SCALE]),
        (lambda t: F.celu(t, 0.5), [0.0, 2.0], [1.0, 1.0]),
        (F.softplus, [0.0, 25.0, -25.0], [0.5, 1.0, np_sigmoid(-25.0)]),
        (F.hardtanh, [-1.0, 1.0, 0.0, -2.0], [0.0, 0.0, 1.0, 0.0]),
        (F.relu6, [0.0, 6.0, 3.0, 7.0], [0.0, 0.0, 1.0, 0.0]),
        (F.hardswish, [-3.0, 3.0, 0.0, -4.0, 4.0], [0.0, 1.0, 0.5, 0.0, 1.0]),
        (F.hardsigmoid, [-3.0, 3.0, 0.0], [0.0, 0.0, 1 / 6]),
        (F.mish, [0.0], [0.6]),  # tanh(log 2) = 0.6
        (F.logsigmoid, [0.0], [0.5]),
        (F.softsign, [0.0, 1.0], [1.0, 0.25]),
        (F.tanhshrink, [0.0], [0.0]),
    ],
)
def test_activation_derivatives_at_kinks_follow_pytorch(fn, x, expected):
    t = Tensor(np.array(x), requires_grad=True)
    fn(t).backward(gradient=np.ones(len(x)))
    np.testing.assert_allclose(t.grad, expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_forms_stay_finite_for_large_inputs(dtype):
    x = Tensor(np.array([-1000.0, -100.0, 100.0, 1000.0], dtype=dtype), requires_grad=True)
    # tiny results (e^-100 ~ 4e-44) may round to 0 in float32
    np.testing.assert_allclose(F.softplus(x).data, [0, 0, 100, 1000], atol=1e-40)
    # a threshold above float range: log(1 + e^1000) must still be 1000, not inf
    np.testing.assert_allclose(F.softplus(x, threshold=1e30).data, [0, 0, 100, 1000], atol=1e-40)
    np.testing.assert_allclose(F.logsigmoid(x).data, [-1000, -100, 0, 0], atol=1e-40)
    np.testing.assert_allclose(F.mish(x).data, [0, 0, 100, 1000], atol=1e-40)
    np.testing.assert_allclose(F.elu(x).data, [-1, -1, 100, 1000])
    for fn in (F.softplus, F.logsigmoid, F.mish, F.elu, F.selu, F.celu):
        x.grad = None
        out = fn(x)
        assert out.data.dtype == dtype
        out.backward(gradient=np.ones(4, dtype=dtype))
        assert np.isfinite(x.grad).all(), fn
    np.testing.assert_allclose(x.grad, [0, 0, 1, 1], atol=1e-30)  # celu's


def test_activation_modules_accept_inplace_and_show_their_arguments():
    for cls in (nn.ELU, nn.SELU, nn.CELU, nn.Hardtanh, nn.ReLU6, nn.Mish, nn.Hardswish,
                nn.Hardsigmoid):
        cls(inplace=True)
    assert repr(nn.ELU(0.5)) == "ELU(alpha=0.5)"
    assert repr(nn.ReLU6(inplace=True)) == "ReLU6(inplace=True)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert isinstance(nn.ReLU6(), nn.Hardtanh)


def test_activation_argument_errors():
    with pytest.raises(ValueError, match=r"max_val \(-1\) must be greater than min_val \(1\)"):
        nn.Hardtanh(1, -1)
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(Tensor(np.ones(2)), 2.0, 1.0)
    with pytest.raises(ValueError, match="alpha must be nonzero"):
        nn.CELU(0.0)
    with pytest.raises(ValueError, match="alpha must be nonzero"):
        F.celu(Tensor(np.ones(2)), 0.0)
    with pytest.raises(TypeError, match="mish: expected a floating-point input"):
        F.mish(Tensor(np.arange(3)))


# ----------------------------------------------------------------------------- one_hot
def test_one_hot_values_shape_and_dtype():
    idx = np.array([[0, 3], [2, 2]])
    out = F.one_hot(Tensor(idx), 5)
    assert out.data.dtype == np.int64 and out.shape == (2, 2, 5)
    np.testing.assert_array_equal(out.data, np.eye(5, dtype=np.int64)[idx])
    # num_classes=-1 infers max + 1; a numpy array is taken too
    np.testing.assert_array_equal(F.one_hot(np.array([1, 0])).data, [[0, 1], [1, 0]])
    assert F.one_hot(Tensor(np.array(2)), 3).data.tolist() == [0, 0, 1]
    assert F.one_hot(Tensor(np.zeros(0, np.int64)), 4).shape == (0, 4)


def test_one_hot_errors_follow_torch():
    with pytest.raises(ValueError, match="Class values must be non-negative"):
        F.one_hot(Tensor(np.array([1, -1])))
    with pytest.raises(ValueError, match="Class values must be smaller than num_classes"):
        F.one_hot(Tensor(np.array([0, 3])), 3)
    with pytest.raises(ValueError, match="Can not infer total number of classes"):
        F.one_hot(Tensor(np.zeros(0, np.int64)))
    with pytest.raises(TypeError, match="integer class indices"):
        F.one_hot(Tensor(np.array([0.0, 1.0])))
    with pytest.raises(ValueError, match="num_classes must be -1 or >= 0"):
        F.one_hot(Tensor(np.array([0])), -2)


# ----------------------------------------------------------------------------- pad
NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "shape,pad",
    [((2, 5), (2, 3)), ((2, 3, 5), (4, 1)), ((2, 3, 4, 5), (1, 2, 3, 0)),
     ((3, 4, 5), (2, 1, 0, 3)), ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2))],
)
def test_pad_modes_match_numpy(mode, shape, pad):
    assert_pad_matches_numpy(mode, shape, pad)


def assert_pad_matches_numpy(mode, shape, pad):
    """Values as np.pad's (torch's reflect, replicate and circular are numpy's reflect, edge
    and wrap; torch's pad lists the last dimension first), gradients by finite differences."""
    x = randn(*shape)
    widths = [(0, 0)] * (len(shape) - len(pad) // 2)
    widths += [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(len(pad) // 2))]
    expected = np.pad(x, widths, mode=NUMPY_MODE[mode])
    np.testing.assert_array_equal(F.pad(Tensor(x), pad, mode=mode).data, expected)
    check_grads(lambda t: F.pad(t, pad, mode=mode), x)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_negative_amounts_crop_as_torch(mode):
    x = randn(2, 3, 5)
    out = F.pad(Tensor(x), (-1, 3), mode=mode).data
    if mode == "circular":  # torch crops first, then wraps around what is left
        expected = np.pad(x[..., 1:], [(0, 0), (0, 0), (0, 3)], mode="wrap")
    else:  # the others pad from the whole input, then crop
        expected = np.pad(x, [(0, 0), (0, 0), (0, 3)], mode=NUMPY_MODE[mode])[..., 1:]
    np.testing.assert_array_equal(out, expected)
    check_grads(lambda t: F.pad(t, (-1, 3, 1, -2), mode=mode), randn(2, 4, 5))


@pytest.mark.parametrize(
    "mode,shape,pad",
    [("circular", (2, 3), (3, 3)), ("circular", (1, 2, 1), (1, 1)),
     ("reflect", (2, 2, 2), (1, 1, 1, 1)), ("replicate", (1, 1, 1), (4, 2)),
     ("replicate", (1, 3, 1, 2), (0, 3, 2, 0))],
)
def test_pad_where_the_kept_middle_is_short_or_copied_many_times(mode, shape, pad):
    # the forward copies the longest in-order run as a slice and gathers the rest; whichever
    # run that is, values and gradients must be np.pad's and finite differences'
    assert_pad_matches_numpy(mode, shape, pad)


def test_pad_constant_mode_and_gradient():
    x = randn(2, 3)
    out = F.pad(Tensor(x), (1, 2, 0, 1), value=7.0).data
    np.testing.assert_array_equal(out, np.pad(x, [(0, 1), (1, 2)], constant_values=7.0))
    check_grads(lambda t: F.pad(t, (1, -1, 2, 0)), randn(2, 3, 4))


def test_pad_errors():
    x = Tensor(randn(1, 2, 3))
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(x, (1, 1), mode="mirror")
    with pytest.raises(ValueError, match="reflect padding must be less than the input size"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="wraps around dimension 2 of size 3 more than once"):
        F.pad(x, (0, 4), mode="circular")
    with pytest.raises(ValueError, match="takes no value argument"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(ValueError, match="pads 2, 4 or 6 amounts"):
        F.pad(Tensor(randn(3)), (1, 1), mode="replicate")
    with pytest.raises(ValueError, match="with size 0"):
        F.pad(x, (-2, -1), mode="replicate")


# ----------------------------------------------------------------------------- normalize
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 1.5, math.inf, 0])
@pytest.mark.parametrize("dim", [1, 0, -1])
def test_normalize_values_and_grads(p, dim):
    x = randn(3, 4, 2)
    x[0, 1, 0] = 0.0  # p = 0 counts the nonzero entries
    moved = np.moveaxis(x, dim, -1)
    norm = (moved != 0).sum(-1) if p == 0 else (np.abs(moved) ** p).sum(-1) ** (1 / p)
    if p == math.inf:
        norm = np.abs(moved).max(-1)
    expected = x / np.expand_dims(np.maximum(norm, 1e-12), dim)
    np.testing.assert_allclose(F.normalize(Tensor(x), p=p, dim=dim).data, expected, rtol=1e-12)
    # finite differences away from the zero entry, where the p = 0 count jumps
    check_grads(lambda t: F.normalize(t, p=p, dim=dim), randn(3, 4, 2))


def test_normalize_clamps_small_norms_at_eps():
    x = np.array([[0.0, 0.0], [1e-4, -2e-4], [3.0, 4.0]])
    out = F.normalize(Tensor(x), dim=1, eps=1e-3).data
    np.testing.assert_allclose(out, [[0, 0], [0.1, -0.2], [0.6, 0.8]], rtol=1e-12)
    check_grads(lambda t: F.normalize(t, dim=1, eps=1e-3), x[1:])
    with pytest.raises(ValueError, match="p must be a number >= 0 or inf"):
        F.normalize(Tensor(x), p=-1)


# ----------------------------------------------------------------------------- cosine_similarity
def np_cosine(a, b, dim, eps=1e-8):
    na = np.maximum(np.linalg.norm(a, axis=dim, keepdims=True), eps)
    nb = np.maximum(np.linalg.norm(b, axis=dim, keepdims=True), eps)
    return ((a / na) * (b / nb)).sum(axis=dim)


def test_cosine_similarity_values_and_grads():
    a, b = randn(4, 5), randn(4, 5, seed=2)
    np.testing.assert_allclose(F.cosine_similarity(Tensor(a), Tensor(b)).data,
                               np_cosine(a, b, 1), rtol=1e-12)
    check_grads(F.cosine_similarity, a, b)
    # broadcasting: each of 3 queries against 4 keys; gradients fold back to each shape
    q, k = randn(3, 1, 5, seed=3), randn(4, 5, seed=4)
    out = F.cosine_similarity(Tensor(q), Tensor(k), dim=-1)
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out.data, np_cosine(*np.broadcast_arrays(q, k), -1), rtol=1e-12)
    check_grads(lambda x, y: F.cosine_similarity(x, y, dim=-1), q, k)


def test_cosine_similarity_is_bounded_and_zero_for_a_zero_vector():
    a = randn(50, 7)
    a[0] = 0.0
    out = F.cosine_similarity(Tensor(a), Tensor(a * 2.5)).data
    assert out[0] == 0  # the zero vector's norm is clamped at eps
    # each input is divided by its own norm first, so parallel rows give 1 to rounding
    np.testing.assert_allclose(out[1:], 1.0, rtol=0, atol=4e-16)
    with pytest.raises(ValueError, match="do not broadcast"):
        F.cosine_similarity(Tensor(randn(2, 3)), Tensor(randn(2, 4)))


def test_cosine_similarity_gradient_below_eps_flows_through_the_norm():
    """As torch: the clamp at eps changes the value only; the gradient is that of
    x1 . v / (||x1|| + d) with the offset d = eps - ||x1|| held fixed."""
    x1 = np.array([[3e-3, -4e-3, 1e-3]])  # norm ~5.1e-3, below eps
    x2 = np.array([[0.5, 2.0, -1.0]])
    eps = 0.1
    t1 = Tensor(x1.copy(), requires_grad=True)
    F.cosine_similarity(t1, Tensor(x2), eps=eps).backward(gradient=np.ones(1))
    d = eps - np.linalg.norm(x1)
    v = x2 / max(np.linalg.norm(x2), eps)

    def h(y):
        return (y * v).sum() / (np.linalg.norm(y) + d)

    numeric = np.zeros(3)
    for i in range(3):
        step = np.zeros((1, 3))
        step[0, i] = 1e-9
        numeric[i] = (h(x1 + step) - h(x1 - step)) / 2e-9
    np.testing.assert_allclose(t1.grad[0], numeric, rtol=1e-5)


# ----------------------------------------------------------------------------- Dropout2d
@pytest.mark.parametrize("shape", [(4, 50, 3, 3), (50, 3, 3)])
def test_dropout2d_zeroes_whole_channels(shape):
    manual_seed(3)
    x = np.abs(randn(*shape)) + 1
    layer = nn.Dropout2d(0.4)
    out = layer(Tensor(x)).data
    per_channel = out.reshape(*shape[:-2], -1)
    dropped = (per_channel == 0).all(axis=-1)
    kept = np.isclose(per_channel, x.reshape(per_channel.shape) / 0.6, rtol=1e-12).all(axis=-1)
    assert (dropped | kept).all()  # every channel entirely zero or entirely scaled
    assert 0.2 < dropped.mean() < 0.6
    manual_seed(3)
    np.testing.assert_array_equal(layer(Tensor(x)).data, out)  # seeded by the package RNG


def test_dropout2d_eval_p0_p1_and_grads():
    x = Tensor(randn(2, 3, 4, 4))
    layer = nn.Dropout2d(0.5).eval()
    assert layer(x) is x
    assert F.dropout2d(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout2d(x, 1.0).data, 0)

    def seeded(t):
        manual_seed(5)
        return F.dropout2d(t, 0.3)

    check_grads(seeded, randn(2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) or \(C, H, W\)"):
        F.dropout2d(Tensor(randn(4, 5)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)


# ----------------------------------------------------------------------------- GroupNorm
def np_group_norm(x, groups, w, b, eps=1e-5):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    mean = g.mean(axis=2, keepdims=True)
    var = g.var(axis=2, keepdims=True)
    y = ((g - mean) / np.sqrt(var + eps)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * w.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 4), 3), ((3, 4), 2), ((2, 4, 5), 1),
                                          ((2, 4, 3), 4)])
def test_group_norm_values_and_grads(shape, groups):
    x = randn(*shape) * 3 + 1
    w, b = randn(shape[1], seed=2), randn(shape[1], seed=3)
    out = F.group_norm(Tensor(x), groups, Tensor(w), Tensor(b)).data
    np.testing.assert_allclose(out, np_group_norm(x, groups, w, b), rtol=1e-10, atol=1e-12)
    check_grads(lambda t, wt, bt: F.group_norm(t, groups, wt, bt), x, w, b)
    check_grads(lambda t: F.group_norm(t, groups), x)


def test_group_norm_module():
    layer = nn.GroupNorm(2, 4)
    assert list(layer.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(layer.weight.data, 1)
    np.testing.assert_array_equal(layer.bias.data, 0)
    assert layer.weight.data.dtype == np.float32
    x = randn(2, 4, 3, 3).astype(np.float32)
    out = layer(Tensor(x))
    assert out.data.dtype == np.float32
    np.testing.assert_allclose(out.data, np_group_norm(x.astype(np.float64), 2, np.ones(4),
                                                       np.zeros(4)), rtol=1e-4, atol=1e-5)
    assert list(nn.GroupNorm(2, 4, affine=False).state_dict()) == []
    assert list(nn.GroupNorm(2, 4, bias=False).state_dict()) == ["weight"]
    assert repr(layer) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    with pytest.raises(ValueError, match=r"\(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="expected input of shape"):
        layer(Tensor(randn(2, 3, 2)))
    with pytest.raises(ValueError, match="positive divisor"):
        F.group_norm(Tensor(randn(2, 6)), 4)


# ----------------------------------------------------------------------------- kl_div
def np_kl(x, t):
    safe = np.where(t > 0, t, 1)
    return np.where(t > 0, t * np.log(safe), 0) - t * x


def test_kl_div_reductions_and_zero_targets():
    x = np.log(np.random.default_rng(1).dirichlet(np.ones(5), size=4))
    t = np.random.default_rng(2).dirichlet(np.ones(5), size=4)
    t[0, 2] = 0.0  # contributes 0, as t log t -> 0
    pointwise = np_kl(x, t)
    out = loss.kl_div(Tensor(x), Tensor(t), reduction="none").data
    np.testing.assert_allclose(out, pointwise, rtol=1e-12)
    assert out[0, 2] == 0
    np.testing.assert_allclose(loss.kl_div(Tensor(x), t, "sum").data, pointwise.sum())
    np.testing.assert_allclose(loss.kl_div(Tensor(x), t, "batchmean").data, pointwise.sum() / 4)
    with pytest.warns(UserWarning, match="batchmean"):
        mean = loss.kl_div(Tensor(x), t)  # default 'mean' divides by all 20 elements
    np.testing.assert_allclose(mean.data, pointwise.mean())
    # log_target=True takes log p and gives the same divergence
    log_t = np.log(t + 1e-3)
    np.testing.assert_allclose(
        loss.kl_div(Tensor(x), log_t, "batchmean", log_target=True).data,
        np_kl(x, np.exp(log_t)).sum() / 4, rtol=1e-12,
    )
    assert loss.kl_div(Tensor(x), t, "batchmean").data.dtype == np.float64


@pytest.mark.parametrize("reduction", ["none", "sum", "mean", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.filterwarnings("ignore:kl_div")
def test_kl_div_grads(reduction, log_target):
    x = randn(3, 4)
    t = np.random.default_rng(4).dirichlet(np.ones(4), size=3)
    if log_target:
        t = np.log(t)
    check_grads(lambda a, b: loss.kl_div(a, b, reduction, log_target), x, t)


def test_kl_div_module_exports_and_errors():
    assert nn.KLDivLoss is loss.KLDivLoss and F.kl_div is loss.kl_div
    assert "kl_div" in loss.__all__ and "KLDivLoss" in loss.__all__
    x, t = Tensor(np.log(np.full((2, 2), 0.5))), np.array([[0.5, 0.5], [1.0, 0.0]])
    out = nn.KLDivLoss(reduction="batchmean")(x, t)
    np.testing.assert_allclose(out.data, np_kl(x.data, t).sum() / 2)
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction must be one of"):
        loss.kl_div(x, t, reduction="avg")
    with pytest.raises(ValueError, match="target shape"):
        loss.kl_div(x, np.ones(2), reduction="sum")


def test_new_names_are_exported():
    for name in ("ELU", "SELU", "CELU", "Softplus", "Hardtanh", "ReLU6", "Mish", "LogSigmoid",
                 "Softsign", "Hardswish", "Hardsigmoid", "Tanhshrink", "ModuleDict",
                 "ParameterList", "ParameterDict", "Dropout2d", "GroupNorm", "KLDivLoss"):
        assert name in nn.__all__ and getattr(nn, name)
    for name in ("elu", "selu", "celu", "softplus", "hardtanh", "relu6", "mish", "logsigmoid",
                 "softsign", "hardswish", "hardsigmoid", "tanhshrink", "one_hot", "pad",
                 "normalize", "cosine_similarity", "dropout2d", "group_norm"):
        assert name in F.__all__ and callable(getattr(F, name))


@pytest.mark.parametrize("shape", [(0, 4, 3, 3), (0, 4)])
def test_group_norm_on_an_empty_batch(shape):
    """No samples: an empty output, and zero weight and bias gradients (sums over nothing)."""
    layer = nn.GroupNorm(2, 4, dtype=np.float64)
    x = Tensor(np.zeros(shape), requires_grad=True)
    out = layer(x)
    assert out.shape == shape
    out.sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_array_equal(layer.weight.grad, np.zeros(4))
    np.testing.assert_array_equal(layer.bias.grad, np.zeros(4))
