"""ASGD kernel vs the numpy reference of PyTorch's rule, closed forms, and behaviour checks."""

import inspect

import numpy as np
import pytest
from error_messages import invalid
from optim_reference import compare_with_reference, float32_against_reference
from optim_reference_b2 import (
    check_compiles_once_per_dtype,
    check_float32_tracks_float64,
    check_reduces_regression_loss,
    check_state_dict_round_trip,
)
from optim_reference_rprop_asgd import REFERENCES_RPROP_ASGD

from tinygrad_opt import Tensor, optim
from tinygrad_opt.optim import ASGD, asgd

REFERENCE = REFERENCES_RPROP_ASGD["asgd"]

OPTIONS = [
    {},
    {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 3},  # averaging from step 5 on
    {"lr": 0.02, "weight_decay": 0.1, "maximize": True, "t0": 0},  # negate, then decay
    {"lr": 0.03, "t0": 10.5, "weight_decay": 0.05},
    {"lr": 0.01, "lambd": 0.1, "alpha": 1.5, "t0": -2},  # averaging from step 2 on
]


@pytest.mark.parametrize("options", OPTIONS)
def test_asgd_matches_reference(options):
    compare_with_reference(lambda groups: ASGD(groups), REFERENCE,
                           [options, {"lr": 0.04, "lambd": 0.02, "t0": 5}])  # fmt: skip


def test_ax_is_the_running_mean_from_step_t0_plus_2():
    """lambd 0 keeps eta = lr, so with a constant gradient g, p_t = p_0 - t * lr * g. With
    t0 = 2, ax is p itself up to step 4 and then the mean of p_4, p_5, ..., p_t."""
    lr, g = 0.1, np.array([1.0, -2.0])
    p = Tensor(np.array([3.0, 1.0]), requires_grad=True)
    opt = ASGD([p], lr=lr, lambd=0.0, t0=2)
    history = []
    for t in range(1, 11):
        p.grad = g.copy()
        opt.step()
        history.append(np.array([3.0, 1.0]) - t * lr * g)
        np.testing.assert_allclose(p.data, history[-1], rtol=1e-14)
        expected = history[-1] if t <= 4 else np.mean(history[3:], axis=0)
        np.testing.assert_allclose(opt.state[p]["ax"], expected, rtol=1e-14)
        np.testing.assert_allclose(opt.state[p]["mu"], 1.0 / max(1, t - 2), rtol=1e-15)


def test_eta_and_weight_decay_closed_form():
    """eta_t = lr / (1 + lambd lr t)^alpha is used at step t + 1, and each step is
    p = p (1 - lambd eta) - eta (grad + wd p)."""
    lr, lambd, alpha, wd = 0.2, 0.5, 0.75, 0.1
    p = Tensor(np.array([2.0]), requires_grad=True)
    opt = ASGD([p], lr=lr, lambd=lambd, alpha=alpha, weight_decay=wd)
    expected, eta = 2.0, lr
    for t, grad in enumerate((1.0, -0.5, 3.0), start=1):
        p.grad = np.array([grad])
        opt.step()
        expected = expected * (1 - lambd * eta) - eta * (grad + wd * expected)
        eta = lr / (1 + lambd * lr * t) ** alpha
        np.testing.assert_allclose(p.data, [expected], rtol=1e-14)
        np.testing.assert_allclose(opt.state[p]["eta"], eta, rtol=1e-15)
        assert opt.state[p]["eta"].shape == () and opt.state[p]["mu"].shape == ()


def test_parameters_of_one_run_with_different_eta_follow_their_own():
    """a steps with lr 0.1 while b has no grad; then lr becomes 0.3 and b takes its first
    step. Both now have step 1 (one run) but different eta: each must use its own."""
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([-1.0, 0.5, 4.0]), requires_grad=True)
    opt = ASGD([a, b], lr=0.1, lambd=0.2, t0=0)
    refs = {}
    for p in (a, b):
        refs[id(p)] = (p.data.copy(), REFERENCE[0](dict(opt.param_groups[0]), p.shape))
    a.grad = np.array([0.5, -1.0])
    opt.step()
    REFERENCE[1](refs[id(a)][0], np.array([0.5, -1.0]), refs[id(a)][1], 1,
                 dict(opt.param_groups[0]))  # fmt: skip
    a.grad = None
    opt.param_groups[0]["lr"] = 0.3
    b.grad = np.array([1.0, 2.0, -3.0])
    opt.step()
    REFERENCE[1](refs[id(b)][0], np.array([1.0, 2.0, -3.0]), refs[id(b)][1], 1,
                 dict(opt.param_groups[0]))  # fmt: skip
    assert float(opt.state[a]["eta"]) != float(opt.state[b]["eta"])
    for t in (2, 3):
        for p in (a, b):
            p.grad = np.linspace(-1.0, 1.0, p.shape[0]) * t
            REFERENCE[1](refs[id(p)][0], p.grad.copy(), refs[id(p)][1], t,
                         dict(opt.param_groups[0]))  # fmt: skip
        opt.step()
        for p in (a, b):
            np.testing.assert_allclose(p.data, refs[id(p)][0], rtol=1e-14)
            for key, value in refs[id(p)][1].items():
                np.testing.assert_allclose(opt.state[p][key], value, rtol=1e-14)


def test_eta_starts_at_the_lr_of_the_first_step():
    """PyTorch makes eta = lr at a parameter's first step, so an lr a scheduler sets
    between building the optimizer and that step is the one used."""
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = ASGD([p], lr=0.1, lambd=0.0)
    assert float(opt.state_dict()["state"][0]["eta"]) == 0.1
    opt.param_groups[0]["lr"] = 0.5
    p.grad = np.array([1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.5], rtol=1e-15)


def test_state_dict_layout_is_pytorch_s():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    opt = ASGD([a], lr=0.2)
    a.grad = np.ones((2, 3))
    opt.step()
    sd = opt.state_dict()
    assert list(sd["state"][0]) == ["step", "eta", "mu", "ax"]
    assert sd["state"][0]["step"] == 1
    assert sd["state"][0]["eta"].shape == () and sd["state"][0]["mu"].shape == ()
    assert sd["state"][0]["ax"].shape == (2, 3)
    assert sd["param_groups"][0]["t0"] == 1e6


def test_loads_a_state_with_0d_scalars_as_pytorch_saves_them():
    """PyTorch saves step, eta and mu as 0-d tensors (step as a float): as numpy 0-d
    arrays they load, and the next step uses them."""
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = ASGD([p], lr=0.1, lambd=0.0, t0=0)
    sd = opt.state_dict()
    sd["state"][0] = {"step": np.array(3.0), "eta": np.array(0.25), "mu": np.array(0.5),
                      "ax": np.array([0.0, 4.0])}  # fmt: skip
    opt.load_state_dict(sd)
    p.grad = np.array([2.0, -2.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.5, 2.5], rtol=1e-15)
    np.testing.assert_allclose(opt.state[p]["ax"], [0.25, 3.25], rtol=1e-15)
    assert int(opt.state[p]["step"]) == 4
    np.testing.assert_allclose(opt.state[p]["mu"], 1 / 4)


def test_signature_is_pytorch_s():
    """torch.optim.ASGD docs: ASGD(params, lr=0.01, lambd=0.0001, alpha=0.75, t0=1000000.0,
    weight_decay=0, foreach=None, maximize=False, differentiable=False, capturable=False),
    all positional."""
    parameters = inspect.signature(ASGD).parameters
    assert list(parameters)[:10] == [
        "params", "lr", "lambd", "alpha", "t0", "weight_decay", "foreach", "maximize",
        "differentiable", "capturable",
    ]  # fmt: skip
    assert all(parameters[n].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
               for n in list(parameters)[:10])  # fmt: skip
    p = Tensor(np.ones(2), requires_grad=True)
    opt = ASGD([p], 0.1, 1e-4, 0.75, 1e6, 0, None, True)
    assert opt.param_groups[0]["maximize"] is True and "foreach" not in opt.param_groups[0]


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("lr", -0.5, "0.0 <= lr <= inf"),
        ("lambd", -1e-4, "0.0 <= lambd <= inf"),
        ("weight_decay", -0.1, "0.0 <= weight_decay <= inf"),
        ("alpha", float("nan"), "-inf <= alpha <= inf"),
        ("t0", float("nan"), "-inf <= t0 <= inf"),
    ],
)
def test_asgd_rejects_invalid_hyperparameters(name, value, expected):
    p = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=invalid(name, value, expected)):
        ASGD([p], **{name: value})
    opt = ASGD([p], lr=0.1)
    q = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=invalid(name, value, expected)):
        opt.add_param_group({"params": [q], name: value})
    assert len(opt.param_groups) == 1 and q not in opt.state


def test_asgd_rejects_a_non_number():
    with pytest.raises(TypeError, match="Invalid t0: '1e6'; expected a real number"):
        ASGD([Tensor(np.ones(2), requires_grad=True)], t0="1e6")


def test_skip_nonfinite_leaves_parameters_and_state_unchanged():
    p = Tensor(np.ones(3), requires_grad=True)
    opt = ASGD([p], lr=0.1, t0=0, skip_nonfinite=True)
    p.grad = np.ones(3)
    opt.step()
    before = {k: v.copy() for k, v in opt.state[p].items()}
    data = p.data.copy()
    p.grad = np.array([1.0, np.nan, 1.0])
    opt.step()
    assert opt.skipped_steps == 1
    np.testing.assert_array_equal(p.data, data)
    for key, value in before.items():
        np.testing.assert_array_equal(opt.state[p][key], value)


@pytest.mark.parametrize(
    "hp", [{}, {"lr": 0.05, "lambd": 0.01, "t0": 4, "weight_decay": 0.1, "maximize": True}]
)
def test_asgd_float32_matches_float64_reference(hp):
    float32_against_reference(ASGD, REFERENCE, hp)


def test_asgd_float32_tracks_float64():
    check_float32_tracks_float64("asgd", {"lr": 0.05, "t0": 3})


def test_asgd_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("asgd", {"lambd": 0.01, "t0": 5, "weight_decay": 0.01})


def test_asgd_reduces_a_regression_loss():
    check_reduces_regression_loss("asgd", {"lr": 0.05})


def test_asgd_average_reduces_a_regression_loss():
    """The averaged iterate ax (what ASGD is for) also fits the problem."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 8))
    y = x @ rng.normal(size=8) + 0.01 * rng.normal(size=64)
    w = Tensor(np.zeros(8), requires_grad=True)
    opt = ASGD([w], lr=0.05, t0=100)
    start = float(np.mean((x @ w.data - y) ** 2))
    for _ in range(300):
        w.grad = 2 * x.T @ (x @ w.data - y) / len(y) + 0.1 * rng.normal(size=8)
        opt.step()
    assert float(np.mean((x @ opt.state[w]["ax"] - y) ** 2)) < 0.01 * start


def test_asgd_is_registered():
    assert "asgd" in optim.available()
    assert isinstance(optim.create("ASGD", [Tensor(np.ones(2), requires_grad=True)]), ASGD)


def test_asgd_compiles_once_per_dtype():
    check_compiles_once_per_dtype("asgd", asgd._asgd_kernel, {"t0": 2})
