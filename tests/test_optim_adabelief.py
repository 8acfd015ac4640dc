"""AdaBelief kernel vs a numpy reference written from the paper, plus behaviour checks."""

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
from tinygrad_opt.optim import AdaBelief, adabelief

OPTIONS = [
    {},
    {"lr": 0.01, "weight_decay": 0.1},  # decoupled by default
    {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": False, "maximize": True},
    {"betas": (0.5, 0.9), "eps": 1e-8},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_adabelief_matches_reference(options):
    compare_with_reference(lambda groups: AdaBelief(groups), REFERENCES_B2["adabelief"],
                           [options, {"lr": 0.03}])  # fmt: skip


def test_a_gradient_equal_to_its_mean_leaves_only_eps_in_the_belief():
    """With beta1 = 0, m = g, so (g - m)^2 = 0 and s_t = eps (1 - b2^t) / (1 - b2): the
    bias-corrected s_hat is eps / (1 - b2) at every step (eps inside s, as Algorithm 2)."""
    p = Tensor(np.zeros(1), requires_grad=True)
    lr, beta2, eps = 0.01, 0.99, 1e-8
    opt = AdaBelief([p], lr=lr, betas=(0.0, beta2), eps=eps)
    step = lr * 2.0 / (np.sqrt(eps / (1 - beta2)) + eps)  # g = 2
    for t in range(1, 4):
        p.grad = np.array([2.0])
        opt.step()
        np.testing.assert_allclose(p.data, [-t * step], rtol=1e-12)
    np.testing.assert_allclose(opt.state[p]["exp_avg_var"], [eps * (1 - beta2**3) / (1 - beta2)])


def test_adabelief_reduces_a_regression_loss():
    check_reduces_regression_loss("adabelief", {"lr": 0.05})


def test_adabelief_makes_progress_on_rosenbrock():
    check_progress_on_rosenbrock("adabelief", {"lr": 0.02})


def test_adabelief_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("adabelief", {"weight_decay": 0.1})


def test_adabelief_float32_tracks_float64():
    check_float32_tracks_float64("adabelief", {"lr": 0.01, "eps": 1e-8})


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": -1.0}, invalid("lr", -1.0, "0.0 <= lr <= inf")),
     ({"eps": -1.0}, invalid("eps", -1.0, "0.0 <= eps <= inf")),
     ({"betas": (0.9, 1.0)}, invalid("beta parameter at index 1", 1.0, "0 <= beta < 1")),
     ({"weight_decay": -1.0}, invalid("weight_decay", -1.0, "0.0 <= weight_decay <= inf"))],
)  # fmt: skip
def test_adabelief_rejects_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AdaBelief([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_adabelief_kernel_compiles_once_per_dtype():
    check_compiles_once_per_dtype("adabelief", adabelief._adabelief_kernel, {})
