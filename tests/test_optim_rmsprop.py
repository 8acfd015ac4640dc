"""RMSprop kernel vs the plain-numpy reference of PyTorch's rule, in float64 over 50 steps."""

import numpy as np
import pytest
from error_messages import invalid
from optim_reference import REFERENCES, compare_with_reference, float32_against_reference
from optim_reference_b2 import check_state_dict_round_trip

from tinygrad_opt import Tensor
from tinygrad_opt.optim import RMSprop

OPTIONS = [
    {},
    {"lr": 0.01, "centered": True},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.005, "momentum": 0.5, "centered": True, "weight_decay": 0.1, "alpha": 0.9},
    {"lr": 0.01, "maximize": True, "eps": 1e-4},
    {"lr": 0.01, "maximize": True, "weight_decay": 0.1},  # maximize negates before decay
]


@pytest.mark.parametrize("options", OPTIONS)
def test_rmsprop_matches_reference(options):
    compare_with_reference(lambda groups: RMSprop(groups), REFERENCES["rmsprop"], [options])


def test_rmsprop_groups_with_different_state_match_reference():
    compare_with_reference(
        lambda groups: RMSprop(groups, lr=0.01),
        REFERENCES["rmsprop"],
        [{"centered": True}, {"momentum": 0.7}],
    )


def test_state_keys_follow_the_options():
    p = Tensor(np.ones(3), requires_grad=True)
    keys = set(RMSprop([p], momentum=0.9, centered=True).state_dict()["state"][0])
    assert keys == {"step", "square_avg", "momentum_buffer", "grad_avg"}


@pytest.mark.parametrize("name", ["lr", "alpha", "eps", "weight_decay", "momentum"])
def test_rmsprop_rejects_negative_hyperparameters(name):
    with pytest.raises(ValueError, match=invalid(name, -0.5, f"0.0 <= {name} <= inf")):
        RMSprop([Tensor(np.ones(2), requires_grad=True)], **{name: -0.5})


def test_momentum_buffer_is_not_scaled_by_lr():
    """torch: b = momentum * b + g / denom, then p -= lr * b, so an lr changed mid-run
    scales the whole buffer (a buffer accumulating lr * g / denom would not)."""
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = RMSprop([p], lr=0.1, alpha=0.99, eps=0.0, momentum=0.9)
    p.grad = np.array([1.0])
    opt.step()  # v = 0.01, b = 1 / 0.1 = 10, p = 1 - 0.1 * 10 = 0
    opt.param_groups[0]["lr"] = 0.01
    p.grad = np.array([1.0])
    opt.step()  # v = 0.0199, b = 9 + 1 / sqrt(0.0199), p = -0.01 * b
    b = 9.0 + 1.0 / np.sqrt(0.0199)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [b], rtol=1e-14)
    np.testing.assert_allclose(p.data, [-0.01 * b], rtol=1e-13, atol=1e-15)


def test_centered_first_step_closed_form():
    """Step 1, centered: v = (1-a) g^2, ga = (1-a) g, denom = sqrt(v - ga^2) + eps
    = |g| sqrt((1-a) a) + eps."""
    p = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    opt = RMSprop([p], lr=0.1, alpha=0.9, eps=1e-3, centered=True)
    g = np.array([2.0, -0.5])
    p.grad = g.copy()
    opt.step()
    denom = np.abs(g) * np.sqrt(0.1 * 0.9) + 1e-3
    np.testing.assert_allclose(p.data, [1.0, -1.0] - 0.1 * g / denom, rtol=1e-14)


@pytest.mark.parametrize(
    "hp", [{}, {"lr": 0.005, "momentum": 0.5, "centered": True, "weight_decay": 0.1}]
)
def test_rmsprop_float32_matches_float64_reference(hp):
    float32_against_reference(RMSprop, REFERENCES["rmsprop"], hp)


def test_rmsprop_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("rmsprop", {"momentum": 0.5, "centered": True})
