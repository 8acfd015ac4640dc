"""Lion kernel vs a numpy reference written from the paper, plus behaviour checks."""

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
from tinygrad_opt.optim import Lion, lion

OPTIONS = [
    {},
    {"lr": 0.01, "weight_decay": 0.1, "maximize": True},
    {"betas": (0.5, 0.9)},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_lion_matches_reference(options):
    compare_with_reference(lambda groups: Lion(groups), REFERENCES_B2["lion"],
                           [options, {"lr": 0.03}])  # fmt: skip


def test_every_coordinate_moves_by_exactly_lr_or_not_at_all():
    p = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    opt = Lion([p], lr=0.25)
    p.grad = np.array([-7.0, 0.0, 1e-9])
    opt.step()
    np.testing.assert_array_equal(p.data, [1.25, 2.0, 2.75])
    np.testing.assert_allclose(opt.state[p]["exp_avg"], 0.01 * np.array([-7.0, 0.0, 1e-9]))


def test_lion_reduces_a_regression_loss():
    check_reduces_regression_loss("lion", {"lr": 0.02})


def test_lion_makes_progress_on_rosenbrock():
    check_progress_on_rosenbrock("lion", {"lr": 3e-3})


def test_lion_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("lion", {"weight_decay": 0.1})


def test_lion_float32_tracks_float64():
    # sign() flips on tiny differences only where c ~ 0; use a smooth, nonzero momentum
    check_float32_tracks_float64("lion", {"lr": 1e-3})


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": -1.0}, invalid("lr", -1.0, "0.0 <= lr <= inf")),
     ({"betas": (1.0, 0.9)}, invalid("beta parameter at index 0", 1.0, "0 <= beta < 1")),
     ({"weight_decay": -1.0}, invalid("weight_decay", -1.0, "0.0 <= weight_decay <= inf"))],
)  # fmt: skip
def test_lion_rejects_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Lion([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_lion_kernel_compiles_once_per_dtype():
    check_compiles_once_per_dtype("lion", lion._lion_kernel, {})
