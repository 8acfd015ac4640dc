"""LAMB kernel vs a numpy reference written from the paper, plus behaviour checks."""

import numba
import numpy as np
import pytest
from error_messages import invalid
from optim_reference import compare_with_reference
from optim_reference_b2 import (
    REFERENCES_B2,
    check_chunks_split_between_two_threads,
    check_compiles_once_per_dtype,
    check_float32_tracks_float64,
    check_progress_on_rosenbrock,
    check_reduces_regression_loss,
    check_state_dict_round_trip,
)

from tinygrad_opt import Tensor
from tinygrad_opt.optim import LAMB, lamb

OPTIONS = [
    {},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.02, "weight_decay": 0.1, "maximize": True, "betas": (0.5, 0.9), "eps": 1e-3},
]
SHAPES = [[(7, 5), (0,), (13,), (40, 3)], [(3, 4, 2), ()]]


@pytest.mark.parametrize("options", OPTIONS)
def test_lamb_matches_reference(options):
    compare_with_reference(lambda groups: LAMB(groups), REFERENCES_B2["lamb"],
                           [options, {"lr": 0.03}], shapes=SHAPES)  # fmt: skip


def test_norms_are_per_tensor_when_tensors_span_many_chunks(monkeypatch):
    """Tiny chunks make every tensor several chunks, so the per-tensor sums must combine
    partials from different chunks (and never mix two tensors). Every grad is present each
    step: a None grad desynchronises step counts, which splits runs until each kernel call
    holds a single tensor and mixing could not show."""
    monkeypatch.setattr(lamb, "CHUNK", 3)
    compare_with_reference(lambda groups: LAMB(groups), REFERENCES_B2["lamb"],
                           [OPTIONS[1], {"lr": 0.03}], shapes=SHAPES, steps=10,
                           none_probability=0.0)  # fmt: skip


def test_trust_ratio_closed_form_and_one_for_a_zero_tensor():
    """First step: m_hat = g, v_hat = g^2, so r = g / (|g| + eps); the step has norm
    lr * ||p|| (ratio ||p|| / ||r||) for a nonzero tensor and lr * ||r|| for a zero one."""
    w = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    z = Tensor(np.zeros(2), requires_grad=True)
    opt = LAMB([w, z], lr=0.1, eps=0.0)
    w.grad = np.array([2.0, -1.0])
    z.grad = np.array([-5.0, 0.5])
    opt.step()
    r = np.array([1.0, -1.0])
    np.testing.assert_allclose(w.data, [3.0, 4.0] - 0.1 * 5.0 / np.sqrt(2) * r, rtol=1e-14)
    np.testing.assert_allclose(z.data, -0.1 * np.array([-1.0, 1.0]), rtol=1e-14)


def test_lamb_reduces_a_regression_loss():
    check_reduces_regression_loss("lamb", {"lr": 0.05})


def test_lamb_makes_progress_on_rosenbrock():
    check_progress_on_rosenbrock("lamb", {"lr": 0.02})


def test_lamb_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("lamb", {"weight_decay": 0.1})


def test_lamb_float32_tracks_float64():
    check_float32_tracks_float64("lamb", {"lr": 0.01})


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": -1.0}, invalid("lr", -1.0, "0.0 <= lr <= inf")),
     ({"eps": -1.0}, invalid("eps", -1.0, "0.0 <= eps <= inf")),
     ({"betas": (1.0, 0.9)}, invalid("beta parameter at index 0", 1.0, "0 <= beta < 1")),
     ({"weight_decay": -1.0}, invalid("weight_decay", -1.0, "0.0 <= weight_decay <= inf"))],
)  # fmt: skip
def test_lamb_rejects_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LAMB([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_lamb_kernel_compiles_once_per_dtype():
    check_compiles_once_per_dtype("lamb", lamb._lamb_kernel, {})


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
def test_two_threads_with_many_chunks_match_the_reference(monkeypatch):
    check_chunks_split_between_two_threads("lamb", lamb, [OPTIONS[1], {"lr": 0.03}], SHAPES,
                                           monkeypatch)  # fmt: skip
