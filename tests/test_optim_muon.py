"""Muon vs a plain-numpy reference written from torch.optim.Muon's documentation and the
Muon blog post (Jordan et al. 2024), closed forms, and behaviour checks."""

import inspect
import math

import numba
import numpy as np
import pytest
from error_messages import exactly, invalid
from optim_reference import compare_with_reference
from optim_reference_b2 import check_float32_tracks_float64, check_state_dict_round_trip

from tinygrad_opt import Tensor, optim
from tinygrad_opt.optim import Muon, muon


# ------------------------------------------------------------------- reference
def muon_init(hp, shape):
    return {"momentum_buffer": np.zeros(shape)}


def newton_schulz(u, coefficients, steps, eps):
    """The quintic iteration of the blog post on u / max(||u||_F, eps), on the wide side."""
    a, b, c = coefficients
    x = u.T if u.shape[0] > u.shape[1] else u
    x = x / max(np.sqrt(np.sum(x * x)), eps)
    for _ in range(steps):
        s = x @ x.T
        x = a * x + (b * s + c * s @ s) @ x
    return x.T if u.shape[0] > u.shape[1] else x


def muon_step(p, g, s, t, hp):
    """torch.optim.Muon: the momentum buffer as a lerp toward g, Nesterov as a lerp from g
    toward the buffer, Newton-Schulz, decoupled decay with the unadjusted lr, then the
    update with the lr adjusted for the matrix shape (A, B)."""
    mu = hp["momentum"]
    buf = s["momentum_buffer"]
    buf[...] = mu * buf + (1 - mu) * g
    u = (1 - mu) * g + mu * buf if hp["nesterov"] else buf.copy()
    o = newton_schulz(u, hp["ns_coefficients"], hp["ns_steps"], hp["eps"])
    rows, cols = p.shape
    if hp["adjust_lr_fn"] == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = math.sqrt(max(1, rows / cols))
    p *= 1 - hp["lr"] * hp["weight_decay"]
    p -= hp["lr"] * ratio * o


REFERENCE = (muon_init, muon_step)
SHAPES = [[(7, 5), (3, 9), (0, 4), (40, 30)], [(4, 4), (1, 6), (12, 3)]]

OPTIONS = [
    {},
    {"lr": 0.02, "nesterov": False, "adjust_lr_fn": "original"},
    {"lr": 0.01, "adjust_lr_fn": "match_rms_adamw", "weight_decay": 0.01},
    {"lr": 0.03, "momentum": 0.0, "ns_steps": 2, "eps": 1e-3},
    {"lr": 0.01, "momentum": 0.5, "ns_coefficients": (1.5, -0.5, 0.0), "ns_steps": 8},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_muon_matches_reference(options):
    # Newton-Schulz amplifies rounding differences (a = 3.4 per step), hence rtol 1e-9
    compare_with_reference(lambda groups: Muon(groups), REFERENCE,
                           [options, {"lr": 0.004, "nesterov": False}], shapes=SHAPES,
                           rtol=1e-9, atol=1e-11)  # fmt: skip


@pytest.mark.parametrize(
    "shape, adjust_lr_fn, ratio",
    [((2, 8), None, 1.0), ((8, 2), "original", 2.0),
     ((8, 2), "match_rms_adamw", 0.2 * math.sqrt(8)), ((2, 8), "match_rms_adamw", 0.2 * 8**0.5)],
)  # fmt: skip
def test_rank_one_step_has_a_closed_form(shape, adjust_lr_fn, ratio):
    """A rank-1 gradient has one singular value, 1 after normalisation, mapped by
    phi(s) = a s + b s^3 + c s^5 at each step: the update is phi^k(1) g / ||g||_F."""
    rng = np.random.default_rng(3)
    g = np.outer(rng.normal(size=shape[0]), rng.normal(size=shape[1]))
    p0 = rng.normal(size=shape)
    p = Tensor(p0.copy(), requires_grad=True)
    lr, wd, mu = 0.1, 0.2, 0.9
    opt = Muon([p], lr=lr, weight_decay=wd, momentum=mu, adjust_lr_fn=adjust_lr_fn)
    p.grad = g
    opt.step()
    a, b, c = 3.4445, -4.775, 2.0315
    sigma = 1.0
    for _ in range(5):
        sigma = a * sigma + b * sigma**3 + c * sigma**5
    # first step from a zero buffer: B = (1 - mu) g, Nesterov U = (1 - mu^2) g, same direction
    expected = p0 * (1 - lr * wd) - lr * ratio * sigma * g / np.linalg.norm(g)
    np.testing.assert_allclose(p.data, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], (1 - mu) * g, rtol=1e-15)


def test_converged_cubic_iteration_gives_the_polar_factor():
    """With the cubic coefficients (1.5, -0.5, 0) the iteration converges to U V^T of the
    SVD (every singular value to 1): the step is -lr * U V^T, from numpy's SVD."""
    rng = np.random.default_rng(4)
    g = rng.normal(size=(6, 4))
    p = Tensor(np.zeros((6, 4)), requires_grad=True)
    opt = Muon([p], lr=0.5, weight_decay=0.0, momentum=0.0, nesterov=False,
               ns_coefficients=(1.5, -0.5, 0.0), ns_steps=60)  # fmt: skip
    p.grad = g
    opt.step()
    u, _, vt = np.linalg.svd(g, full_matrices=False)
    np.testing.assert_allclose(p.data, -0.5 * math.sqrt(6 / 4) * (u @ vt), atol=1e-12)


def test_parameters_without_grad_are_left_alone():
    rng = np.random.default_rng(5)
    a, b = (Tensor(rng.normal(size=(3, 4)), requires_grad=True) for _ in range(2))
    opt = Muon([a, b], lr=0.1)
    a_before, b_before = a.data.copy(), b.data.copy()
    a.grad = rng.normal(size=(3, 4))
    opt.step()
    np.testing.assert_array_equal(b.data, b_before)  # no weight decay either
    assert not opt.state[b]["momentum_buffer"].any() and int(opt.state[b]["step"]) == 0
    assert int(opt.state[a]["step"]) == 1 and not np.array_equal(a.data, a_before)


def test_eps_zero_with_a_zero_or_empty_update():
    """eps=0 is allowed: an empty matrix steps (nothing to update, the other parameter moves
    as the reference says) and an all-zero update is 0 / 0, NaN as the documented
    X = U / max(||U||_F, eps), not an exception half-way through the step."""
    rng = np.random.default_rng(6)
    empty = Tensor(np.ones((0, 4)), requires_grad=True)
    w0 = rng.normal(size=(3, 5))
    w = Tensor(w0.copy(), requires_grad=True)
    opt = Muon([empty, w], lr=0.1, eps=0.0)
    empty.grad, w.grad = np.ones((0, 4)), rng.normal(size=(3, 5))
    expected, state = w0.copy(), muon_init(None, (3, 5))
    hp = dict(opt.defaults)
    muon_step(expected, w.grad.copy(), state, 1, hp)
    opt.step()
    np.testing.assert_allclose(w.data, expected, rtol=1e-12, atol=1e-14)
    zero = Tensor(np.ones((2, 3)), requires_grad=True)
    opt = Muon([zero], lr=0.1, eps=0.0)
    zero.grad = np.zeros((2, 3))
    with np.errstate(invalid="ignore"):
        opt.step()
    assert np.isnan(zero.data).all() and int(opt.state[zero]["step"]) == 1


def test_muon_reduces_a_matrix_regression_loss():
    """Y = X W*: 300 steps from W = 0 bring the loss below 1% of its start."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(64, 8))
    w_true = rng.normal(size=(8, 5))
    y = x @ w_true
    w = Tensor(np.zeros((8, 5)), requires_grad=True)
    opt = optim.create("muon", [w], lr=0.05, weight_decay=0.0)

    def loss():
        return float(np.mean((x @ w.data - y) ** 2))

    first = loss()
    for step in range(300):
        if step == 200:
            opt.param_groups[0]["lr"] = 0.005  # orthogonal steps have a fixed size
        w.grad = 2 * x.T @ (x @ w.data - y) / y.size
        opt.step()
    assert loss() < 0.01 * first, (loss(), first)


def test_muon_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("muon", {"lr": 0.01, "weight_decay": 0.05},
                                shapes=((4, 3), (2, 5), (0, 3), (6, 6)))  # fmt: skip


def test_muon_float32_tracks_float64():
    check_float32_tracks_float64("muon", {"lr": 1e-3}, rtol=1e-5)


def test_defaults_and_signature_are_torchs():
    # torch.optim.Muon docs: Muon(params, lr=0.001, weight_decay=0.1, momentum=0.95,
    # nesterov=True, ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-07, ns_steps=5,
    # adjust_lr_fn=None)
    expected = dict(lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                    ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5,
                    adjust_lr_fn=None)  # fmt: skip
    names = list(inspect.signature(Muon).parameters)
    assert names[: len(expected) + 1] == ["params", *expected]
    group = Muon([Tensor(np.zeros((2, 3)), requires_grad=True)]).param_groups[0]
    assert {k: group[k] for k in expected} == expected
    assert isinstance(optim.create("muon", [Tensor(np.ones((2, 2)), requires_grad=True)]), Muon)


def test_state_dict_keys():
    p = Tensor(np.ones((2, 3)), requires_grad=True)
    opt = Muon([p])
    p.grad = np.ones((2, 3))
    opt.step()
    state = opt.state_dict()["state"][0]
    assert set(state) == {"step", "momentum_buffer"} and state["step"] == 1


@pytest.mark.parametrize(
    "kwargs, error, message",
    [({"lr": -1.0}, ValueError, invalid("lr", -1.0, "0.0 <= lr <= inf")),
     ({"weight_decay": -0.1}, ValueError,
      invalid("weight_decay", -0.1, "0.0 <= weight_decay <= inf")),
     ({"momentum": -0.5}, ValueError, invalid("momentum", -0.5, "0.0 <= momentum <= inf")),
     ({"eps": -1e-7}, ValueError, invalid("eps", -1e-7, "0.0 <= eps <= inf")),
     ({"ns_steps": 100}, ValueError, invalid("ns_steps", 100, "0 <= ns_steps < 100")),
     ({"ns_steps": -1}, ValueError, invalid("ns_steps", -1, "0 <= ns_steps < 100")),
     ({"ns_steps": 2.5}, TypeError, invalid("ns_steps", 2.5, "an integer")),
     ({"ns_coefficients": (1.0, 2.0)}, ValueError,
      invalid("ns_coefficients", (1.0, 2.0), "three numbers (a, b, c)")),
     ({"adjust_lr_fn": "foo"}, ValueError,
      exactly("Adjust learning rate function foo is not supported; expected None, "
              "'original' or 'match_rms_adamw'"))],
)  # fmt: skip
def test_muon_rejects_invalid_hyperparameters(kwargs, error, message):
    p = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(error, match=message):
        Muon([p], **kwargs)
    opt = Muon([p])
    q = Tensor(np.ones((3, 2)), requires_grad=True)
    with pytest.raises(error, match=message):
        opt.add_param_group({"params": [q], **kwargs})
    assert len(opt.param_groups) == 1 and q not in opt.state


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), ()])
def test_non_matrix_parameters_are_refused(shape):
    message = ("Muon only supports 2D parameters whereas we found a parameter with size: "
               f"{shape}; optimize biases")  # fmt: skip
    bad = Tensor(np.ones(shape), requires_grad=True)
    good = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        Muon([good, bad])
    opt = Muon([good])
    with pytest.raises(ValueError, match="only supports 2D parameters"):
        opt.add_param_group({"params": [bad]})
    assert len(opt.param_groups) == 1 and bad not in opt.state


def test_momentum_kernel_compiles_once_per_dtype():
    if numba.config.DISABLE_JIT:
        pytest.skip("NUMBA_DISABLE_JIT=1: kernels run as plain Python, nothing compiles")
    kernel = muon._muon_momentum_kernel
    before = len(kernel.signatures)
    for dtype in (np.float64, np.float32):
        params = [Tensor(np.ones((3, 4), dtype=dtype), requires_grad=True),
                  Tensor(np.ones((5, 2), dtype=dtype), requires_grad=True)]  # fmt: skip
        opt = Muon(params)
        for t in range(4):
            for p in params:
                p.grad = np.ones_like(p.data)
            opt.param_groups[0]["lr"] = 1 if t % 2 else 0.5
            opt.param_groups[0]["nesterov"] = bool(t % 2)
            opt.step()
        assert all(p.data.dtype == dtype for p in params)
    assert len(kernel.signatures) - before <= 2 and len(kernel.signatures) <= 2
