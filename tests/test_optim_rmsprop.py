"""RMSprop kernel vs the plain-numpy reference of PyTorch's rule, in float64 over 50 steps."""

import numpy as np
import pytest
from error_messages import invalid
from optim_reference import REFERENCES, compare_with_reference

from tinygrad_opt import Tensor
from tinygrad_opt.optim import RMSprop

OPTIONS = [
    {},
    {"lr": 0.01, "centered": True},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.005, "momentum": 0.5, "centered": True, "weight_decay": 0.1, "alpha": 0.9},
    {"lr": 0.01, "maximize": True, "eps": 1e-4},
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
