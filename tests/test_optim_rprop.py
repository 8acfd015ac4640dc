"""Rprop kernel vs the numpy reference of PyTorch's rule, closed forms, and behaviour checks."""

import inspect

import numpy as np
import pytest
from error_messages import exactly, invalid
from optim_reference import compare_with_reference, float32_against_reference
from optim_reference_b2 import (
    check_compiles_once_per_dtype,
    check_float32_tracks_float64,
    check_reduces_regression_loss,
    check_state_dict_round_trip,
)
from optim_reference_rprop_asgd import REFERENCES_RPROP_ASGD

from tinygrad_opt import Tensor, optim
from tinygrad_opt.optim import Rprop, rprop

REFERENCE = REFERENCES_RPROP_ASGD["rprop"]

OPTIONS = [
    {},
    {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)},  # both clamps bind
    {"lr": 0.05, "maximize": True},
    {"lr": 100.0},  # above the max step size: cut to 50 on the first step, as PyTorch
    {"lr": 1e-4, "etas": (0.9, 1.01), "step_sizes": (0.0, 1.0)},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_rprop_matches_reference(options):
    compare_with_reference(lambda groups: Rprop(groups), REFERENCE,
                           [options, {"lr": 0.03, "etas": (0.4, 1.3)}])  # fmt: skip


def test_rprop_matches_reference_with_exact_zero_gradients():
    """Grads with exact zeros (and so g * prev == 0 both ways) on top of sign flips."""
    rng = np.random.default_rng(1)
    params = [Tensor(rng.normal(size=s), requires_grad=True) for s in ((6, 5), (0,), (9,))]
    ref = [p.data.copy() for p in params]
    opt = Rprop(params, lr=0.05)
    hp = dict(opt.param_groups[0])
    states = [REFERENCE[0](hp, p.shape) for p in ref]
    for t in range(1, 41):
        for p, q, state in zip(params, ref, states):
            g = np.where(rng.random(q.shape) < 0.3, 0.0, rng.normal(size=q.shape))
            p.grad = g
            REFERENCE[1](q, g, state, t, hp)
        opt.step()
        for p, q, state in zip(params, ref, states):
            np.testing.assert_allclose(p.data, q, rtol=1e-13, atol=1e-15)
            for key, value in state.items():
                np.testing.assert_allclose(opt.state[p][key], value, rtol=1e-13, atol=1e-15)


def test_sign_flip_closed_form():
    """lr 0.1, etas (0.5, 1.2), grads 1, 1, -1, 1, 0, 1 on one scalar, worked by hand:
    step 1 has no previous sign (factor 1); step 2 agrees (x1.2); step 3 flips (x0.5, no
    move, prev stored as 0); step 4 has prev 0 (factor 1); step 5 has a zero grad (factor
    1, no move); step 6 again prev 0."""
    p = Tensor(np.array([0.0]), requires_grad=True)
    opt = Rprop([p], lr=0.1)
    expected = [  # (p, prev, step_size) after each step
        (-0.1, 1.0, 0.1), (-0.22, 1.0, 0.12), (-0.22, 0.0, 0.06),
        (-0.28, 1.0, 0.06), (-0.28, 0.0, 0.06), (-0.34, 1.0, 0.06),
    ]  # fmt: skip
    for g, (value, prev, size) in zip((1.0, 1.0, -1.0, 1.0, 0.0, 1.0), expected):
        p.grad = np.array([g])
        opt.step()
        np.testing.assert_allclose(p.data, [value], rtol=1e-14)
        np.testing.assert_array_equal(opt.state[p]["prev"], [prev])
        np.testing.assert_allclose(opt.state[p]["step_size"], [size], rtol=1e-14)


def test_step_sizes_are_clamped_on_every_step():
    """lr above max: the first move is max (PyTorch clamps also an unchanged step size); a
    step size shrinking below min stays at min."""
    p = Tensor(np.array([0.0, 0.0]), requires_grad=True)
    opt = Rprop([p], lr=100.0, step_sizes=(0.5, 50.0))
    p.grad = np.array([1.0, -1.0])
    opt.step()
    np.testing.assert_array_equal(p.data, [-50.0, 50.0])
    np.testing.assert_array_equal(opt.state[p]["step_size"], [50.0, 50.0])
    for _ in range(20):  # alternating signs: x0.5 every other step (a flip stores prev 0)
        p.grad = -p.grad
        opt.step()
    np.testing.assert_array_equal(opt.state[p]["step_size"], [0.5, 0.5])


def test_maximize_moves_up_the_gradient():
    p = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    opt = Rprop([p], lr=0.25, maximize=True)
    for _ in range(2):
        p.grad = np.array([2.0, -3.0])
        opt.step()
    np.testing.assert_allclose(p.data, [1.0 + 0.25 + 0.3, 1.0 - 0.25 - 0.3])
    np.testing.assert_array_equal(opt.state[p]["prev"], [-2.0, 3.0])


def test_nan_gradient_element_leaves_its_parameter_and_step_size_as_pytorch():
    """PyTorch's sign(NaN) is 0: the element does not move, its step size keeps its value,
    prev holds the NaN, and the next step's factor for it is 1."""
    p = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    opt = Rprop([p], lr=0.1)
    p.grad = np.array([1.0, 1.0])
    opt.step()
    p.grad = np.array([1.0, np.nan])
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.1 - 0.12, 0.9])
    np.testing.assert_allclose(opt.state[p]["step_size"], [0.12, 0.1])
    assert np.isnan(opt.state[p]["prev"][1])
    p.grad = np.array([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.1 - 0.12 - 0.144, 0.8])
    np.testing.assert_allclose(opt.state[p]["step_size"], [0.144, 0.1])


def test_lr_counts_at_the_first_step_only():
    """The initial step size is the lr of a parameter's first step (PyTorch makes the
    state then, so a scheduler's lr set before it counts); later lr changes do nothing."""
    p = Tensor(np.array([0.0]), requires_grad=True)
    opt = Rprop([p], lr=0.1)
    np.testing.assert_array_equal(opt.state_dict()["state"][0]["step_size"], [0.1])
    opt.param_groups[0]["lr"] = 0.5
    p.grad = np.array([1.0])
    opt.step()
    np.testing.assert_array_equal(p.data, [-0.5])
    opt.param_groups[0]["lr"] = 7.0
    opt.step()
    np.testing.assert_allclose(p.data, [-0.5 - 0.6], rtol=1e-15)


def test_state_dict_layout_is_pytorch_s():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    opt = Rprop([a], lr=0.2)
    a.grad = np.ones((2, 3))
    opt.step()
    sd = opt.state_dict()
    assert list(sd["state"][0]) == ["step", "prev", "step_size"]
    assert sd["state"][0]["step"] == 1
    assert sd["state"][0]["step_size"].shape == (2, 3)
    group = sd["param_groups"][0]
    assert group["etas"] == (0.5, 1.2) and group["step_sizes"] == (1e-6, 50)


def test_signature_is_pytorch_s():
    """torch.optim.Rprop docs: Rprop(params, lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-06,
    50), *, capturable=False, foreach=None, maximize=False, differentiable=False)."""
    parameters = inspect.signature(Rprop).parameters
    assert list(parameters)[:4] == ["params", "lr", "etas", "step_sizes"]
    keyword_only = [n for n, p in parameters.items() if p.kind is p.KEYWORD_ONLY]
    assert keyword_only == ["capturable", "foreach", "maximize", "differentiable",
                            "skip_nonfinite"]  # fmt: skip
    p = Tensor(np.ones(2), requires_grad=True)
    opt = Rprop([p], capturable=True, foreach=True, differentiable=False)
    assert "foreach" not in opt.param_groups[0]


@pytest.mark.parametrize(
    "hp, error, message",
    [
        ({"lr": -0.5}, ValueError, invalid("lr", -0.5, "0.0 <= lr <= inf")),
        ({"etas": (1.5, 2.0)}, ValueError,
         exactly("Invalid etas: (1.5, 2.0); expected 0 < etaminus < 1 < etaplus")),
        ({"etas": (0.5, 0.9)}, ValueError,
         exactly("Invalid etas: (0.5, 0.9); expected 0 < etaminus < 1 < etaplus")),
        ({"etas": (0.0, 1.2)}, ValueError,
         exactly("Invalid etas: (0.0, 1.2); expected 0 < etaminus < 1 < etaplus")),
        ({"etas": 0.5}, ValueError,
         exactly("Invalid etas: 0.5; expected a pair (etaminus, etaplus)")),
        ({"etas": (0.5, "x")}, TypeError,
         exactly("Invalid etas: etaplus is 'x'; expected a real number")),
        ({"step_sizes": (5.0, 2.0)}, ValueError,
         exactly("Invalid step_sizes: (5.0, 2.0); expected 0 <= min <= max")),
        ({"step_sizes": (-1.0, 2.0)}, ValueError,
         exactly("Invalid step_sizes: (-1.0, 2.0); expected 0 <= min <= max")),
        ({"step_sizes": (1e-6, 50, 3)}, ValueError,
         exactly("Invalid step_sizes: (1e-06, 50, 3); expected a pair (min, max)")),
    ],
)  # fmt: skip
def test_rprop_rejects_invalid_hyperparameters(hp, error, message):
    p = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(error, match=message):
        Rprop([p], **hp)
    opt = Rprop([p], lr=0.1)
    q = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(error, match=message):
        opt.add_param_group({"params": [q], **hp})
    assert len(opt.param_groups) == 1 and q not in opt.state


def test_skip_nonfinite_leaves_parameters_and_state_unchanged():
    p = Tensor(np.ones(3), requires_grad=True)
    opt = Rprop([p], lr=0.1, skip_nonfinite=True)
    p.grad = np.ones(3)
    opt.step()
    before = (p.data.copy(), opt.state[p]["prev"].copy(), opt.state[p]["step_size"].copy())
    p.grad = np.array([1.0, np.inf, 1.0])
    opt.step()
    assert opt.skipped_steps == 1 and int(opt.state[p]["step"]) == 1
    for old, new in zip(before, (p.data, opt.state[p]["prev"], opt.state[p]["step_size"])):
        np.testing.assert_array_equal(new, old)


@pytest.mark.parametrize("hp", [{}, {"lr": 0.05, "etas": (0.3, 1.5), "maximize": True}])
def test_rprop_float32_matches_float64_reference(hp):
    float32_against_reference(Rprop, REFERENCE, hp)


def test_rprop_float32_tracks_float64():
    check_float32_tracks_float64("rprop", {"lr": 0.01})


def test_rprop_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("rprop", {"etas": (0.4, 1.3), "step_sizes": (1e-4, 1.0)})


def test_rprop_reduces_a_regression_loss():
    check_reduces_regression_loss("rprop", {"lr": 0.01})


def test_rprop_is_registered():
    assert "rprop" in optim.available()
    assert isinstance(optim.create("Rprop", [Tensor(np.ones(2), requires_grad=True)]), Rprop)


def test_rprop_compiles_once_per_dtype():
    check_compiles_once_per_dtype("rprop", rprop._rprop_kernel)
