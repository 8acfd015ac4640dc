"""NAdam kernel vs the numpy reference of PyTorch's NAdam, plus behaviour checks."""

import numpy as np
import pytest
from error_messages import invalid
from optim_reference import compare_with_reference
from optim_reference_b2 import (
    REFERENCES_B2,
    check_compiles_once_per_dtype,
    check_float32_tracks_float64,
    check_progress_on_rosenbrock,
    check_reduces_regression_loss,
    check_state_dict_round_trip,
)

from tinygrad_opt import Tensor
from tinygrad_opt.optim import NAdam, nadam

OPTIONS = [
    {},
    {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01},
    {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
    {"lr": 0.02, "weight_decay": 0.1, "maximize": True},  # coupled: negate, then decay
    {"betas": (0.5, 0.9), "eps": 1e-3},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_nadam_matches_reference(options):
    compare_with_reference(lambda groups: NAdam(groups), REFERENCES_B2["nadam"],
                           [options, {"lr": 0.03, "momentum_decay": 0.02}])  # fmt: skip


def test_mu_product_is_the_running_product_of_the_momentum_schedule():
    p = Tensor(np.ones(3), requires_grad=True)
    opt = NAdam([p], momentum_decay=0.01)
    for _ in range(4):
        p.grad = np.ones(3)
        opt.step()
    expected = np.prod([0.9 * (1 - 0.5 * 0.96 ** (t * 0.01)) for t in range(1, 5)])
    assert opt.state[p]["mu_product"].shape == ()
    np.testing.assert_allclose(opt.state[p]["mu_product"], expected, rtol=1e-14)


def test_a_changed_beta1_gives_parameters_of_one_run_different_products():
    """Two tensors with equal step counts but different histories of beta1 still follow
    the rule each with its own mu_product."""
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    opt = NAdam([{"params": [a]}, {"params": [b], "betas": (0.5, 0.999)}])
    for p in (a, b):
        p.grad = np.ones(2)
    opt.step()
    opt.param_groups[1]["betas"] = (0.9, 0.999)
    merged = NAdam([a, b])
    merged.load_state_dict({"state": opt.state_dict()["state"],
                            "param_groups": [merged.state_dict()["param_groups"][0]]})  # fmt: skip
    assert merged.state[a]["mu_product"] != merged.state[b]["mu_product"]
    expected = {}
    for p in (a, b):
        state = {k: np.array(v, dtype=np.float64) for k, v in merged.state[p].items()
                 if k != "step"}  # fmt: skip
        q = p.data.copy()
        REFERENCES_B2["nadam"][1](q, np.ones(2), state, 2, dict(merged.param_groups[0]))
        expected[id(p)] = (q, state["mu_product"])
        p.grad = np.ones(2)
    merged.step()
    for p in (a, b):
        np.testing.assert_allclose(p.data, expected[id(p)][0], rtol=1e-12)
        np.testing.assert_allclose(merged.state[p]["mu_product"], expected[id(p)][1])


def test_nadam_reduces_a_regression_loss():
    check_reduces_regression_loss("nadam", {"lr": 0.05})


def test_nadam_makes_progress_on_rosenbrock():
    check_progress_on_rosenbrock("nadam", {"lr": 0.02})


def test_nadam_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("nadam", {"weight_decay": 0.1, "decoupled_weight_decay": True})


def test_nadam_float32_tracks_float64():
    check_float32_tracks_float64("nadam", {"lr": 0.01})


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": -1.0}, invalid("lr", -1.0, "0.0 <= lr <= inf")),
     ({"eps": -1.0}, invalid("eps", -1.0, "0.0 <= eps <= inf")),
     ({"betas": (1.0, 0.9)}, invalid("beta parameter at index 0", 1.0, "0 <= beta < 1")),
     ({"weight_decay": -1.0}, invalid("weight_decay", -1.0, "0.0 <= weight_decay <= inf")),
     ({"momentum_decay": -0.1}, invalid("momentum_decay", -0.1, "0.0 <= momentum_decay <= inf"))],
)  # fmt: skip
def test_nadam_rejects_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NAdam([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_nadam_kernel_compiles_once_per_dtype():
    check_compiles_once_per_dtype("nadam", nadam._nadam_kernel, {})
