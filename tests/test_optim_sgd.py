"""SGD kernel vs the plain-numpy reference of PyTorch's rule, in float64 over 50 steps."""

import numpy as np
import pytest
from error_messages import exactly, invalid
from optim_reference import REFERENCES, compare_with_reference, float32_against_reference
from optim_reference_b2 import check_state_dict_round_trip

from tinygrad_opt import Tensor
from tinygrad_opt.optim import SGD

OPTIONS = [
    {"lr": 0.05},
    {"lr": 0.05, "weight_decay": 0.1, "maximize": True},
    {"lr": 0.03, "momentum": 0.9},
    {"lr": 0.03, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01},
    {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05},
    {"lr": 0.02, "momentum": 0.5, "nesterov": True, "maximize": True},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_sgd_matches_reference(options):
    compare_with_reference(lambda groups: SGD(groups), REFERENCES["sgd"], [options])


def test_sgd_groups_with_different_options_match_reference():
    compare_with_reference(
        lambda groups: SGD(groups, lr=0.01),
        REFERENCES["sgd"],
        [{"momentum": 0.9, "nesterov": True}, {"lr": 0.1, "weight_decay": 0.2}],
    )


def test_first_momentum_step_is_the_gradient_without_dampening():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    p.grad = np.array([1.0, -1.0])
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [1.0, -1.0])
    np.testing.assert_allclose(p.data, [0.9, 2.1])
    p.grad = np.array([1.0, -1.0])
    opt.step()  # b = 0.9 * b + 0.5 * g
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [1.4, -1.4])


def test_sgd_without_momentum_keeps_no_buffer():
    p = Tensor(np.ones(3), requires_grad=True)
    opt = SGD([p], lr=0.1)
    assert set(opt.state[p]) == {"step"}
    assert set(opt.state_dict()["state"][0]) == {"step"}


NESTEROV = "Nesterov momentum requires a momentum > 0 and zero dampening, "


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1.0}, invalid("lr", -1.0, "0.0 <= lr <= inf")),
        ({"momentum": -0.1}, invalid("momentum", -0.1, "0.0 <= momentum <= inf")),
        ({"weight_decay": -1e-3}, invalid("weight_decay", -0.001, "0.0 <= weight_decay <= inf")),
        ({"nesterov": True}, exactly(NESTEROV + "got momentum=0.0 and dampening=0.0")),
        ({"nesterov": True, "momentum": 0.9, "dampening": 0.1},
         exactly(NESTEROV + "got momentum=0.9 and dampening=0.1")),
    ],
)
def test_sgd_rejects_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGD([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_momentum_buffer_is_not_scaled_by_lr():
    """torch keeps b = momentum * b + g and steps p -= lr * b, so an lr changed mid-run
    (a scheduler) applies to the whole buffer; a buffer holding lr * g would not."""
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.array([1.0])
    opt.step()  # b = 1, p = 1 - 0.1
    opt.param_groups[0]["lr"] = 0.01
    p.grad = np.array([1.0])
    opt.step()  # b = 0.9 + 1 = 1.9, p = 0.9 - 0.01 * 1.9
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [1.9], rtol=1e-15)
    np.testing.assert_allclose(p.data, [0.881], rtol=1e-15)


@pytest.mark.parametrize(
    "hp", [{"lr": 0.05}, {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}]
)
def test_sgd_float32_matches_float64_reference(hp):
    float32_against_reference(SGD, REFERENCES["sgd"], hp)


def test_sgd_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("sgd", {"lr": 0.02, "momentum": 0.8, "dampening": 0.1})


def test_momentum_switched_on_mid_run_starts_buffer_at_the_gradient():
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = SGD([p], lr=0.1, dampening=0.5)
    for momentum in (0.0, 0.0, 0.9, 0.9):
        opt.param_groups[0]["momentum"] = momentum
        p.grad = np.array([1.0])
        opt.step()
        if momentum and "momentum_buffer" in opt.state[p]:
            break  # first momentum step: torch sets buf = g = 1, p = 0.8 - 0.1 * 1
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [1.0])
    np.testing.assert_allclose(p.data, [0.7], rtol=1e-15)


@pytest.mark.parametrize("round_trip", [False, True], ids=["", "round_trip"])
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_toggled_with_none_grads_follows_torchs_rule(nesterov, round_trip):
    """torch.optim.SGD's rule, written out: a parameter's buffer is None until its first
    step with momentum != 0, which sets it to the gradient; later steps damp; a buffer kept
    while momentum is 0 is resumed when momentum comes back. Parameters without a grad that
    step miss it, so they start their buffers at different steps (one kernel run split).
    With round_trip, every step continues in a fresh SGD loaded from the last one's
    state_dict: a buffer not yet started must load as not started (saved as None)."""
    rng = np.random.default_rng(5)
    shapes = [(3,), (2, 2), (4,)]
    data = [rng.standard_normal(s) for s in shapes]
    params = [Tensor(d.copy(), requires_grad=True) for d in data]
    dampening = 0.0 if nesterov else 0.5
    opt = SGD(params, lr=0.1, dampening=dampening, nesterov=False)
    ref = [d.copy() for d in data]
    bufs = [None, None, None]
    schedule = [0.0, 0.0, 0.9, 0.9, 0.9, 0.0, 0.8, 0.8]
    has_grad = [[1, 1, 1], [1, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 0], [1, 1, 1], [1, 0, 1],
                [1, 1, 1]]  # fmt: skip
    for momentum, active in zip(schedule, has_grad):
        opt.param_groups[0].update(momentum=momentum, nesterov=nesterov and momentum > 0)
        for i, p in enumerate(params):
            p.grad = rng.standard_normal(shapes[i]) if active[i] else None
            if not active[i]:
                continue
            g = p.grad.copy()
            if momentum != 0:
                if bufs[i] is None:
                    bufs[i] = g.copy()
                else:
                    bufs[i] = momentum * bufs[i] + (1 - dampening) * g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            ref[i] = ref[i] - 0.1 * g
        opt.step()
        if round_trip:
            state = opt.state_dict()
            opt = SGD(params, lr=0.1, dampening=dampening)
            opt.load_state_dict(state)
        for i, p in enumerate(params):
            np.testing.assert_allclose(p.data, ref[i], rtol=1e-14, atol=1e-15)
            if bufs[i] is not None:
                np.testing.assert_allclose(opt.state[p]["momentum_buffer"], bufs[i],
                                           rtol=1e-14, atol=1e-15)  # fmt: skip
