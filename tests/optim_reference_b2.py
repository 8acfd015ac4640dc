"""Plain-numpy references for NAdam, RAdam, Adamax, Adadelta, Adafactor, Lion, LAMB, LARS and
AdaBelief, and a dense-BFGS check for L-BFGS's direction, written from PyTorch's documented
pseudocode (torch.optim pages) and from the papers, one parameter tensor at a time.

A reference is `(init, step)` as in optim_reference.py: `init(hp, shape) -> dict` of state
arrays (float64) and `step(p, g, state, t, hp)` updates `p` and `state` in place for that
tensor's step number t (from 1). No fusion, no flat buffers, no shared code with the kernels.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np


def _direction(g, hp):
    return -g if hp.get("maximize", False) else g


def _weight_decay(p, g, hp):
    """Coupled (L2 on the gradient) or decoupled (p *= 1 - lr * wd) weight decay."""
    wd = hp["weight_decay"]
    if wd != 0:
        if hp.get("decoupled_weight_decay", False):
            p *= 1 - hp["lr"] * wd
        else:
            g = g + wd * p
    return g


def _moments_init(hp, shape):
    return {"exp_avg": np.zeros(shape), "exp_avg_sq": np.zeros(shape)}


# ------------------------------------------------------------------------------ NAdam
def nadam_init(hp, shape):
    return {"mu_product": np.ones(()), **_moments_init(hp, shape)}


def nadam_step(p, g, s, t, hp):
    """torch.optim.NAdam (Dozat 2016): momentum schedule mu_t, Nesterov-style first moment."""
    (beta1, beta2), lr, psi = hp["betas"], hp["lr"], hp["momentum_decay"]
    g = _weight_decay(p, _direction(g, hp), hp)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    s["mu_product"][...] = s["mu_product"] * mu
    mu_product = float(s["mu_product"])
    m, v = s["exp_avg"], s["exp_avg_sq"]
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    denom = np.sqrt(v / (1 - beta2**t)) + hp["eps"]
    m_hat = mu_next * m / (1 - mu_product * mu_next) + (1 - mu) * g / (1 - mu_product)
    p -= lr * m_hat / denom


# ------------------------------------------------------------------------------ RAdam
def radam_step(p, g, s, t, hp):
    """torch.optim.RAdam (Liu et al. 2020): Adam rectified when rho_t > 5, SGD with momentum
    before that."""
    (beta1, beta2), lr, eps = hp["betas"], hp["lr"], hp["eps"]
    g = _weight_decay(p, _direction(g, hp), hp)
    m, v = s["exp_avg"], s["exp_avg_sq"]
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if rho_t > 5:
        l_t = math.sqrt(1 - beta2**t) / (np.sqrt(v) + eps)
        r_t = math.sqrt(
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        )
        p -= lr * m_hat * l_t * r_t
    else:
        p -= lr * m_hat


# ----------------------------------------------------------------------------- Adamax
def adamax_init(hp, shape):
    return {"exp_avg": np.zeros(shape), "exp_inf": np.zeros(shape)}


def adamax_step(p, g, s, t, hp):
    """torch.optim.Adamax (Kingma & Ba 2015, section 7.1): infinity-norm second moment."""
    (beta1, beta2), lr = hp["betas"], hp["lr"]
    g = _weight_decay(p, _direction(g, hp), hp)
    s["exp_avg"][...] = beta1 * s["exp_avg"] + (1 - beta1) * g
    s["exp_inf"][...] = np.maximum(beta2 * s["exp_inf"], np.abs(g) + hp["eps"])
    p -= lr / (1 - beta1**t) * s["exp_avg"] / s["exp_inf"]


# --------------------------------------------------------------------------- Adadelta
def adadelta_init(hp, shape):
    return {"square_avg": np.zeros(shape), "acc_delta": np.zeros(shape)}


def adadelta_step(p, g, s, t, hp):
    """torch.optim.Adadelta (Zeiler 2012, with PyTorch's lr factor on the update)."""
    rho, eps = hp["rho"], hp["eps"]
    g = _weight_decay(p, _direction(g, hp), hp)
    s["square_avg"][...] = rho * s["square_avg"] + (1 - rho) * g * g
    delta = np.sqrt(s["acc_delta"] + eps) / np.sqrt(s["square_avg"] + eps) * g
    s["acc_delta"][...] = rho * s["acc_delta"] + (1 - rho) * delta * delta
    p -= hp["lr"] * delta


# -------------------------------------------------------------------------- Adafactor
def adafactor_init(hp, shape):
    if len(shape) > 1:
        return {
            "row_var": np.zeros(shape[:-1] + (1,)),
            "col_var": np.zeros(shape[:-2] + (1, shape[-1])),
        }
    return {"variance": np.zeros(shape)}


def adafactor_step(p, g, s, t, hp):
    """torch.optim.Adafactor (Shazeer & Stern 2018 with PyTorch's eps1 placement and lr):
    row/column factors are means of g^2 over the last / second-to-last axis."""
    if p.size == 0:
        return
    eps1, eps2 = hp["eps"]
    if eps1 is None:
        eps1 = float(np.finfo(p.dtype).eps)
    lr, d = hp["lr"], hp["d"]
    g = _direction(g, hp)
    one_minus_beta2 = t ** hp["beta2_decay"]
    rho = min(lr, 1 / math.sqrt(t))
    alpha = max(eps2, math.sqrt(float(np.mean(p * p)))) * rho
    p *= 1 - lr * hp["weight_decay"]
    if p.ndim > 1:
        rows, cols = s["row_var"], s["col_var"]
        rows[...] = rows + one_minus_beta2 * (np.mean(g * g, axis=-1, keepdims=True) - rows)
        cols[...] = cols + one_minus_beta2 * (np.mean(g * g, axis=-2, keepdims=True) - cols)
        v = rows * cols / np.maximum(np.mean(rows, axis=-2, keepdims=True), eps1)
    else:
        v = s["variance"]
        v[...] = v + one_minus_beta2 * (g * g - v)
    u = g / np.maximum(np.sqrt(v), eps1)
    rms_u = math.sqrt(float(np.mean(u * u)))
    p -= alpha / max(1.0, rms_u / d) * u


# ------------------------------------------------------------------------------- Lion
def lion_init(hp, shape):
    return {"exp_avg": np.zeros(shape)}


def lion_step(p, g, s, t, hp):
    """Lion (Chen et al. 2023, arXiv:2302.06675, Algorithm 2); decoupled decay times lr."""
    (beta1, beta2), lr = hp["betas"], hp["lr"]
    g = _direction(g, hp)
    c = beta1 * s["exp_avg"] + (1 - beta1) * g
    p -= lr * (np.sign(c) + hp["weight_decay"] * p)
    s["exp_avg"][...] = beta2 * s["exp_avg"] + (1 - beta2) * g


# ------------------------------------------------------------------------------- LAMB
def lamb_step(p, g, s, t, hp):
    """LAMB (You et al. 2019, arXiv:1904.00962, Algorithm 2): phi = identity (no clamp),
    eps outside the square root of v_hat, trust ratio 1 when a norm is zero."""
    (beta1, beta2), lr = hp["betas"], hp["lr"]
    g = _direction(g, hp)
    m, v = s["exp_avg"], s["exp_avg_sq"]
    m[...] = beta1 * m + (1 - beta1) * g
    v[...] = beta2 * v + (1 - beta2) * g * g
    r = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + hp["eps"])
    update = r + hp["weight_decay"] * p
    w_norm, u_norm = np.linalg.norm(p), np.linalg.norm(update)
    ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
    p -= lr * ratio * update


# ------------------------------------------------------------------------------- LARS
def lars_init(hp, shape):
    return {"momentum_buffer": np.zeros(shape)}


def lars_step(p, g, s, t, hp):
    """LARS (You et al. 2017, arXiv:1708.03888, Algorithm 1): local lr
    eta * ||w|| / (||g|| + beta * ||w||), 1 when ||w|| or ||g|| is zero; lr inside the
    buffer."""
    g = _direction(g, hp)
    wd = hp["weight_decay"]
    w_norm, g_norm = np.linalg.norm(p), np.linalg.norm(g)
    local = 1.0
    if w_norm > 0 and g_norm > 0:
        local = hp["trust_coefficient"] * w_norm / (g_norm + wd * w_norm)
    buf = s["momentum_buffer"]
    buf[...] = hp["momentum"] * buf + hp["lr"] * local * (g + wd * p)
    p -= buf


# -------------------------------------------------------------------------- AdaBelief
def adabelief_init(hp, shape):
    return {"exp_avg": np.zeros(shape), "exp_avg_var": np.zeros(shape)}


def adabelief_step(p, g, s, t, hp):
    """AdaBelief (Zhuang et al. 2020, arXiv:2010.07468, Algorithm 2): eps inside s_t and in
    the denominator."""
    (beta1, beta2), lr, eps = hp["betas"], hp["lr"], hp["eps"]
    g = _weight_decay(p, _direction(g, hp), hp)
    m, var = s["exp_avg"], s["exp_avg_var"]
    m[...] = beta1 * m + (1 - beta1) * g
    var[...] = beta2 * var + (1 - beta2) * (g - m) ** 2 + eps
    m_hat = m / (1 - beta1**t)
    s_hat = var / (1 - beta2**t)
    p -= lr * m_hat / (np.sqrt(s_hat) + eps)


REFERENCES_B2 = {
    "nadam": (nadam_init, nadam_step),
    "radam": (_moments_init, radam_step),
    "adamax": (adamax_init, adamax_step),
    "adadelta": (adadelta_init, adadelta_step),
    "adafactor": (adafactor_init, adafactor_step),
    "lion": (lion_init, lion_step),
    "lamb": (_moments_init, lamb_step),
    "lars": (lars_init, lars_step),
    "adabelief": (adabelief_init, adabelief_step),
}


# ------------------------------------------------------------------------------ L-BFGS
def bfgs_direction(grad, steps, grad_diffs, gamma):
    """-H g with H from the explicit BFGS recursion (Nocedal & Wright, eq. 7.19) started at
    gamma * I and applying the (s, y) pairs oldest first. L-BFGS's two-loop recursion must
    give the same direction; this builds the dense matrix, so only for small problems."""
    n = grad.size
    h = gamma * np.eye(n)
    for s, y in zip(steps, grad_diffs):
        rho = 1.0 / float(y @ s)
        left = np.eye(n) - rho * np.outer(s, y)
        h = left @ h @ left.T + rho * np.outer(s, s)
    return -h @ grad


# ----------------------------------------------------------------- shared behaviour checks
# Used by the test_optim_<name>.py files; each takes the optimizer's registry name and the
# hyperparameters that suit the problem.
def _tensor(data, requires_grad=True):
    from tinygrad_opt import Tensor

    return Tensor(data, requires_grad=requires_grad)


def least_squares(rng, n=64, d=8):
    x = rng.normal(size=(n, d))
    w_true = rng.normal(size=d)
    return x, x @ w_true + 0.01 * rng.normal(size=n)


def check_reduces_regression_loss(name, hp, steps=200, factor=0.05, start=None):
    """`steps` updates on a least-squares problem cut its loss below `factor` of the start."""
    from tinygrad_opt import optim

    rng = np.random.default_rng(5)
    x, y = least_squares(rng)
    w = _tensor(np.zeros(8) if start is None else start(rng))
    opt = optim.create(name, [w], **hp)

    def loss():
        return float(np.mean((x @ w.data - y) ** 2))

    first = loss()
    for _ in range(steps):
        w.grad = 2 * x.T @ (x @ w.data - y) / len(y)
        opt.step()
    assert loss() < factor * first, (loss(), first)


def rosenbrock(xy):
    x, y = xy
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_grad(xy):
    x, y = xy
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def check_progress_on_rosenbrock(name, hp, steps=2000):
    """From (-1.5, 2): the value drops below 5% and the distance to (1, 1) below half."""
    from tinygrad_opt import optim

    p = _tensor(np.array([-1.5, 2.0]))
    opt = optim.create(name, [p], **hp)
    start_value, start_distance = rosenbrock(p.data), np.hypot(*(p.data - 1))
    for _ in range(steps):
        p.grad = rosenbrock_grad(p.data)
        opt.step()
    assert rosenbrock(p.data) < 0.05 * start_value, rosenbrock(p.data)
    assert np.hypot(*(p.data - 1)) < 0.5 * start_distance, p.data


def _run_steps(opt, params, rng, steps, none_probability=0.2):
    for _ in range(steps):
        for p in params:
            p.grad = None if rng.random() < none_probability else rng.normal(size=p.shape)
        opt.step()


def check_state_dict_round_trip(name, hp, shapes=((4, 3), (3,), (0,), (2, 2, 2))):
    """10 steps, state_dict -> load into a fresh optimizer, then 20 more steps on both with
    the same grads: parameters and state are bit-identical."""
    from tinygrad_opt import optim

    rng = np.random.default_rng(7)
    params = [_tensor(rng.normal(size=s)) for s in shapes]
    opt = optim.create(name, [{"params": params[:2]}, {"params": params[2:], "lr": 0.003}], **hp)
    _run_steps(opt, params, rng, 10)
    saved = opt.state_dict()
    clones = [_tensor(p.data.copy()) for p in params]
    fresh = optim.create(name, [{"params": clones[:2]}, {"params": clones[2:]}], **hp)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[1]["lr"] == 0.003
    _run_steps(opt, params, np.random.default_rng(99), 20)
    _run_steps(fresh, clones, np.random.default_rng(99), 20)
    for p, q in zip(params, clones):
        np.testing.assert_array_equal(p.data, q.data)
        assert opt.state[p].keys() == fresh.state[q].keys()
        for key in opt.state[p]:
            np.testing.assert_array_equal(opt.state[p][key], fresh.state[q][key])


def check_float32_tracks_float64(name, hp, steps=10, size=200, rtol=1e-4):
    """The same run in float32 and float64 stays close, and float32 stays float32."""
    from tinygrad_opt import optim

    rng = np.random.default_rng(4)
    start = rng.normal(size=(size // 20, 20))
    p32, p64 = _tensor(start.astype(np.float32)), _tensor(start.copy())
    o32, o64 = optim.create(name, [p32], **hp), optim.create(name, [p64], **hp)
    for _ in range(steps):
        g = rng.normal(size=start.shape)
        p32.grad, p64.grad = g.astype(np.float32), g
        o32.step()
        o64.step()
    assert p32.data.dtype == np.float32
    assert all(v.dtype == np.float32 for k, v in o32.state[p32].items() if k != "step")
    np.testing.assert_allclose(p32.data, p64.data, rtol=rtol, atol=rtol)


def check_compiles_once_per_dtype(name, kernel, hp=None):
    """Steps with changing hyperparameters (an int lr, then a float) and changing step
    counts reuse one compiled signature per dtype."""
    import numba
    import pytest

    from tinygrad_opt import optim

    if numba.config.DISABLE_JIT:
        pytest.skip("NUMBA_DISABLE_JIT=1: kernels run as plain Python, nothing compiles")

    hp = hp or {}
    before = len(kernel.signatures)
    for dtype in (np.float64, np.float32):
        params = [_tensor(np.ones((3, 4), dtype=dtype)), _tensor(np.ones(5, dtype=dtype))]
        opt = optim.create(name, params, **hp)
        for t in range(6):
            for p in params:
                p.grad = np.ones_like(p.data)
            opt.param_groups[0]["lr"] = 1 if t % 2 else 0.5
            opt.step()
    assert len(kernel.signatures) - before <= 2 and len(kernel.signatures) <= 2


@contextlib.contextmanager
def two_threads_for_every_run(monkeypatch):
    """Numba's pool at two threads and the optimizers' pool threshold at 0, so even the small
    runs of these tests take the kernels' multi-thread paths; the thread count is restored."""
    import numba

    from tinygrad_opt.optim import optimizer

    monkeypatch.setattr(optimizer, "PARALLEL_MIN_SIZE", 0)
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def check_chunks_split_between_two_threads(name, module, options, shapes, monkeypatch):
    """Both sweeps of a two-pass rule (LAMB, LARS) really on two threads, in chunks of 3, so
    each tensor's norms merge partials that different threads computed: against the
    reference."""
    from optim_reference import compare_with_reference

    from tinygrad_opt import optim

    monkeypatch.setattr(module, "CHUNK", 3)
    with two_threads_for_every_run(monkeypatch):
        compare_with_reference(lambda groups: optim.create(name, groups), REFERENCES_B2[name],
                               options, shapes=shapes, steps=10, none_probability=0.0)  # fmt: skip
