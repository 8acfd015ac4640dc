"""The Optimizer base: flat buffers, groups, state_dict, skip_nonfinite, validation, compiling."""

import copy
import subprocess
import sys

import numpy as np
import pytest

from tinygrad_opt import Tensor, optim
from tinygrad_opt.optim import SGD, Adam, AdamW

CORE = {
    "sgd": {"lr": 0.02, "momentum": 0.9, "nesterov": True},
    "adagrad": {"lr": 0.1, "lr_decay": 0.01},
    "rmsprop": {"lr": 0.005, "momentum": 0.5, "centered": True},
    "adam": {"lr": 0.02, "amsgrad": True},
    "adamw": {"lr": 0.02, "weight_decay": 0.1},
}


def make_params(rng, shapes=((4, 3), (3,), (0,), (2, 2, 2)), dtype=np.float64):
    return [Tensor(rng.normal(size=s).astype(dtype), requires_grad=True) for s in shapes]


def snapshot(opt):
    """A deep copy of params and state, to check that something changed nothing."""
    params = [p.data.copy() for g in opt.param_groups for p in g["params"]]
    return params, copy.deepcopy(opt.state_dict())


def assert_same_snapshot(a, b):
    for x, y in zip(a[0], b[0]):
        np.testing.assert_array_equal(x, y)
    sa, sb = a[1], b[1]
    assert [{k: v for k, v in g.items() if k != "params"} for g in sa["param_groups"]] == [
        {k: v for k, v in g.items() if k != "params"} for g in sb["param_groups"]
    ]
    assert sa["state"].keys() == sb["state"].keys()
    for i in sa["state"]:
        assert sa["state"][i].keys() == sb["state"][i].keys()
        for k in sa["state"][i]:
            np.testing.assert_array_equal(sa["state"][i][k], sb["state"][i][k])


# ------------------------------------------------------------------------ flat buffers
def test_params_and_grads_become_views_of_one_flat_buffer():
    rng = np.random.default_rng(0)
    params = make_params(rng)
    values = [p.data.copy() for p in params]
    opt = Adam(params)
    (buffer,) = opt.flat_buffers()
    assert buffer.data.size == sum(v.size for v in values)
    for p, v in zip(params, values):
        np.testing.assert_array_equal(p.data, v)
        assert p.data.base is buffer.data
        assert p._grad_storage.base is buffer.grad
        assert opt.state[p]["exp_avg"].base is buffer.state["exp_avg"]


def test_backward_writes_gradients_straight_into_the_flat_buffer():
    rng = np.random.default_rng(1)
    a, b = make_params(rng, shapes=((3, 2), (2,)))
    opt = SGD([a, b], lr=0.1)
    ((a * a).sum() + (b * 3.0).sum()).backward()
    assert a.grad is a._grad_storage and b.grad is b._grad_storage
    np.testing.assert_allclose(opt.flat_buffers()[0].grad, np.concatenate([2 * a.data.ravel(),
                                                                            [3.0, 3.0]]))
    before = a.data.copy()
    opt.step()
    np.testing.assert_allclose(a.data, before - 0.1 * 2 * before)


def test_user_rebound_data_and_assigned_grad_are_adopted():
    p = Tensor(np.zeros(3), requires_grad=True)
    opt = SGD([p], lr=0.5)
    p.data = np.array([1.0, 2.0, 3.0])  # e.g. a model load that rebinds instead of copying
    p.grad = np.array([2.0, 2.0, 2.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.0, 1.0, 2.0])
    assert p.data.base is opt.flat_buffers()[0].data
    assert p.grad.base is opt.flat_buffers()[0].grad


def test_grad_of_the_wrong_shape_is_refused():
    p = Tensor(np.zeros(3), requires_grad=True)
    opt = SGD([p], lr=0.5)
    p.grad = np.ones(4)
    with pytest.raises(RuntimeError, match="shape"):
        opt.step()


def test_a_group_mixing_float32_and_float64_splits_by_dtype():
    rng = np.random.default_rng(2)
    a = Tensor(rng.normal(size=5).astype(np.float32), requires_grad=True)
    b = Tensor(rng.normal(size=4), requires_grad=True)
    ref_a, ref_b = a.data.astype(np.float64), b.data.copy()
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    assert sorted(str(buf.dtype) for buf in opt.flat_buffers()) == ["float32", "float64"]
    for _ in range(3):
        a.grad = a.data.copy()
        b.grad = b.data.copy()
        opt.step()
    assert a.data.dtype == np.float32 and b.data.dtype == np.float64
    np.testing.assert_allclose(b.data, _sgd_momentum_on_identity(ref_b), rtol=1e-12)
    np.testing.assert_allclose(a.data, _sgd_momentum_on_identity(ref_a), rtol=1e-5)


def _sgd_momentum_on_identity(p0):
    p, b = p0.copy(), None
    for _ in range(3):
        g = p.copy()
        b = g if b is None else 0.9 * b + g
        p = p - 0.1 * b
    return p


@pytest.mark.parametrize("name", sorted(CORE))
def test_float32_parameters_track_the_float64_rule(name):
    rng = np.random.default_rng(4)
    p32 = Tensor(rng.normal(size=200).astype(np.float32), requires_grad=True)
    p64 = Tensor(p32.data.astype(np.float64), requires_grad=True)
    o32 = optim.create(name, [p32], **CORE[name])
    o64 = optim.create(name, [p64], **CORE[name])
    for _ in range(10):
        g = rng.normal(size=200)
        p32.grad, p64.grad = g.astype(np.float32), g
        o32.step()
        o64.step()
    assert p32.data.dtype == np.float32
    np.testing.assert_allclose(p32.data, p64.data, rtol=1e-4, atol=1e-4)


def test_zero_grad_sets_none_or_zeros_in_place():
    p = Tensor(np.ones(3), requires_grad=True)
    q = Tensor(np.ones(2), requires_grad=True)
    opt = SGD([p, q])
    p.grad = np.full(3, 5.0)
    opt.step()
    opt.zero_grad(set_to_none=False)
    assert q.grad is None
    np.testing.assert_array_equal(p.grad, np.zeros(3))
    assert p.grad.base is opt.flat_buffers()[0].grad
    opt.zero_grad()
    assert p.grad is None and q.grad is None


# ---------------------------------------------------------------------- step behaviour
def test_parameters_without_grad_are_skipped_and_keep_their_step():
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    opt = Adam([a, b], lr=0.1)
    a.grad = np.ones(2)
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2))
    assert int(opt.state[a]["step"]) == 1 and int(opt.state[b]["step"]) == 0
    np.testing.assert_array_equal(opt.state[b]["exp_avg"], 0.0)


def test_closure_is_called_and_its_loss_returned():
    p = Tensor(np.array([3.0]), requires_grad=True)
    opt = SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss.item()) == 9.0
    np.testing.assert_allclose(p.data, [3.0 - 0.25 * 6.0])


def least_squares(rng, n=64, d=8):
    x = rng.normal(size=(n, d))
    w_true = rng.normal(size=d)
    y = x @ w_true + 0.01 * rng.normal(size=n)
    return x, y


@pytest.mark.parametrize("name", sorted(CORE))
def test_every_core_optimizer_reduces_a_regression_loss(name):
    rng = np.random.default_rng(5)
    x, y = least_squares(rng)
    w = Tensor(np.zeros(8), requires_grad=True)
    opt = optim.create(name, [w], **CORE[name])

    def loss():
        return float(np.mean((x @ w.data - y) ** 2))

    start = loss()
    for _ in range(200):
        w.grad = 2 * x.T @ (x @ w.data - y) / len(y)
        opt.step()
    assert loss() < 0.05 * start


ROSENBROCK = {
    "sgd": {"lr": 1e-3, "momentum": 0.9},
    "adagrad": {"lr": 0.5},
    "rmsprop": {"lr": 1e-3, "momentum": 0.9},
    "adam": {"lr": 0.02},
    "adamw": {"lr": 0.02, "weight_decay": 0.0},
}


def rosenbrock(xy):
    x, y = xy
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_grad(xy):
    x, y = xy
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


@pytest.mark.parametrize("name", sorted(ROSENBROCK))
def test_every_core_optimizer_makes_progress_on_rosenbrock(name):
    p = Tensor(np.array([-1.5, 2.0]), requires_grad=True)
    opt = optim.create(name, [p], **ROSENBROCK[name])
    start_value, start_distance = rosenbrock(p.data), np.hypot(*(p.data - 1))
    for _ in range(2000):
        p.grad = rosenbrock_grad(p.data)
        opt.step()
    assert rosenbrock(p.data) < 0.05 * start_value
    assert np.hypot(*(p.data - 1)) < 0.5 * start_distance


# ------------------------------------------------------------------------ skip_nonfinite
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_skip_nonfinite_changes_nothing_and_counts(bad):
    rng = np.random.default_rng(6)
    params = make_params(rng)
    opt = Adam(params, lr=0.1, skip_nonfinite=True)
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    before = snapshot(opt)
    for p in params:
        p.grad = np.ones_like(p.data)
    params[3].grad[1, 0, 1] = bad
    opt.step()
    assert opt.skipped_steps == 1
    assert "skipped_steps: 1" in repr(opt)
    assert_same_snapshot(before, snapshot(opt))
    params[3].grad[1, 0, 1] = 0.5
    opt.step()
    assert opt.skipped_steps == 1 and int(opt.state[params[0]]["step"]) == 2


def test_without_skip_nonfinite_a_nan_stays_visible():
    p = Tensor(np.ones(3), requires_grad=True)
    opt = Adam([p], lr=0.1)
    p.grad = np.array([1.0, np.nan, 1.0])
    opt.step()
    assert np.isnan(p.data[1]) and np.isfinite(p.data[[0, 2]]).all()
    assert opt.skipped_steps == 0


# ------------------------------------------------------------------------ state_dict
def run_steps(opt, params, rng, steps, none_probability=0.2):
    for _ in range(steps):
        for p in params:
            p.grad = None if rng.random() < none_probability else rng.normal(size=p.shape)
        opt.step()


ROUND_TRIP = [
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1}),
    ("sgd", {"lr": 0.05}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("rmsprop", {"momentum": 0.9, "centered": True}),
    ("adam", {"amsgrad": True, "weight_decay": 0.1}),
    ("adamw", {"lr": 0.01}),
]


@pytest.mark.parametrize("name, hp", ROUND_TRIP)
def test_state_dict_round_trip_then_20_steps_is_bit_identical(name, hp):
    rng = np.random.default_rng(7)
    params = make_params(rng)
    opt = optim.create(name, [{"params": params[:2]}, {"params": params[2:], "lr": 0.003}], **hp)
    run_steps(opt, params, rng, 10)
    saved = opt.state_dict()

    clones = [Tensor(p.data.copy(), requires_grad=True) for p in params]
    fresh = optim.create(name, [{"params": clones[:2]}, {"params": clones[2:]}], **hp)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[1]["lr"] == 0.003

    seed = 99
    run_steps(opt, params, np.random.default_rng(seed), 20)
    run_steps(fresh, clones, np.random.default_rng(seed), 20)
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(p.data, q.data)
        for key in opt.state[p]:
            np.testing.assert_array_equal(opt.state[p][key], fresh.state[q][key])


def test_state_dict_layout_is_pytorch_s():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    opt = Adam([{"params": [a]}, {"params": [b], "lr": 0.5}])
    a.grad = np.ones((2, 3))
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["lr"] == 1e-3
    assert sd["state"][0]["step"] == 1 and isinstance(sd["state"][0]["step"], int)
    assert sd["state"][1]["step"] == 0  # complete before the first update
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    assert sd["state"][0]["exp_avg"].shape == (2, 3)
    sd["state"][0]["exp_avg"][...] = 123.0  # a snapshot: editing it changes nothing
    assert not (opt.state[a]["exp_avg"] == 123.0).any()


def test_state_dict_with_string_keys_and_torch_style_sgd_state_loads():
    """After a JSON-like save, keys are strings; PyTorch's SGD keeps no 'step'."""
    p = Tensor(np.ones(2), requires_grad=True)
    opt = SGD([p], lr=0.1, momentum=0.9)
    sd = {
        "state": {"0": {"momentum_buffer": np.array([1.0, 2.0])}},
        "param_groups": [{"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0,
                          "nesterov": False, "maximize": False, "foreach": None, "params": [0]}],
    }
    opt.load_state_dict(sd)
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [1.0, 2.0])
    p.grad = np.zeros(2)
    opt.step()  # not a first step: b = 0.9 * b
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [0.9, 1.8])


class TinyModel:
    def __init__(self, names, shapes, rng):
        self.named = [(n, Tensor(rng.normal(size=s), requires_grad=True))
                      for n, s in zip(names, shapes)]

    def named_parameters(self):
        return iter(self.named)

    def parameters(self):
        return iter(p for _, p in self.named)


def test_named_parameters_are_recorded_and_checked():
    rng = np.random.default_rng(8)
    model = TinyModel(["fc.weight", "fc.bias"], [(3, 2), (3,)], rng)
    opt = Adam(model.named_parameters(), lr=0.05)
    for p in model.parameters():
        p.grad = np.ones(p.shape)
    opt.step()  # non-trivial state and another lr: a partial load would show
    saved = opt.state_dict()
    assert saved["param_groups"][0]["param_names"] == ["fc.weight", "fc.bias"]
    assert saved["state"][0]["step"] == 1

    renamed = TinyModel(["fc.weight", "head.bias"], [(3, 2), (3,)], rng)
    other = Adam(renamed.named_parameters(), lr=0.5)
    before = snapshot(other)
    with pytest.raises(ValueError, match="head.bias.*fc.bias"):
        other.load_state_dict(saved)
    assert_same_snapshot(before, snapshot(other))
    assert other.param_groups[0]["lr"] == 0.5
    assert other.param_groups[0]["param_names"] == ["fc.weight", "head.bias"]


def test_shape_mismatch_names_the_parameter_and_changes_nothing():
    rng = np.random.default_rng(9)
    source = TinyModel(["fc.weight", "fc.bias"], [(3, 2), (3,)], rng)
    opt = Adam(source.named_parameters())
    for p in source.parameters():
        p.grad = np.ones(p.shape)
    opt.step()
    saved = opt.state_dict()
    target = TinyModel(["fc.weight", "fc.bias"], [(3, 2), (4,)], rng)
    other = Adam(target.named_parameters(), lr=0.5)
    before = snapshot(other)
    with pytest.raises(ValueError, match=r"'fc.bias'.*\(3,\).*\(4,\)"):
        other.load_state_dict(saved)
    assert_same_snapshot(before, snapshot(other))
    assert other.param_groups[0]["lr"] == 0.5


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])), "2 parameter groups"),
        (lambda sd: sd["param_groups"][0]["params"].pop(), "has 1 parameters"),
        (lambda sd: sd["state"][0].update(foo=np.ones(2)), "'foo'"),
        (lambda sd: sd["param_groups"][0].update(lr=-1.0), "lr"),
        (lambda sd: sd.pop("state"), "'state'"),
    ],
)
def test_bad_state_dicts_raise_and_change_nothing(edit, message):
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    opt = Adam([a, b], lr=0.1)
    a.grad, b.grad = np.ones(2), np.ones(3)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][1]["exp_avg"][...] = 7.0  # would show if a partial load happened
    edit(sd)
    before = snapshot(opt)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(sd)
    assert_same_snapshot(before, snapshot(opt))


def test_loading_amsgrad_state_allocates_the_extra_buffer():
    a = Tensor(np.ones(2), requires_grad=True)
    src = Adam([a], amsgrad=True)
    a.grad = np.ones(2)
    src.step()
    b = Tensor(np.ones(2), requires_grad=True)
    dst = Adam([b])
    dst.load_state_dict(src.state_dict())
    assert dst.param_groups[0]["amsgrad"] is True
    np.testing.assert_array_equal(dst.state[b]["max_exp_avg_sq"], src.state[a]["max_exp_avg_sq"])


# ------------------------------------------------------------------------ validation
def test_invalid_params_are_rejected():
    p = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="Tensor"):
        SGD(p)
    with pytest.raises(TypeError, match="set"):
        SGD({p})
    with pytest.raises(ValueError, match="empty"):
        SGD([])
    with pytest.raises(TypeError, match="int64"):
        SGD([Tensor(np.arange(3))])
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([p * 2.0])
    with pytest.raises(TypeError, match="ndarray"):
        SGD([np.ones(3)])
    with pytest.raises(ValueError, match="twice"):
        SGD([p, p])
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [p]}, {"params": [p]}])
    with pytest.raises(ValueError, match="required"):
        optim.Optimizer([p], {"lr": optim.required})
    q = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="mixes dicts"):
        SGD([{"params": [p]}, q])
    with pytest.raises(TypeError, match="mixes"):
        SGD([("w", p), q])
    with pytest.raises(ValueError, match="'params'"):
        SGD([{"lr": 0.1}])
    with pytest.raises(ValueError, match="named"):
        SGD([{"params": [("w", p)]}, {"params": [q]}])
    with pytest.raises(ValueError, match="param_names"):
        SGD([{"params": [p, q], "param_names": ["w"]}])
    with pytest.raises(TypeError, match="wrap the group"):
        SGD({"params": [p]})


def test_a_failed_constructor_leaves_the_parameters_alone():
    p = Tensor(np.ones(2), requires_grad=True)
    data = p.data
    with pytest.raises(ValueError):
        SGD([{"params": [p]}, {"params": [Tensor(np.ones(2), requires_grad=True) * 1.0]}])
    assert p.data is data and p._grad_storage is None


def test_add_param_group_validates_and_leaves_state_unchanged():
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    opt = Adam([a], lr=0.1)
    before = snapshot(opt)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [b, a]})
    with pytest.raises(ValueError, match="lr"):
        opt.add_param_group({"params": [b], "lr": -1.0})
    assert len(opt.param_groups) == 1 and b not in opt.state
    assert_same_snapshot(before, snapshot(opt))
    opt.add_param_group({"params": [b], "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    b.grad = np.ones(3)
    opt.step()
    assert int(opt.state[b]["step"]) == 1 and np.all(b.data < 1.0)


# ------------------------------------------------------------------------ registry
def test_create_by_name_and_unknown_names_list_the_known_ones():
    p = Tensor(np.ones(2), requires_grad=True)
    assert isinstance(optim.create("AdamW", [p], lr=0.1), AdamW)
    assert {"sgd", "adagrad", "rmsprop", "adam", "adamw"} <= set(optim.available())
    with pytest.raises(ValueError, match="unknown optimizer 'adamx'.*adam"):
        optim.create("adamx", [p])


def test_param_groups_weight_decay_exempts_biases_and_1d_weights():
    rng = np.random.default_rng(10)
    model = TinyModel(
        ["fc.weight", "fc.bias", "norm.weight", "emb.bias_table", "out.weight"],
        [(4, 3), (4,), (4,), (5, 2), (2, 4)],
        rng,
    )
    model.named[4][1].requires_grad = False  # frozen: left out
    decay, exempt = optim.param_groups_weight_decay(model, 0.05)
    assert decay["param_names"] == ["fc.weight"] and decay["weight_decay"] == 0.05
    assert exempt["param_names"] == ["fc.bias", "norm.weight", "emb.bias_table"]
    assert exempt["weight_decay"] == 0.0
    opt = AdamW([decay, exempt], lr=0.1)
    names = opt.state_dict()["param_groups"][1]["param_names"]
    assert names == ["fc.bias", "norm.weight", "emb.bias_table"]
    from_pairs = optim.param_groups_weight_decay(model.named_parameters(), 0.1, no_decay=())
    assert from_pairs[0]["param_names"] == ["fc.weight", "emb.bias_table"]


# ------------------------------------------------------------------------ compilation
KERNELS = {
    "sgd": ("tinygrad_opt.optim.sgd", "_sgd_momentum_kernel"),
    "adagrad": ("tinygrad_opt.optim.adagrad", "_adagrad_kernel"),
    "rmsprop": ("tinygrad_opt.optim.rmsprop", "_rmsprop_kernel"),
    "adam": ("tinygrad_opt.optim.adam", "_adam_kernel"),
    "adamw": ("tinygrad_opt.optim.adam", "_adam_kernel"),
}


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_later_steps_never_recompile(name):
    module, attr = KERNELS[name]
    dispatcher = getattr(sys.modules[module], attr)
    rng = np.random.default_rng(11)
    params32 = make_params(rng, dtype=np.float32)
    params64 = make_params(rng)
    opts = [optim.create(name, ps, **CORE[name]) for ps in (params32, params64)]
    for opt, ps in zip(opts, (params32, params64)):
        run_steps(opt, ps, rng, 2, none_probability=0.0)
    compiled = len(dispatcher.signatures)
    for opt, ps in zip(opts, (params32, params64)):
        opt.param_groups[0]["lr"] = 0.001  # a scheduler changing hyperparameters
        run_steps(opt, ps, rng, 5, none_probability=0.3)
    assert len(dispatcher.signatures) == compiled


def test_importing_tinygrad_opt_compiles_nothing():
    code = (
        "import sys, numba, tinygrad_opt\n"
        "from numba.core.registry import CPUDispatcher\n"
        "n = 0\n"
        "for name, mod in list(sys.modules.items()):\n"
        "    if name.startswith('tinygrad_opt'):\n"
        "        for obj in vars(mod).values():\n"
        "            if isinstance(obj, CPUDispatcher):\n"
        "                n += 1\n"
        "                assert not obj.signatures, (name, obj)\n"
        "assert n >= 5, n\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_small_runs_use_one_thread_and_restore_the_thread_count(monkeypatch):
    import numba

    from tinygrad_opt.optim.parallel import PARALLEL_MIN_SIZE

    big = Tensor(np.ones(PARALLEL_MIN_SIZE + 5), requires_grad=True)
    small = Tensor(np.ones(3), requires_grad=True)
    opt = SGD([{"params": [big]}, {"params": [small]}], lr=0.5)
    threads_by_size = {}
    update = SGD._update

    def recording_update(self, group, run):
        threads_by_size[run.param.size] = numba.get_num_threads()
        update(self, group, run)

    monkeypatch.setattr(SGD, "_update", recording_update)
    before = numba.get_num_threads()
    big.grad, small.grad = np.ones(big.shape), np.ones(3)
    opt.step()
    assert threads_by_size == {PARALLEL_MIN_SIZE + 5: before, 3: 1}
    assert numba.get_num_threads() == before
    np.testing.assert_array_equal(big.data, 0.5)
    np.testing.assert_array_equal(small.data, 0.5)


def test_unsupported_dtype_and_mismatched_grad_are_refused_at_build_time():
    half = Tensor(np.ones(3), requires_grad=True)
    half.data = half.data.astype(np.float16)  # Tensor() itself would make it float32
    with pytest.raises(TypeError, match="float32 or float64.*float16"):
        SGD([half])
    p = Tensor(np.ones(3), requires_grad=True)
    p.grad = np.ones(4)
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        SGD([p])
    assert p._grad_storage is None


def test_a_saved_group_missing_newer_keys_keeps_their_current_values():
    p = Tensor(np.ones(2), requires_grad=True)
    opt = Adam([p], lr=0.1, amsgrad=True)
    sd = opt.state_dict()
    del sd["param_groups"][0]["maximize"], sd["param_groups"][0]["amsgrad"]
    sd["param_groups"][0]["lr"] = 0.2
    opt.load_state_dict(sd)
    group = opt.param_groups[0]
    assert group["lr"] == 0.2 and group["amsgrad"] is True and group["maximize"] is False


def test_benchmark_counts_the_traffic_each_rule_needs():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "optim_step.py"
    spec = importlib.util.spec_from_file_location("optim_step_benchmark", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bytes_per_step, mixed_sizes = bench.bytes_per_step, bench.mixed_sizes

    sizes = mixed_sizes(100_000)
    assert sum(sizes) == 100_000 and len(sizes) == 20 and min(sizes) > 0
    n = 1000
    expected_arrays = {  # params r/w + grads r + each state buffer r/w
        ("adam", False): 7, ("adam", True): 9, ("sgd", False): 3, ("rmsprop", False): 5,
    }
    for (name, amsgrad), arrays in expected_arrays.items():
        hp = {"amsgrad": True} if amsgrad else {}
        for dtype in (np.float32, np.float64):
            p = Tensor(np.ones(n, dtype=dtype), requires_grad=True)
            opt = optim.create(name, [p], **hp)
            assert bytes_per_step(opt) == arrays * n * np.dtype(dtype).itemsize


@pytest.mark.parametrize("name", sorted(CORE))
def test_a_step_allocates_nothing_proportional_to_the_parameters(name):
    import tracemalloc

    rng = np.random.default_rng(12)
    params = make_params(rng, shapes=((300, 400), (400,), (50, 50, 8)))  # 1.3 MB of float64
    opt = optim.create(name, params, **CORE[name])
    for p in params:
        p.grad = rng.normal(size=p.shape)
    opt.step()
    tracemalloc.start()
    try:
        for _ in range(3):
            opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024, peak


def test_param_groups_weight_decay_on_a_real_module():
    from tinygrad_opt import nn

    model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 2))
    decay, exempt = optim.param_groups_weight_decay(model, 0.1)
    assert decay["param_names"] == ["0.weight", "3.weight"]
    assert exempt["param_names"] == ["0.bias", "1.weight", "1.bias", "3.bias"]
    opt = AdamW([decay, exempt], lr=0.1)
    saved = opt.state_dict()
    rebuilt = AdamW(optim.param_groups_weight_decay(model, 0.1), lr=0.1)
    rebuilt.load_state_dict(saved)  # same model: names match
    assert rebuilt.param_groups[0]["weight_decay"] == 0.1
    assert rebuilt.param_groups[1]["weight_decay"] == 0.0


# ------------------------------------------------------------------------ audit additions
def test_skip_nonfinite_sees_a_nan_in_a_large_parameter():
    """A NaN in a parameter big enough for the parallel path must skip the step too."""
    from tinygrad_opt.optim.parallel import PARALLEL_MIN_SIZE

    rng = np.random.default_rng(13)
    big = Tensor(rng.normal(size=PARALLEL_MIN_SIZE + 7), requires_grad=True)
    small = Tensor(rng.normal(size=3), requires_grad=True)
    opt = Adam([{"params": [big]}, {"params": [small]}], lr=0.1, skip_nonfinite=True)
    big.grad, small.grad = np.ones(big.shape), np.ones(3)
    opt.step()
    before = snapshot(opt)
    big.grad, small.grad = np.ones(big.shape), np.ones(3)
    big.grad[PARALLEL_MIN_SIZE // 2] = np.nan
    opt.step()
    assert opt.skipped_steps == 1
    assert_same_snapshot(before, snapshot(opt))


def test_skip_nonfinite_ignores_the_stale_buffer_of_a_parameter_without_grad():
    """Only the gradients of this step count: a parameter whose .grad is None is skipped,
    whatever its slot of the flat buffer still holds from an earlier (skipped) step."""
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    opt = SGD([a, b], lr=0.5, skip_nonfinite=True)
    a.grad, b.grad = np.array([np.nan, 1.0]), np.ones(3)
    opt.step()
    assert opt.skipped_steps == 1
    opt.zero_grad()  # set_to_none: a's old NaN stays in the buffer, unused
    b.grad = np.ones(3)
    opt.step()
    assert opt.skipped_steps == 1
    np.testing.assert_array_equal(b.data, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(a.data, [1.0, 1.0])
    assert int(opt.state[a]["step"]) == 0 and int(opt.state[b]["step"]) == 1


def test_rebound_data_is_adopted_when_the_grads_came_from_backward():
    """The common case: backward() wrote every grad into the buffer, only .data was rebound
    (e.g. a model load); the new values must still be the ones the step updates."""
    a = Tensor(np.zeros(3), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)
    opt = SGD([a, b], lr=0.5)
    a.data = np.array([1.0, 2.0, 3.0])
    ((a * 2.0).sum() + (b * 4.0).sum()).backward()
    assert a.grad.base is opt.flat_buffers()[0].grad
    opt.step()
    np.testing.assert_allclose(a.data, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(b.data, [-2.0, -2.0])
    assert a.data.base is opt.flat_buffers()[0].data


def test_zero_grad_without_none_zeroes_a_user_assigned_grad():
    """As PyTorch's p.grad.zero_(): after zero_grad(set_to_none=False) every existing grad
    reads zero, also one the user assigned since the last step."""
    p = Tensor(np.ones(3), requires_grad=True)
    opt = SGD([p], lr=0.1)
    p.grad = np.full(3, 5.0)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad, np.zeros(3))
    opt.step()
    np.testing.assert_array_equal(p.data, np.ones(3))


def test_a_set_inside_a_group_is_refused_and_changes_nothing():
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match="set"):
        SGD([{"params": {a}}])
    assert a._grad_storage is None
    opt = Adam([a], lr=0.1)
    before = snapshot(opt)
    with pytest.raises(TypeError, match="set"):
        opt.add_param_group({"params": {b}})
    assert len(opt.param_groups) == 1 and b not in opt.state and b._grad_storage is None
    assert_same_snapshot(before, snapshot(opt))


def test_param_groups_weight_decay_takes_one_string_as_one_token():
    rng = np.random.default_rng(14)
    model = TinyModel(["fc.weight", "fc.bias", "emb.table"], [(4, 3), (4,), (5, 2)], rng)
    decay, exempt = optim.param_groups_weight_decay(model, 0.1, no_decay="table")
    assert decay["param_names"] == ["fc.weight"]  # not exempt for containing a 't'
    assert exempt["param_names"] == ["fc.bias", "emb.table"]


@pytest.mark.parametrize("edit", ["append", "replace_list", "delete_group", "append_group"])
def test_editing_param_groups_in_place_raises_instead_of_updating_the_wrong_tensors(edit):
    """PyTorch picks up a tensor appended to a group's 'params' (or a group deleted); our
    flat buffers cannot, and silently skipping the tensor or pairing a group's
    hyperparameters with another group's buffer would be worse than an error."""
    rng = np.random.default_rng(0)
    a, b, c = make_params(rng, shapes=((3,), (2,), (4,)))
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    if edit == "append":
        opt.param_groups[0]["params"].append(c)
    elif edit == "replace_list":
        opt.param_groups[1]["params"] = [c]
    elif edit == "delete_group":
        del opt.param_groups[0]
    else:
        opt.param_groups.append({"params": [c], "lr": 0.1})
    for p in (a, b, c):
        p.grad = np.ones(p.shape)
    before = [p.data.copy() for p in (a, b, c)]
    with pytest.raises(RuntimeError, match="add_param_group"):
        opt.step()
    with pytest.raises(RuntimeError, match="add_param_group"):
        opt.state_dict()
    for p, old in zip((a, b, c), before):
        np.testing.assert_array_equal(p.data, old)


def test_state_of_an_option_switched_off_is_saved_loaded_and_resumed_as_pytorch():
    """PyTorch keeps a momentum buffer (or max_exp_avg_sq, grad_avg) when the option is
    switched off mid-run, saves it, and resumes it when the option comes back. Closed form,
    lr 0.1, momentum 0.5, gradient 1: the momentum step sets b = 1; the plain step leaves b;
    after save and load into a fresh SGD, b = 0.5 * 1 + 1 = 1.5, so p = 1 - 0.1 - 0.1 - 0.15."""
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = SGD([p], lr=0.1, momentum=0.5)
    p.grad = np.array([1.0])
    opt.step()
    opt.param_groups[0]["momentum"] = 0.0
    opt.step()
    saved = opt.state_dict()
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], [1.0])
    fresh = SGD([p], lr=0.1)
    fresh.load_state_dict(saved)
    fresh.param_groups[0]["momentum"] = 0.5
    fresh.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.1 - 0.1 - 0.15], rtol=1e-15)

    a = Tensor(np.array([1.0]), requires_grad=True)
    adam = Adam([a], amsgrad=True)
    a.grad = np.array([2.0])
    adam.step()
    adam.param_groups[0]["amsgrad"] = False
    saved = adam.state_dict()  # v_max = (1 - 0.999) * 2**2 = 0.004
    np.testing.assert_allclose(saved["state"][0]["max_exp_avg_sq"], [0.004], rtol=1e-12)
    fresh = Adam([a])
    fresh.load_state_dict(saved)
    np.testing.assert_allclose(fresh.state[a]["max_exp_avg_sq"], [0.004], rtol=1e-12)
