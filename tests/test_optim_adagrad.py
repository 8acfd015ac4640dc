"""Adagrad kernel vs the plain-numpy reference of PyTorch's rule, in float64 over 50 steps."""

import numpy as np
import pytest
from error_messages import invalid
from optim_reference import REFERENCES, compare_with_reference

from tinygrad_opt import Tensor
from tinygrad_opt.optim import Adagrad

OPTIONS = [
    {},
    {"lr": 0.1, "lr_decay": 0.05},
    {"lr": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6},
    {"lr": 0.05, "maximize": True, "lr_decay": 0.01},
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
