"""Adadelta kernel vs the numpy reference of PyTorch's Adadelta, plus behaviour checks."""

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
from tinygrad_opt.optim import Adadelta, adadelta

OPTIONS = [
    {},
    {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1, "maximize": True},
    {"rho": 0.0, "eps": 1e-3},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_adadelta_matches_reference(options):
    compare_with_reference(lambda groups: Adadelta(groups), REFERENCES_B2["adadelta"],
                           [options, {"lr": 0.3}])  # fmt: skip


def test_first_step_closed_form():
    """delta = sqrt(eps) / sqrt((1 - rho) g^2 + eps) * g on the first step."""
    p = Tensor(np.array([0.5]), requires_grad=True)
    opt = Adadelta([p], lr=2.0, rho=0.9, eps=1e-6)
    p.grad = np.array([3.0])
    opt.step()
    delta = np.sqrt(1e-6) / np.sqrt(0.1 * 9.0 + 1e-6) * 3.0
    np.testing.assert_allclose(p.data, [0.5 - 2.0 * delta], rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["acc_delta"], [0.1 * delta**2], rtol=1e-14)


def test_adadelta_reduces_a_regression_loss():
    check_reduces_regression_loss("adadelta", {"lr": 5.0})


def test_adadelta_makes_progress_on_rosenbrock():
    check_progress_on_rosenbrock("adadelta", {"lr": 1.0})


def test_adadelta_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("adadelta", {"weight_decay": 0.1})


def test_adadelta_float32_tracks_float64():
    check_float32_tracks_float64("adadelta", {})


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": -1.0}, invalid("lr", -1.0, "0.0 <= lr <= inf")),
     ({"rho": 1.5}, invalid("rho", 1.5, "0.0 <= rho <= 1.0")),
     ({"eps": -1.0}, invalid("eps", -1.0, "0.0 <= eps <= inf")),
     ({"weight_decay": -1.0}, invalid("weight_decay", -1.0, "0.0 <= weight_decay <= inf"))],
)  # fmt: skip
def test_adadelta_rejects_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adadelta([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_adadelta_kernel_compiles_once_per_dtype():
    check_compiles_once_per_dtype("adadelta", adadelta._adadelta_kernel, {})
