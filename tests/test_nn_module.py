"""Module bookkeeping: registration, state_dict keys and layouts (PyTorch's), in-place
loading and its errors, train/eval, zero_grad, containers, init and BatchNorm statistics."""

import math
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, manual_seed, nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU())
        self.head = nn.Linear(8, 3)
        self.blocks = nn.ModuleList([nn.Linear(3, 3), nn.LayerNorm(3)])

    def forward(self, x):  # only the bookkeeping is tested here
        return self.features(x)


def test_state_dict_keys_order_and_layouts_are_pytorchs():
    sd = Net().state_dict()
    assert list(sd) == [
        "features.0.weight", "features.0.bias",
        "features.1.weight", "features.1.bias", "features.1.running_mean",
        "features.1.running_var", "features.1.num_batches_tracked",
        "head.weight", "head.bias",
        "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
    ]
    assert sd["features.0.weight"].shape == (2, 1, 3, 3)
    assert sd["head.weight"].shape == (3, 8)
    assert sd["features.1.num_batches_tracked"].shape == ()
    assert sd["features.1.num_batches_tracked"].dtype == np.int64
    assert all(isinstance(v, np.ndarray) for v in sd.values())


def test_layers_without_optional_parameters_save_no_keys_for_them():
    # PyTorch registers a disabled bias/affine parameter as None: no key, no parameter
    cases = [
        (nn.Linear(3, 2, bias=False), ["weight"]),
        (nn.Conv2d(1, 2, 3, bias=False), ["weight"]),
        (nn.BatchNorm1d(2, affine=False), ["running_mean", "running_var", "num_batches_tracked"]),
        (nn.LayerNorm(4, elementwise_affine=False), []),
        (nn.LayerNorm(4, bias=False), ["weight"]),
    ]
    for layer, keys in cases:
        assert list(layer.state_dict()) == keys, type(layer).__name__
        assert [n for n, _ in layer.named_parameters()] == [k for k in keys if "running" not in k
                                                             and "batches" not in k]


def test_state_dict_values_are_copies():
    net = Net()
    sd = net.state_dict()
    sd["head.weight"][...] = 123.0
    assert not np.any(net.head.weight.data == 123.0)


def test_load_state_dict_copies_in_place_keeping_views_valid():
    source, target = Net(), Net()
    source.features[1].running_mean.data[:] = [0.5, -0.5]
    source.features[1].num_batches_tracked.data[...] = 7
    weight_array = target.head.weight.data
    view = weight_array.reshape(-1)  # stands in for an optimizer's flat-buffer view
    sd = source.state_dict()
    sd["head.bias"] = Tensor(sd["head.bias"])  # Tensors are accepted too
    sd["features.1.num_batches_tracked"] = Tensor(np.array(7))
    result = target.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target.head.weight.data is weight_array
    np.testing.assert_array_equal(view, source.head.weight.data.reshape(-1))
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key], value)


def test_load_state_dict_names_every_problem_and_changes_nothing():
    net = Net()
    before = net.state_dict()
    sd = Net().state_dict()
    del sd["head.bias"]
    del sd["blocks.1.weight"]
    sd["extra.weight"] = np.zeros(3)
    sd["extra.bias"] = np.zeros(2)
    sd["head.weight"] = np.zeros((8, 3))
    sd["blocks.0.bias"] = np.zeros(5)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    message = str(info.value)
    for key in ("head.bias", "blocks.1.weight", "extra.weight", "extra.bias", "head.weight",
                "blocks.0.bias"):
        assert key in message
    assert "Missing" in message and "Unexpected" in message and "size mismatch" in message
    assert "(8, 3)" in message and "(3, 8)" in message
    assert "(5,)" in message and "(3,)" in message
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_non_strict_reports_but_still_refuses_shape_mismatch():
    net = Net()
    sd = Net().state_dict()
    del sd["head.bias"]
    sd["extra"] = np.ones(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(net.head.weight.data, sd["head.weight"])
    sd["head.weight"] = np.zeros((1, 1))
    fresh = Net()  # its values differ from sd's: a partial load would show
    before = fresh.state_dict()
    with pytest.raises(RuntimeError, match="head.weight"):
        fresh.load_state_dict(sd, strict=False)
    for key, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_non_persistent_buffers_are_not_saved_nor_expected():
    layer = nn.Linear(2, 2)
    layer.register_buffer("scratch", np.zeros(2), persistent=False)
    layer.register_buffer("kept", np.ones(2))
    assert list(layer.state_dict()) == ["weight", "bias", "kept"]
    assert "scratch" in dict(layer.named_buffers())
    result = nn.Linear(2, 2).load_state_dict(nn.Linear(2, 2).state_dict(), strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_parameters_named_parameters_children_modules():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names[:2] == ["features.0.weight", "features.0.bias"]
    assert len(list(net.parameters())) == len(names) == 10
    assert [type(c).__name__ for c in net.children()] == ["Sequential", "Linear", "ModuleList"]
    assert len(list(net.modules())) == 9
    shared = nn.Linear(2, 2)
    twice = nn.Sequential(shared, shared)
    assert len(list(twice.parameters())) == 2


def test_train_eval_zero_grad_and_requires_grad():
    net = Net()
    net.eval()
    assert not net.training and not net.features[1].training
    net.train()
    assert all(m.training for m in net.modules())
    for p in net.parameters():
        p.grad = np.ones_like(p.data)
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_sequential_and_modulelist_indexing():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[1], nn.ReLU)
    assert len(seq[:2]) == 2
    with pytest.raises(IndexError):
        seq[3]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    layers = nn.ModuleList([nn.Linear(1, 1)])
    layers.append(nn.Linear(1, 2))
    assert len(layers) == 2 and layers[1].out_features == 2
    assert list(layers.state_dict())[2] == "1.weight"
    x = Tensor(np.ones((4, 2), np.float32))
    manual_val = seq[2](seq[1](seq[0](x)))
    np.testing.assert_array_equal(seq(x).data, manual_val.data)


def test_parameter_and_assignment_rules():
    p = nn.Parameter(np.zeros(3))
    assert p.requires_grad and p.is_leaf and p.dtype == np.float64
    with pytest.raises(TypeError):
        nn.Parameter(np.zeros(3, dtype=np.int64))
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError):
        layer.weight = np.zeros((2, 2))


def test_linear_default_init_matches_pytorch_bounds_and_is_seeded():
    manual_seed(3)
    a = nn.Linear(100, 50)
    manual_seed(3)
    b = nn.Linear(100, 50)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    bound = 1 / math.sqrt(100)
    assert np.abs(a.weight.data).max() <= bound and np.abs(a.bias.data).max() <= bound
    # the bias spans U(-bound, bound) too (50 draws: max |b| < 0.8 bound has p = 1e-5)
    assert np.abs(a.bias.data).max() > 0.8 * bound
    # U(-b, b) has variance b^2 / 3
    assert abs(a.weight.data.var() - bound**2 / 3) < 0.1 * bound**2 / 3


def test_init_functions_match_their_formulas():
    manual_seed(0)
    w = Tensor(np.zeros((400, 300), np.float32))
    nn.init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6 / 700)
    assert np.abs(w.data).max() <= bound and abs(w.data.var() - bound**2 / 3) < 0.05 * bound**2
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.data.std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)
    nn.init.xavier_normal_(w)
    assert abs(w.data.std() - math.sqrt(2 / 700)) < 0.02 * math.sqrt(2 / 700)
    nn.init.kaiming_uniform_(w, a=0.0, nonlinearity="relu")
    bound = math.sqrt(6 / 300)  # gain sqrt(2) * sqrt(3 / fan_in)
    assert np.abs(w.data).max() <= bound and abs(w.data.var() - bound**2 / 3) < 0.02 * bound**2
    nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="tanh")
    bound = 5 / 3 * math.sqrt(3 / 400)
    assert np.abs(w.data).max() <= bound and abs(w.data.var() - bound**2 / 3) < 0.02 * bound**2
    nn.init.normal_(w, 1.0, 0.5)
    assert abs(w.data.mean() - 1.0) < 0.01 and abs(w.data.std() - 0.5) < 0.01
    nn.init.uniform_(w, -3, -2)
    assert w.data.min() >= -3 and w.data.max() <= -2
    nn.init.constant_(w, 0.25)
    assert np.all(w.data == 0.25)
    nn.init.ones_(w)
    nn.init.zeros_(w)
    assert np.all(w.data == 0)
    with pytest.raises(ValueError):
        nn.init.xavier_uniform_(Tensor(np.zeros(3, np.float32)))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    # PyTorch's table
    assert nn.init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    for name, gain in (("linear", 1.0), ("conv2d", 1.0), ("sigmoid", 1.0), ("tanh", 5 / 3),
                       ("relu", math.sqrt(2)), ("selu", 0.75)):
        assert nn.init.calculate_gain(name) == pytest.approx(gain), name


def channel_axes(x):
    return (0, *range(2, x.ndim))  # every axis but the channel axis 1


def reference_bn_running_stats(batches, momentum):
    mean, var = np.zeros(3), np.ones(3)
    for t, x in enumerate(batches, start=1):
        axes = channel_axes(x)
        n = x.size / x.shape[1]
        factor = 1 / t if momentum is None else momentum
        mean = (1 - factor) * mean + factor * x.mean(axis=axes)
        var = (1 - factor) * var + factor * x.var(axis=axes) * n / (n - 1)
    return mean, var


@pytest.mark.parametrize(
    "cls,shape", [(nn.BatchNorm2d, (4, 3, 5, 5)), (nn.BatchNorm1d, (7, 3, 6)),
                  (nn.BatchNorm1d, (9, 3))],
)
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm_running_stats_follow_pytorchs_convention(momentum, cls, shape):
    rng = np.random.default_rng(0)
    # per-channel scales and offsets: statistics taken over a wrong axis would show
    scale = np.array([0.5, 2.0, 4.0]).reshape(1, 3, *[1] * (len(shape) - 2))
    batches = [rng.standard_normal(shape) * scale + 3 * scale for _ in range(3)]
    layer = cls(3, momentum=momentum, dtype=np.float64)
    for x in batches:
        out = layer(Tensor(x)).data
        axes = channel_axes(x)
        xhat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(
            x.var(axis=axes, keepdims=True) + 1e-5
        )
        np.testing.assert_allclose(out, xhat, rtol=1e-10, atol=1e-10)
    mean, var = reference_bn_running_stats(batches, momentum)
    np.testing.assert_allclose(layer.running_mean.data, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.data, var, rtol=1e-12)
    assert int(layer.num_batches_tracked.data) == 3
    layer.eval()
    x = batches[0]
    col = (1, 3, *[1] * (x.ndim - 2))
    expected = (x - mean.reshape(col)) / np.sqrt(var.reshape(col) + 1e-5)
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-10, atol=1e-10)
    assert int(layer.num_batches_tracked.data) == 3


def test_norm_layers_use_their_eps():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 3)) * 0.05  # variance near eps: eps visibly matters
    eps = 0.01
    bn = nn.BatchNorm1d(3, eps=eps, dtype=np.float64)
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    np.testing.assert_allclose(bn(Tensor(x)).data, expected, rtol=1e-10, atol=1e-12)
    bn.eval()
    rm, rv = bn.running_mean.data, bn.running_var.data
    np.testing.assert_allclose(bn(Tensor(x)).data, (x - rm) / np.sqrt(rv + eps), rtol=1e-10)
    ln = nn.LayerNorm(3, eps=eps, dtype=np.float64)
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(ln(Tensor(x)).data, (x - mean) / np.sqrt(var + eps), rtol=1e-10)


def test_batchnorm_without_running_stats_and_batch_of_one():
    layer = nn.BatchNorm1d(2, track_running_stats=False, dtype=np.float64)
    assert list(layer.state_dict()) == ["weight", "bias"]
    x = np.random.default_rng(1).standard_normal((5, 2))
    layer.eval()  # no running stats: batch statistics even in eval, as PyTorch
    np.testing.assert_allclose(layer(Tensor(x)).data, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(2).train()(Tensor(np.ones((1, 2), np.float32)))


def test_layernorm_and_dropout_behaviour():
    x = np.random.default_rng(2).standard_normal((4, 6))
    out = nn.LayerNorm(6, dtype=np.float64)(Tensor(x)).data
    expected = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, expected)
    drop = nn.Dropout(0.3)
    ones = Tensor(np.ones((200, 200), np.float32))
    manual_seed(5)
    a = drop(ones).data
    manual_seed(5)
    b = drop(ones).data
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((a == 0).mean() - 0.3) < 0.01
    # the mask comes from the manual_seed generator: the next call and another seed differ
    assert not np.array_equal(drop(ones).data, a)
    manual_seed(6)
    assert not np.array_equal(drop(ones).data, a)
    assert not np.any(F.dropout(ones, p=1.0).data)  # p=1 zeroes everything, as PyTorch
    assert F.dropout(ones, p=0.3, training=False) is ones
    drop.eval()
    assert drop(ones) is ones
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_activation_modules_forward_values():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    t = Tensor(x)
    np.testing.assert_allclose(nn.ReLU()(t).data, np.maximum(x, 0))
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(t).data, np.where(x > 0, x, 0.1 * x))
    np.testing.assert_allclose(nn.LeakyReLU()(t).data, np.where(x > 0, x, 0.01 * x))  # default
    np.testing.assert_allclose(nn.Tanh()(t).data, np.tanh(x))
    np.testing.assert_allclose(nn.Sigmoid()(t).data, 1 / (1 + np.exp(-x)))
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(nn.GELU()(t).data, 0.5 * x * (1 + erf(x / math.sqrt(2))), rtol=1e-12)
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(nn.GELU(approximate="tanh")(t).data, tanh_form, rtol=1e-12)
    e = np.exp(x)
    np.testing.assert_allclose(nn.Softmax(dim=1)(t).data, e / e.sum())
    np.testing.assert_allclose(nn.Softmax()(t).data, e / e.sum())  # legacy dim for 2-D: 1
    cube = np.random.default_rng(0).standard_normal((2, 3, 4))  # legacy dim for 3-D: 0
    ec = np.exp(cube)
    np.testing.assert_allclose(nn.Softmax()(Tensor(cube)).data, ec / ec.sum(0), rtol=1e-12)
    np.testing.assert_allclose(nn.LogSoftmax(dim=-1)(t).data, np.log(e / e.sum()))
    big = Tensor(np.array([1000.0, -1000.0]))
    assert np.all(np.isfinite(nn.Sigmoid()(big).data))
    assert np.all(np.isfinite(nn.LogSoftmax(dim=0)(big).data))


def test_embedding_lookup_padding_and_range_check():
    manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=0)
    assert np.all(emb.weight.data[0] == 0)
    idx = np.array([[1, 0], [4, 1]])
    out = emb(idx)
    np.testing.assert_array_equal(out.data, emb.weight.data[idx])
    out.backward(gradient=np.ones((2, 2, 3), np.float32))
    np.testing.assert_array_equal(emb.weight.grad[:, 0], [0, 2, 0, 0, 1])
    with pytest.raises(ValueError, match="out of range"):
        emb(np.array([5]))


def test_embedding_default_init_is_standard_normal():
    manual_seed(1)
    weight = nn.Embedding(400, 50).weight.data  # 20000 draws: the mean and std to ~1%
    assert abs(weight.mean()) < 0.03 and abs(weight.std() - 1.0) < 0.03
    assert np.abs(weight).max() > 3.0  # normal tails, not a bounded uniform


def test_embedding_gradient_sums_repeated_rows_like_a_naive_loop():
    manual_seed(0)
    emb = nn.Embedding(7, 4, padding_idx=3)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 7, (5, 6))
    g = rng.standard_normal((5, 6, 4)).astype(np.float32)
    emb(idx).backward(gradient=g)
    expected = np.zeros((7, 4))
    for position, row in np.ndenumerate(idx):
        if row != 3:
            expected[row] += g[position]
    np.testing.assert_allclose(emb.weight.grad, expected, rtol=1e-6, atol=1e-6)
    # no indices, or zero-width rows (functional form): a zero gradient, not a crash
    for shape, indices in (((5, 3), np.zeros((0, 2), np.int64)), ((5, 0), np.array([1, 2]))):
        weight = Tensor(np.ones(shape, np.float32), requires_grad=True)
        out = F.embedding(indices, weight)
        out.backward(gradient=np.ones(out.shape, np.float32))
        np.testing.assert_array_equal(weight.grad, np.zeros(shape))


def test_flatten_module():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    with pytest.raises(ValueError):
        nn.Flatten(2, 1)(x)


def test_to_double_casts_parameters_and_float_buffers_only():
    net = Net().double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.features[1].running_var.dtype == np.float64
    assert net.features[1].num_batches_tracked.dtype == np.int64
    assert net.float().head.weight.dtype == np.float32
    with pytest.raises(TypeError):
        net.to(np.int32)


def test_reassigning_a_parameter_or_child_keeps_its_place():
    # PyTorch overwrites the entry in place: parameter, state_dict and container order stay.
    layer = nn.Linear(2, 3)
    layer.weight = nn.Parameter(np.ones((3, 2), np.float32))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert list(layer.state_dict()) == ["weight", "bias"]
    layers = nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 2), nn.Linear(1, 3)])
    layers[0] = nn.Linear(1, 4)
    layers[-1] = nn.Linear(1, 5)
    assert [m.out_features for m in layers] == [4, 2, 5]
    assert list(layers.state_dict())[::2] == ["0.weight", "1.weight", "2.weight"]
    seq = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
    seq.add_module("0", nn.Linear(1, 7))
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU"] and seq[0].out_features == 7
    bn = nn.BatchNorm1d(2)
    bn.register_buffer("running_mean", np.ones(2, np.float32))
    assert list(bn.state_dict())[2:4] == ["running_mean", "running_var"]


def test_state_dict_saves_a_child_shared_under_two_names_under_both():
    # PyTorch's state_dict walks children without de-duplication (parameters() does
    # de-duplicate): its checkpoint of such a model has both keys and must load here.
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(2, 2)
            self.decoder = self.encoder

    model = Tied()
    sd = model.state_dict()
    assert list(sd) == ["encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"]
    assert len(list(model.parameters())) == 2
    sd["decoder.weight"] = np.full((2, 2), 3.0, np.float32)
    assert tuple(model.load_state_dict(sd)) == ([], [])
    np.testing.assert_array_equal(model.encoder.weight.data, 3.0)


def test_train_and_eval_call_each_childs_own_train():
    class FrozenNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm1d(2)
            self.modes = []

        def train(self, mode=True):
            self.modes.append(mode)
            super().train(mode)
            self.bn.train(False)  # statistics stay frozen whatever the parent does
            return self

    net = nn.Sequential(nn.Linear(2, 2), FrozenNorm())
    assert net.eval() is net and net.train() is net
    assert net[1].modes == [False, True]
    assert net.training and net[0].training and net[1].training and not net[1].bn.training


def test_batchnorm_rejected_batch_counts_nothing():
    layer = nn.BatchNorm1d(2, momentum=None, dtype=np.float64)
    x = np.random.default_rng(3).standard_normal((4, 2))
    layer(Tensor(x))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        layer(Tensor(np.ones((1, 2))))
    assert int(layer.num_batches_tracked.data) == 1
    # the next batch is the second of the cumulative average: factor 1/2
    y = 2 * x + 1
    layer(Tensor(y))
    np.testing.assert_allclose(layer.running_mean.data, (x.mean(0) + y.mean(0)) / 2)
    np.testing.assert_allclose(layer.running_var.data, (x.var(0, ddof=1) + y.var(0, ddof=1)) / 2)


def test_batchnorm_bias_false_keeps_scale_only():
    layer = nn.BatchNorm1d(2, bias=False, dtype=np.float64)
    assert layer.bias is None and list(layer.state_dict())[0:2] == ["weight", "running_mean"]
    layer.weight.data[...] = [2.0, -1.0]
    x = np.random.default_rng(4).standard_normal((5, 2))
    xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    np.testing.assert_allclose(layer(Tensor(x)).data, xhat * [2.0, -1.0], rtol=1e-10)


def test_reprs_are_pytorchs():
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LogSoftmax(dim=-1)) == "LogSoftmax(dim=-1)"
    assert repr(nn.Embedding(3, 2, padding_idx=-1)) == "Embedding(3, 2, padding_idx=2)"
    assert repr(nn.Embedding(3, 2)) == "Embedding(3, 2)"
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"
    assert repr(nn.LayerNorm(4, bias=False)) == (
        "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)"
    )
    assert repr(nn.BatchNorm2d(3, affine=False)) == (
        "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
        "track_running_stats=True)"
    )
    result = nn.Linear(2, 2).load_state_dict(nn.Linear(2, 2).state_dict())
    assert repr(result) == str(result) == "<All keys matched successfully>"
    result = nn.Linear(2, 2).load_state_dict({"weight": np.zeros((2, 2))}, strict=False)
    assert repr(result) == "IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])"


def test_dropout_takes_numpy_probabilities():
    assert nn.Dropout(np.float32(0.25)).p == 0.25
    assert F.dropout(Tensor(np.ones(3, np.float32)), np.float64(0.0)).data.sum() == 3
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(np.float32(1.5))


def test_functional_softmax_without_dim_uses_pytorchs_legacy_axis():
    # torch.nn.functional.softmax(x) with dim=None: axis 0 for 0-, 1- and 3-D input, else 1
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 5))
    for ndim, axis in ((1, 0), (2, 1), (3, 0), (4, 1)):
        a = x[(0,) * (4 - ndim)]
        e = np.exp(a - a.max(axis, keepdims=True))
        expected = e / e.sum(axis, keepdims=True)
        np.testing.assert_allclose(F.softmax(Tensor(a)).data, expected, rtol=1e-12)
        np.testing.assert_allclose(F.log_softmax(Tensor(a)).data, np.log(expected), rtol=1e-12)


def test_functional_activations_and_dropout_accept_inplace():
    x = Tensor(np.array([-1.0, 2.0]))
    np.testing.assert_array_equal(F.relu(x, inplace=True).data, [0.0, 2.0])
    np.testing.assert_array_equal(F.leaky_relu(x, 0.5, inplace=False).data, [-0.5, 2.0])
    np.testing.assert_allclose(F.silu(x, inplace=False).data, x.data / (1 + np.exp(-x.data)))
    assert F.dropout(x, 0.5, False, inplace=False) is x


def test_registered_names_follow_pytorchs_rules():
    # "a.b" would make state_dict keys ambiguous ("a.b.weight"); PyTorch raises KeyError
    layer = nn.Linear(1, 1)
    layer.note = 3
    for register, value in ((layer.register_parameter, nn.Parameter(np.zeros(1))),
                            (layer.register_buffer, np.zeros(1)), (layer.add_module, nn.ReLU())):
        for name, message in (("a.b", 'contain "\\."'), ("", "empty string"),
                              ("note", "already exists"), ("train", "already exists")):
            with pytest.raises(KeyError, match=message):
                register(name, value)
        with pytest.raises(TypeError, match="should be a string"):
            register(1, value)
    with pytest.raises(KeyError, match="already exists"):
        layer.register_buffer("weight", np.zeros(1))
    assert list(layer.state_dict()) == ["weight", "bias"] and layer.note == 3
    assert not list(layer.children())


def test_batchnorm_accepts_eps_zero_as_pytorch():
    x = np.random.default_rng(6).standard_normal((5, 2))
    out = nn.BatchNorm1d(2, eps=0.0, dtype=np.float64)(Tensor(x)).data
    np.testing.assert_allclose(out, (x - x.mean(0)) / x.std(0), rtol=1e-10)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        nn.BatchNorm1d(2, eps=-1e-5)


def test_init_rejects_an_empty_range_or_negative_std_leaving_the_tensor():
    t = Tensor(np.full(3, 7.0, np.float32))
    with pytest.raises(ValueError, match=r"uniform_: expects a <= b .*a=1.0, b=0.0"):
        nn.init.uniform_(t, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"normal_: expects std >= 0, got std=-1.0"):
        nn.init.normal_(t, 0.0, -1.0)
    np.testing.assert_array_equal(t.data, 7.0)
    np.testing.assert_array_equal(nn.init.uniform_(t, 0.5, 0.5).data, 0.5)  # a == b is allowed


def test_modulelist_repr_folds_identical_runs_as_pytorch():
    linear = "Linear(in_features=1, out_features=2, bias=True)"
    layers = nn.ModuleList([nn.Linear(1, 2), nn.Linear(1, 2), nn.ReLU(), nn.Linear(1, 2)])
    assert repr(layers) == (
        f"ModuleList(\n  (0-1): 2 x {linear}\n  (2): ReLU()\n  (3): {linear}\n)"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_layernorm_takes_a_numpy_int_shape_and_refuses_a_bool():
    layer = nn.LayerNorm(np.int64(4))
    assert layer.normalized_shape == (4,) and layer.weight.shape == (4,)
    with pytest.raises(ValueError, match="normalized_shape must be positive ints"):
        nn.LayerNorm(True)


def test_module_to_a_device_is_accepted_and_changes_nothing_but_a_dtype_casts():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    assert model.to("cpu") is model and model.cpu() is model and model.to(device="cpu") is model
    assert model[0].weight is weight and weight.dtype == np.float32
    model.to("cpu", np.float64)
    assert weight.dtype == np.float64 and model[1].running_var.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64  # integer buffers keep their dtype
    with pytest.raises(ValueError, match="CPU only; got device 'cuda:0'"):
        model.to("cuda:0")
    assert weight.dtype == np.float64


def test_trunc_normal_matches_the_truncated_normal_moments():
    manual_seed(0)
    w = Tensor(np.zeros((400, 500), np.float64))
    mean, std, a, b = 0.5, 2.0, -1.0, 2.0
    nn.init.trunc_normal_(w, mean=mean, std=std, a=a, b=b)
    assert w.data.min() >= a and w.data.max() <= b
    # closed form: alpha, beta standardised bounds, Z = Phi(beta) - Phi(alpha)
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = [math.exp(-t * t / 2) / math.sqrt(2 * math.pi) for t in (alpha, beta)]
    z = 0.5 * (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2)))
    shift = (pdf[0] - pdf[1]) / z
    expected_mean = mean + std * shift
    expected_var = std**2 * (1 + (alpha * pdf[0] - beta * pdf[1]) / z - shift**2)
    n = w.data.size
    assert abs(w.data.mean() - expected_mean) < 5 * math.sqrt(expected_var / n)
    assert abs(w.data.var() / expected_var - 1) < 0.01
    # the fraction below the midpoint of [a, b] follows the normal CDF
    mid = (a + b) / 2
    below = 0.5 * (math.erf((mid - mean) / std / math.sqrt(2)) - math.erf(alpha / math.sqrt(2)))
    assert abs(np.mean(w.data < mid) - below / z) < 0.005
    nn.init.trunc_normal_(w, std=0.02)  # the common call: bounds +-2 are far out, N(0, 0.02^2)
    assert abs(w.data.std() - 0.02) < 0.0005


def test_orthogonal_gives_orthonormal_rows_or_columns_times_gain():
    manual_seed(0)
    for shape in ((6, 4), (4, 6), (5, 2, 3)):
        w = Tensor(np.zeros(shape, np.float32))
        nn.init.orthogonal_(w, gain=2.0)
        flat = w.data.reshape(shape[0], -1).astype(np.float64) / 2.0
        small = min(flat.shape)
        gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
        np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.orthogonal_(Tensor(np.zeros(3, np.float32)))


def test_embedding_max_norm_rescales_looked_up_rows_in_place():
    table = np.arange(15.0).reshape(5, 3)
    emb = nn.Embedding.from_pretrained(table, freeze=False, max_norm=4.0, norm_type=1.0)
    out = emb(np.array([[1, 1], [4, 0]]))
    expected = table.copy()
    for row in (0, 1, 4):  # only looked-up rows whose L1 norm exceeds 4 shrink, to norm ~4
        norm = np.abs(table[row]).sum()
        if norm > 4.0:
            expected[row] = table[row] * 4.0 / (norm + 1e-7)
    np.testing.assert_allclose(emb.weight.data, expected, rtol=1e-15)
    np.testing.assert_allclose(out.data, expected[[[1, 1], [4, 0]]], rtol=1e-15)
    assert np.array_equal(emb.weight.data[2:4], table[2:4])
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        nn.Embedding(3, 2, max_norm=0.0)


def test_embedding_scale_grad_by_freq_divides_by_lookup_counts():
    rng = np.random.default_rng(1)
    emb = nn.Embedding(4, 2, scale_grad_by_freq=True, dtype=np.float64)
    idx = np.array([[0, 2, 2], [2, 3, 0]])
    g = rng.standard_normal((2, 3, 2))
    emb(idx).backward(gradient=g)
    expected = np.zeros((4, 2))
    counts = np.zeros(4)
    for position, row in np.ndenumerate(idx):
        expected[row] += g[position]
        counts[row] += 1
    expected /= np.maximum(counts, 1)[:, None]
    np.testing.assert_allclose(emb.weight.grad, expected, rtol=1e-15)


def test_embedding_from_pretrained_copies_and_freezes():
    table = np.linspace(-1, 1, 12).reshape(4, 3)
    frozen = nn.Embedding.from_pretrained(Tensor(table), padding_idx=1)
    assert not frozen.weight.requires_grad and frozen.weight.dtype == np.float64
    np.testing.assert_array_equal(frozen.weight.data, table)  # padding row kept, as torch
    table[0, 0] = 5.0  # a copy: the module does not follow the caller's array
    assert frozen.weight.data[0, 0] == -1.0
    trainable = nn.Embedding.from_pretrained(np.ones((3, 2)), freeze=False, padding_idx=0)
    trainable(np.array([0, 2, 2])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad, [[0, 0], [0, 0], [2, 2]])
    with pytest.raises(ValueError, match="embeddings must be 2-D"):
        nn.Embedding.from_pretrained(np.ones(3))
    with pytest.raises(TypeError, match="embeddings must be floating"):
        nn.Embedding.from_pretrained(np.ones((2, 2), dtype=np.int64))
