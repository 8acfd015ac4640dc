"""RAdam kernel vs the numpy reference of PyTorch's RAdam, plus behaviour checks."""

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
from tinygrad_opt.optim import RAdam, radam

OPTIONS = [
    {},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
    {"lr": 0.02, "weight_decay": 0.1, "maximize": True},  # coupled: negate, then decay
    {"betas": (0.5, 0.9), "eps": 1e-3},  # rho_inf = 19: the switch happens mid-run
]


@pytest.mark.parametrize("options", OPTIONS)
def test_radam_matches_reference(options):
    compare_with_reference(lambda groups: RAdam(groups), REFERENCES_B2["radam"],
                           [options, {"lr": 0.03, "betas": (0.8, 0.99)}])  # fmt: skip


def test_first_steps_are_bias_corrected_momentum_sgd_until_rho_t_exceeds_5():
    """rho_t = rho_inf - 2 t b2^t / (1 - b2^t) is ~t early on, so step 1 is p -= lr * g."""
    p = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = RAdam([p], lr=0.1)
    p.grad = np.array([3.0, 0.5])
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.3, -2.0 - 0.05], rtol=1e-14)


def test_radam_reduces_a_regression_loss():
    check_reduces_regression_loss("radam", {"lr": 0.05})


def test_radam_makes_progress_on_rosenbrock():
    check_progress_on_rosenbrock("radam", {"lr": 0.01})


def test_radam_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("radam", {"weight_decay": 0.1})


def test_radam_float32_tracks_float64():
    check_float32_tracks_float64("radam", {"lr": 0.01})


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": -1.0}, invalid("lr", -1.0, "0.0 <= lr <= inf")),
     ({"eps": -1.0}, invalid("eps", -1.0, "0.0 <= eps <= inf")),
     ({"betas": (0.9, 1.0)}, invalid("beta parameter at index 1", 1.0, "0 <= beta < 1")),
     ({"weight_decay": -1.0}, invalid("weight_decay", -1.0, "0.0 <= weight_decay <= inf"))],
)  # fmt: skip
def test_radam_rejects_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RAdam([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_radam_kernel_compiles_once_per_dtype():
    check_compiles_once_per_dtype("radam", radam._radam_kernel, {})
