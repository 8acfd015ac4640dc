"""Adam and AdamW kernels vs plain-numpy references of PyTorch's rules (float64, 50 steps)."""

import numpy as np
import pytest
from error_messages import invalid
from optim_reference import REFERENCES, compare_with_reference, float32_against_reference
from optim_reference_b2 import check_state_dict_round_trip

from tinygrad_opt import Tensor
from tinygrad_opt.optim import Adam, AdamW, RMSprop

OPTIONS = [
    {},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.01, "weight_decay": 0.1, "betas": (0.8, 0.99)},
    {"lr": 0.02, "weight_decay": 0.05, "amsgrad": True, "maximize": True, "eps": 1e-3},
    # the kernel has separate amsgrad and plain loops: maximize with weight decay in both
    {"lr": 0.02, "weight_decay": 0.05, "maximize": True, "eps": 1e-3},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_adam_matches_reference(options):
    compare_with_reference(lambda groups: Adam(groups), REFERENCES["adam"], [options])


@pytest.mark.parametrize("options", OPTIONS)
def test_adamw_matches_reference(options):
    compare_with_reference(lambda groups: AdamW(groups), REFERENCES["adamw"], [options])


def test_adam_groups_match_reference():
    compare_with_reference(
        lambda groups: Adam(groups, lr=0.01),
        REFERENCES["adam"],
        [{"amsgrad": True}, {"lr": 0.03, "betas": (0.5, 0.9), "weight_decay": 0.1}],
    )


def test_adamw_default_weight_decay_is_decoupled_1e_2():
    p = Tensor(np.array([2.0]), requires_grad=True)
    opt = AdamW([p], lr=0.1)
    assert opt.param_groups[0]["weight_decay"] == 1e-2
    p.grad = np.array([0.0])
    opt.step()  # zero grad: only the decay acts, p * (1 - lr * wd)
    np.testing.assert_allclose(p.data, [2.0 * (1 - 0.1 * 1e-2)])


def test_adam_with_beta1_zero_is_rmsprop_with_bias_correction():
    """Adam(beta1=0): p -= lr * g / (sqrt(v) / c + eps), c = sqrt(1 - beta2**t); that is
    RMSprop(alpha=beta2) with lr * c and eps * c at step t."""
    rng = np.random.default_rng(3)
    lr, beta2, eps = 0.01, 0.9, 1e-8
    a = Tensor(rng.normal(size=50), requires_grad=True)
    b = Tensor(a.data.copy(), requires_grad=True)
    adam = Adam([a], lr=lr, betas=(0.0, beta2), eps=eps)
    rmsprop = RMSprop([b], lr=lr, alpha=beta2, eps=eps)
    for t in range(1, 101):
        grad = 2 * a.data + rng.normal(size=50)
        a.grad, b.grad = grad.copy(), grad.copy()
        c = np.sqrt(1 - beta2**t)
        rmsprop.param_groups[0]["lr"] = lr * c
        rmsprop.param_groups[0]["eps"] = eps * c
        adam.step()
        rmsprop.step()
        np.testing.assert_allclose(a.data, b.data, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(adam.state[a]["exp_avg_sq"], rmsprop.state[b]["square_avg"])


def test_amsgrad_keeps_the_running_max():
    p = Tensor(np.zeros(1), requires_grad=True)
    opt = Adam([p], amsgrad=True)
    for g in (10.0, 0.0, 0.0):
        p.grad = np.array([g])
        opt.step()
    state = opt.state[p]
    assert state["max_exp_avg_sq"][0] > state["exp_avg_sq"][0]
    np.testing.assert_allclose(state["max_exp_avg_sq"], [(1 - 0.999) * 100.0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1e-3}, invalid("lr", -0.001, "0.0 <= lr <= inf")),
        ({"eps": -1.0}, invalid("eps", -1.0, "0.0 <= eps <= inf")),
        ({"betas": (1.0, 0.999)}, invalid("beta parameter at index 0", 1.0, "0 <= beta < 1")),
        ({"betas": (0.9, -0.1)}, invalid("beta parameter at index 1", -0.1, "0 <= beta < 1")),
        ({"weight_decay": -0.1}, invalid("weight_decay", -0.1, "0.0 <= weight_decay <= inf")),
        ({"betas": 0.9}, invalid("betas", 0.9, "a pair (beta1, beta2)")),
    ],
)
@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_adam_rejects_invalid_hyperparameters(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_adam_decoupled_weight_decay_is_adamw():
    compare_with_reference(
        lambda groups: Adam(groups, decoupled_weight_decay=True, weight_decay=0.1),
        REFERENCES["adamw"],
        [{"lr": 0.01}, {"amsgrad": True}],
    )


def test_torch_implementation_flags_are_accepted():
    p = Tensor(np.ones(2), requires_grad=True)
    for cls in (Adam, AdamW):
        opt = cls([p], foreach=True, fused=True)
        p.grad = np.ones(2)
        opt.step()
        assert "fused" not in opt.param_groups[0]


def test_amsgrad_max_propagates_nan_as_torch_maximum():
    """torch.maximum(max_exp_avg_sq, exp_avg_sq) is NaN when exp_avg_sq is NaN; a plain
    `if v > v_max` comparison would keep the old max and hide the NaN."""
    p = Tensor(np.zeros(2), requires_grad=True)
    opt = Adam([p], amsgrad=True)
    p.grad = np.array([1.0, 1.0])
    opt.step()
    p.grad = np.array([np.nan, 1.0])
    opt.step()
    max_sq = opt.state[p]["max_exp_avg_sq"]
    assert np.isnan(max_sq[0])
    np.testing.assert_allclose(max_sq[1], (1 - 0.999) * (0.999 + 1))


@pytest.mark.parametrize("hp", [{"lr": 0.01}, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}])
@pytest.mark.parametrize("cls, name", [(Adam, "adam"), (AdamW, "adamw")])
def test_float32_matches_float64_reference(cls, name, hp):
    float32_against_reference(cls, REFERENCES[name], hp)


@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_adam_state_dict_round_trip_is_bit_identical(name):
    check_state_dict_round_trip(name, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1})


def test_adamw_groups_say_decoupled_so_an_adam_loading_them_decouples():
    """PyTorch's AdamW groups carry decoupled_weight_decay=True (and its AdamW forces it on
    load), so an Adam loading an AdamW checkpoint keeps decoupled decay. With a zero
    gradient only the decay acts: p * (1 - lr * wd) = 2 * (1 - 0.1 * 0.01) = 1.998; coupled
    decay would instead feed g = wd * p into the moments and move p by about lr (to ~1.9)."""
    p = Tensor(np.array([2.0]), requires_grad=True)
    adamw = AdamW([p], lr=0.1, weight_decay=0.01)
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True
    q = Tensor(np.array([2.0]), requires_grad=True)
    adam = Adam([q], lr=0.1, weight_decay=0.01)
    adam.load_state_dict(adamw.state_dict())
    q.grad = np.array([0.0])
    adam.step()
    np.testing.assert_allclose(q.data, [1.998], rtol=1e-15)
    adamw.load_state_dict(Adam([Tensor(np.array([2.0]), requires_grad=True)]).state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True
