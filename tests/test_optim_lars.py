"""LARS kernel vs a numpy reference written from the paper, plus behaviour checks."""

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
from tinygrad_opt.optim import LARS, lars

OPTIONS = [
    {"lr": 0.1},
    {"lr": 0.05, "weight_decay": 0.1, "momentum": 0.5, "trust_coefficient": 0.02},
    {"lr": 0.05, "weight_decay": 0.01, "momentum": 0.0, "maximize": True},
]
SHAPES = [[(7, 5), (0,), (13,), (40, 3)], [(3, 4, 2), ()]]


@pytest.mark.parametrize("options", OPTIONS)
def test_lars_matches_reference(options):
    compare_with_reference(lambda groups: LARS(groups, lr=0.1), REFERENCES_B2["lars"],
                           [options, {"lr": 0.03}], shapes=SHAPES)  # fmt: skip


def test_norms_are_per_tensor_when_tensors_span_many_chunks(monkeypatch):
    """As LAMB's test: tiny chunks, every grad present so that runs hold several tensors."""
    monkeypatch.setattr(lars, "CHUNK", 3)
    compare_with_reference(lambda groups: LARS(groups, lr=0.1), REFERENCES_B2["lars"],
                           [OPTIONS[1], {"lr": 0.03}], shapes=SHAPES, steps=10,
                           none_probability=0.0)  # fmt: skip


def test_local_lr_closed_form():
    """local = eta ||w|| / (||g|| + beta ||w||); v = lr local (g + beta w); w -= v."""
    w = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    opt = LARS([w], lr=0.5, weight_decay=0.2, trust_coefficient=0.01)
    w.grad = np.array([0.0, 2.0])
    opt.step()
    local = 0.01 * 5.0 / (2.0 + 0.2 * 5.0)
    v = 0.5 * local * (np.array([0.0, 2.0]) + 0.2 * np.array([3.0, 4.0]))
    np.testing.assert_allclose(w.data, [3.0, 4.0] - v, rtol=1e-14)
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], v, rtol=1e-14)


def test_lr_is_required():
    with pytest.raises(ValueError, match="lr"):
        LARS([Tensor(np.ones(2), requires_grad=True)])


def test_lars_reduces_a_regression_loss():
    check_reduces_regression_loss("lars", {"lr": 0.1, "trust_coefficient": 0.1})


def test_lars_makes_progress_on_rosenbrock():
    check_progress_on_rosenbrock("lars", {"lr": 0.1, "trust_coefficient": 0.01})


def test_lars_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("lars", {"lr": 0.1, "weight_decay": 0.1})


def test_lars_float32_tracks_float64():
    check_float32_tracks_float64("lars", {"lr": 0.1})


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": -1.0}, invalid("lr", -1.0, "0.0 <= lr <= inf")),
     ({"lr": 0.1, "momentum": -0.5}, invalid("momentum", -0.5, "0.0 <= momentum <= inf")),
     ({"lr": 0.1, "weight_decay": -1.0},
      invalid("weight_decay", -1.0, "0.0 <= weight_decay <= inf")),
     ({"lr": 0.1, "trust_coefficient": 0.0},
      invalid("trust_coefficient", 0.0, "0.0 < trust_coefficient <= inf"))],
)  # fmt: skip
def test_lars_rejects_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LARS([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_lars_kernel_compiles_once_per_dtype():
    check_compiles_once_per_dtype("lars", lars._lars_kernel, {"lr": 0.1})


def test_local_lr_is_one_for_a_zero_tensor_or_a_zero_gradient():
    w = Tensor(np.zeros(2), requires_grad=True)
    q = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    opt = LARS([w, q], lr=0.5, momentum=0.0, weight_decay=0.1)
    w.grad = np.array([1.0, -2.0])
    q.grad = np.zeros(2)
    opt.step()
    np.testing.assert_allclose(w.data, -0.5 * np.array([1.0, -2.0]), rtol=1e-14)
    np.testing.assert_allclose(q.data, [3.0, 4.0] - 0.5 * 0.1 * np.array([3.0, 4.0]))


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
def test_two_threads_with_many_chunks_match_the_reference(monkeypatch):
    check_chunks_split_between_two_threads("lars", lars, [OPTIONS[1], {"lr": 0.03}], SHAPES,
                                           monkeypatch)  # fmt: skip
