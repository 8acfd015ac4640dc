"""Lazy modules (sizes read from the first input, then the regular class) and nn.Buffer,
with outputs checked against numpy references and torch's documented behaviour."""

import math
import pickle

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor, nn, optim

RNG = np.random.default_rng(0)


def test_lazy_linear_infers_in_features_and_becomes_linear():
    tg.manual_seed(0)
    m = nn.LazyLinear(4)
    assert repr(m) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    weight, bias = m.weight, m.bias
    assert isinstance(weight, nn.UninitializedParameter)
    with pytest.raises(RuntimeError, match="uninitialized parameter"):
        weight.shape  # noqa: B018
    x = RNG.standard_normal((2, 5, 3)).astype(np.float32)
    y = m(Tensor(x))
    assert type(m) is nn.Linear and m.in_features == 3
    assert repr(m) == "Linear(in_features=3, out_features=4, bias=True)"
    # the same objects, now Parameters: references taken earlier stay valid
    assert m.weight is weight and type(weight) is nn.Parameter and weight.shape == (4, 3)
    assert m.bias is bias and bias.shape == (4,) and bias.requires_grad
    np.testing.assert_allclose(y.data, x @ weight.data.T + bias.data, rtol=1e-6)
    # PyTorch's init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias
    assert np.abs(weight.data).max() <= 1 / math.sqrt(3) and np.abs(weight.data).max() > 0
    y.sum().backward()
    np.testing.assert_allclose(weight.grad, np.tile(x.reshape(-1, 3).sum(0), (4, 1)),
                               rtol=1e-5)
    opt = optim.SGD(m.parameters(), lr=0.1)  # fine once initialised
    before = weight.data.copy()
    opt.step()
    np.testing.assert_allclose(weight.data, before - 0.1 * weight.grad, rtol=1e-6)


def test_optimizer_before_the_first_call_is_refused():
    m = nn.Sequential(nn.LazyLinear(3), nn.ReLU())
    with pytest.raises(ValueError, match="uninitialized parameter of a lazy module"):
        optim.Adam(m.parameters())


def naive_conv2d(x, w, b, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    out = np.zeros((n, o, h - kh + 1, wd - kw + 1))
    per_group = o // groups
    for oc in range(o):
        g = oc // per_group
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                patch = x[:, g * cg:(g + 1) * cg, i:i + kh, j:j + kw]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3)) + b[oc]
    return out


def test_lazy_conv2d_groups_and_bad_input():
    m = nn.LazyConv2d(6, 3, groups=2, dtype=np.float64)
    with pytest.raises(ValueError, match="groups"):  # 3 channels do not split in 2 groups
        m(Tensor(np.ones((1, 3, 5, 5))))
    assert type(m) is nn.LazyConv2d and m.in_channels == 0  # unchanged by the failure
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) or \(C, H, W\)"):
        m(Tensor(np.ones((5, 5))))
    x = RNG.standard_normal((2, 4, 5, 6))
    y = m(Tensor(x))
    assert type(m) is nn.Conv2d and m.in_channels == 4 and m.weight.shape == (6, 2, 3, 3)
    np.testing.assert_allclose(y.data, naive_conv2d(x, m.weight.data, m.bias.data, 2),
                               rtol=1e-10)


def test_lazy_conv1d_and_transposed_shapes():
    c1 = nn.LazyConv1d(4, 3, bias=False)
    c1(Tensor(np.ones((6, 5), dtype=np.float32)))  # unbatched (C, L)
    assert type(c1) is nn.Conv1d and c1.weight.shape == (4, 6, 3) and c1.bias is None
    t1 = nn.LazyConvTranspose1d(4, 3, groups=2)
    out = t1(Tensor(np.ones((1, 6, 5), dtype=np.float32)))
    assert type(t1) is nn.ConvTranspose1d and t1.weight.shape == (6, 2, 3)
    assert out.shape == (1, 4, 7)
    t2 = nn.LazyConvTranspose2d(3, 2, stride=2)
    assert t2(Tensor(np.ones((2, 5, 4, 4), dtype=np.float32))).shape == (2, 3, 8, 8)
    assert type(t2) is nn.ConvTranspose2d and t2.in_channels == 5


def test_lazy_batch_norm_state_dict_and_running_stats():
    m = nn.LazyBatchNorm1d(momentum=0.2)
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert sd["weight"].size == 0 and sd["running_mean"].size == 0
    assert sd["num_batches_tracked"] == 0  # a real buffer, as torch's
    assert isinstance(m.running_mean, nn.UninitializedBuffer)
    x = RNG.standard_normal((8, 3)).astype(np.float32) * 2 + 1
    y = m(Tensor(x))
    assert type(m) is nn.BatchNorm1d and m.num_features == 3
    assert type(m.running_mean) is Tensor
    np.testing.assert_allclose(m.running_mean.data, 0.2 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(m.running_var.data, 0.8 + 0.2 * x.var(0, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(y.data, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), atol=1e-5)
    assert int(m.num_batches_tracked.data) == 1
    b2 = nn.LazyBatchNorm2d(affine=False)
    b2(Tensor(np.ones((2, 5, 3, 3), dtype=np.float32)))
    assert type(b2) is nn.BatchNorm2d and b2.weight is None and b2.running_var.shape == (5,)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        nn.LazyBatchNorm2d()(Tensor(np.ones((2, 5, 3), dtype=np.float32)))


def test_lazy_instance_norm_defaults_and_output():
    m = nn.LazyInstanceNorm1d()
    # torch's lazy instance norms default to affine=True, track_running_stats=True
    assert m.affine and m.track_running_stats
    x = RNG.standard_normal((2, 3, 7)).astype(np.float32)
    y = m(Tensor(x))
    assert type(m) is nn.InstanceNorm1d and m.num_features == 3 and m.weight.shape == (3,)
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y.data, ref, atol=1e-5)
    m2 = nn.LazyInstanceNorm2d(affine=False, track_running_stats=False)
    assert m2.state_dict() == {}
    assert m2(Tensor(np.ones((3, 4, 4), dtype=np.float32))).shape == (3, 4, 4)
    assert type(m2) is nn.InstanceNorm2d


def test_load_state_dict_materialises_placeholders():
    ref = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    lazy = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2))
    with pytest.raises(RuntimeError, match="Missing key"):
        lazy.load_state_dict({"0.weight": np.zeros((4, 3))})
    assert isinstance(lazy[0].weight, nn.UninitializedParameter)  # a failed load undoes
    lazy.load_state_dict(ref.state_dict())
    assert type(lazy[0]) is nn.LazyLinear and lazy[0].weight.shape == (4, 3)
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(lazy(Tensor(x)).data, ref(Tensor(x)).data, rtol=1e-6)
    assert type(lazy[0]) is nn.Linear and lazy[0].in_features == 3
    np.testing.assert_array_equal(lazy[0].weight.data, ref[0].weight.data)  # kept, not re-init
    other = nn.LazyLinear(4)
    other.load_state_dict(nn.Linear(3, 4).state_dict())
    with pytest.raises(ValueError, match=r"loaded with shape \(4, 3\)"):
        other(Tensor(np.ones((2, 5), dtype=np.float32)))


def test_lazy_constructor_validates_now():
    with pytest.raises(ValueError, match="out_features"):
        nn.LazyLinear(-1)
    with pytest.raises(ValueError, match="groups"):
        nn.LazyConv2d(5, 3, groups=2)  # out_channels 5 not divisible by groups
    with pytest.raises(ValueError, match="momentum"):
        nn.LazyBatchNorm1d(momentum=2.0)


def test_buffer_registers_on_assignment():
    m = nn.Module()
    m.a = nn.Buffer(np.arange(3))
    m.b = nn.Buffer(Tensor(np.ones(2)), persistent=False)
    assert [name for name, _ in m.named_buffers()] == ["a", "b"]
    assert list(m.state_dict()) == ["a"]
    np.testing.assert_array_equal(m.state_dict()["a"], np.arange(3))
    assert not m.a.requires_grad and list(m.parameters()) == []
    m.a = nn.Buffer(np.zeros(1), persistent=False)  # reassigning updates persistence
    assert m.state_dict() == {}
    empty = nn.Buffer()
    assert empty.data.size == 0 and empty.persistent


def test_lazy_dtype_device_and_hooks():
    m = nn.LazyLinear(2).double()  # converting the placeholders before the call sticks
    calls = []
    m.register_forward_pre_hook(lambda mod, args: calls.append(type(mod).__name__))
    y = m(Tensor(np.ones((1, 3))))
    assert m.weight.dtype == np.float64 and y.dtype == np.float64
    assert calls == ["Linear"]  # hooks survive and run once the module is a Linear
    assert nn.LazyConv1d(2, 3, device="cpu").out_channels == 2
    with pytest.raises(ValueError, match="CPU only"):
        nn.LazyLinear(2, device="cuda")
    with pytest.raises(ValueError, match="0-d"):
        nn.LazyLinear(2)(Tensor(np.array(1.0)))


def test_lazy_initialisation_is_a_forward_pre_hook_in_torchs_order():
    # as torch: the inference is the module's first forward pre-hook, so the global
    # pre-hooks and a prepended pre-hook change the input it reads; a later pre-hook sees
    # the initialised module
    from tinygrad_opt.nn import module_hooks
    from tinygrad_opt.nn.module import register_module_forward_pre_hook

    x = Tensor(np.arange(8.0).reshape(2, 4))
    m = nn.LazyLinear(3).double()
    m.register_forward_pre_hook(lambda mod, args: (args[0][:, :2],), prepend=True)
    seen = []
    m.register_forward_pre_hook(lambda mod, args: seen.append((type(mod).__name__,
                                                               mod.in_features)))
    y = m(x)
    assert m.weight.shape == (3, 2) and seen == [("Linear", 2)]
    np.testing.assert_allclose(y.data, x.data[:, :2] @ m.weight.data.T + m.bias.data)

    g = nn.LazyLinear(3)
    with register_module_forward_pre_hook(
        lambda mod, args: (args[0][:, 1:],) if isinstance(mod, nn.Linear) else None
    ):
        g(x)
    assert g.in_features == 3 and g.weight.shape == (3, 3)

    # the inference hook is removed once it has run, and a lazy module dropped before its
    # first call stops counting at once (no reference cycle waiting for the collector)
    count = module_hooks.COUNT[0]
    assert not module_hooks.has_own_hooks(g)
    dropped = nn.LazyLinear(3)
    assert module_hooks.COUNT[0] == count + 1
    del dropped
    assert module_hooks.COUNT[0] == count
    with pytest.raises(TypeError, match="expected the input"):
        nn.LazyLinear(3)()
    # an uninitialised lazy module still pickles (its hook handle with it)
    revived = pickle.loads(pickle.dumps(nn.LazyLinear(3)))
    y = revived(x)
    assert type(revived) is nn.Linear and revived.weight.shape == (3, 4)
    np.testing.assert_allclose(y.data, x.data @ revived.weight.data.T + revived.bias.data,
                               rtol=1e-6)
    assert module_hooks.COUNT[0] == count


def test_buffer_does_not_replace_a_parameter_or_child_and_lazy_keeps_user_buffers():
    m = nn.Linear(2, 2)
    weight = m.weight
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.weight = nn.Buffer(np.zeros((2, 2)))
    assert m.weight is weight and list(m.state_dict()) == ["weight", "bias"]
    seq = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="child module '0'"):
        setattr(seq, "0", nn.Buffer(np.zeros(1)))
    assert isinstance(seq[0], nn.Linear)
    # a buffer the user adds to a lazy module survives the initialisation, values and all
    lazy = nn.LazyLinear(3)
    lazy.register_buffer("scale", Tensor(np.array([2.0, 5.0])))
    x = Tensor(np.ones((1, 4), dtype=np.float32))
    y = lazy(x)
    assert list(lazy.state_dict()) == ["weight", "bias", "scale"]
    np.testing.assert_array_equal(lazy.scale.data, [2.0, 5.0])
    np.testing.assert_allclose(y.data, x.data @ lazy.weight.data.T + lazy.bias.data, rtol=1e-6)
