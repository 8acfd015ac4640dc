"""Adamax kernel vs the numpy reference of PyTorch's Adamax, plus behaviour checks."""

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
from tinygrad_opt.optim import Adamax, adamax

OPTIONS = [
    {},
    {"lr": 0.01, "weight_decay": 0.1, "maximize": True},
    {"betas": (0.5, 0.9), "eps": 1e-3},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_adamax_matches_reference(options):
    compare_with_reference(lambda groups: Adamax(groups), REFERENCES_B2["adamax"],
                           [options, {"lr": 0.03}])  # fmt: skip


def test_exp_inf_is_a_decaying_running_max_of_abs_grad():
    p = Tensor(np.zeros(1), requires_grad=True)
    opt = Adamax([p], eps=0.0)
    for g in (4.0, -1.0, 2.0):
        p.grad = np.array([g])
        opt.step()
    np.testing.assert_allclose(opt.state[p]["exp_inf"], [4.0 * 0.999**2], rtol=1e-14)


def test_a_nan_gradient_stays_visible_in_exp_inf():
    p = Tensor(np.ones(2), requires_grad=True)
    opt = Adamax([p])
    p.grad = np.array([np.nan, 1.0])
    opt.step()
    assert np.isnan(opt.state[p]["exp_inf"][0]) and np.isnan(p.data[0])
    assert np.isfinite(p.data[1])


def test_adamax_reduces_a_regression_loss():
    check_reduces_regression_loss("adamax", {"lr": 0.05})


def test_adamax_makes_progress_on_rosenbrock():
    check_progress_on_rosenbrock("adamax", {"lr": 0.05})


def test_adamax_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("adamax", {"weight_decay": 0.1})


def test_adamax_float32_tracks_float64():
    check_float32_tracks_float64("adamax", {"lr": 0.01})


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": -1.0}, invalid("lr", -1.0, "0.0 <= lr <= inf")),
     ({"eps": -1.0}, invalid("eps", -1.0, "0.0 <= eps <= inf")),
     ({"betas": (-0.1, 0.9)}, invalid("beta parameter at index 0", -0.1, "0 <= beta < 1")),
     ({"weight_decay": -1.0}, invalid("weight_decay", -1.0, "0.0 <= weight_decay <= inf"))],
)  # fmt: skip
def test_adamax_rejects_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adamax([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_adamax_kernel_compiles_once_per_dtype():
    check_compiles_once_per_dtype("adamax", adamax._adamax_kernel, {})
