"""Adagrad kernel vs the plain-numpy reference of PyTorch's rule, in float64 over 50 steps."""

import numpy as np
import pytest
from error_messages import invalid
from optim_reference import REFERENCES, compare_with_reference, float32_against_reference
from optim_reference_b2 import check_state_dict_round_trip

from tinygrad_opt import Tensor
from tinygrad_opt.optim import Adagrad

OPTIONS = [
    {},
    {"lr": 0.1, "lr_decay": 0.05},
    {"lr": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6},
    {"lr": 0.05, "maximize": True, "lr_decay": 0.01},
    {"lr": 0.05, "maximize": True, "weight_decay": 0.1},  # maximize negates before decay
]


@pytest.mark.parametrize("options", OPTIONS)
def test_adagrad_matches_reference(options):
    compare_with_reference(lambda groups: Adagrad(groups), REFERENCES["adagrad"], [options])


def test_adagrad_groups_match_reference():
    compare_with_reference(
        lambda groups: Adagrad(groups, lr=0.02),
        REFERENCES["adagrad"],
        [{"initial_accumulator_value": 0.1}, {"lr": 0.3, "lr_decay": 0.1}],
    )


def test_initial_accumulator_fills_state_before_any_step():
    p = Tensor(np.ones((2, 2)), requires_grad=True)
    opt = Adagrad([p], initial_accumulator_value=0.25)
    np.testing.assert_array_equal(opt.state_dict()["state"][0]["sum"], np.full((2, 2), 0.25))


@pytest.mark.parametrize(
    "name", ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"]
)
def test_adagrad_rejects_negative_hyperparameters(name):
    with pytest.raises(ValueError, match=invalid(name, -0.5, f"0.0 <= {name} <= inf")):
        Adagrad([Tensor(np.ones(2), requires_grad=True)], **{name: -0.5})


def test_lr_decay_closed_form():
    """clr = lr / (1 + (t - 1) * lr_decay): step 1 is undecayed, step 3 divides lr by 1.2."""
    p = Tensor(np.array([0.0]), requires_grad=True)
    opt = Adagrad([p], lr=0.5, lr_decay=0.1, eps=0.0)
    expected, total = 0.0, 0.0
    for t, g in enumerate((2.0, 1.0, 3.0), start=1):
        p.grad = np.array([g])
        opt.step()
        total += g * g
        expected -= 0.5 / (1 + (t - 1) * 0.1) * g / np.sqrt(total)
        np.testing.assert_allclose(p.data, [expected], rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["sum"], [14.0])


@pytest.mark.parametrize(
    "hp", [{}, {"lr": 0.05, "lr_decay": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.2}]
)
def test_adagrad_float32_matches_float64_reference(hp):
    float32_against_reference(Adagrad, REFERENCES["adagrad"], hp)


def test_adagrad_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("adagrad", {"lr_decay": 0.05, "initial_accumulator_value": 0.1})
