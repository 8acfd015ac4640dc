"""Plain-numpy references of the core update rules, written from PyTorch's documented
pseudocode (torch.optim.SGD/Adagrad/RMSprop/Adam/AdamW pages), one parameter at a time,
plus the harness that runs an optimizer and its reference side by side.

A reference is `(init, step)`: `init(hp, shape) -> dict` of state arrays (float64), and
`step(p, g, state, t, hp)` updates `p` and `state` in place for step number t (from 1).
Where PyTorch's docs and implementation differ (maximize negates the gradient before weight
decay in the implementation), the reference follows the implementation, as users see it.
"""

from __future__ import annotations

import numpy as np

from tinygrad_opt import Tensor


def _grad(g, p, hp):
    g = -g if hp["maximize"] else g
    if hp["weight_decay"] != 0:
        g = g + hp["weight_decay"] * p
    return g


# -------------------------------------------------------------------------------- SGD
def sgd_init(hp, shape):
    return {"momentum_buffer": np.zeros(shape)} if hp["momentum"] != 0 else {}


def sgd_step(p, g, state, t, hp):
    g = _grad(g, p, hp)
    mu = hp["momentum"]
    if mu != 0:
        if t == 1:
            b = g.copy()
        else:
            b = mu * state["momentum_buffer"] + (1 - hp["dampening"]) * g
        state["momentum_buffer"][...] = b
        g = g + mu * b if hp["nesterov"] else b
    p -= hp["lr"] * g


# ---------------------------------------------------------------------------- Adagrad
def adagrad_init(hp, shape):
    return {"sum": np.full(shape, float(hp["initial_accumulator_value"]))}


def adagrad_step(p, g, state, t, hp):
    g = _grad(g, p, hp)
    clr = hp["lr"] / (1 + (t - 1) * hp["lr_decay"])
    state["sum"] += g * g
    p -= clr * g / (np.sqrt(state["sum"]) + hp["eps"])


# ---------------------------------------------------------------------------- RMSprop
def rmsprop_init(hp, shape):
    state = {"square_avg": np.zeros(shape)}
    if hp["momentum"] > 0:
        state["momentum_buffer"] = np.zeros(shape)
    if hp["centered"]:
        state["grad_avg"] = np.zeros(shape)
    return state


def rmsprop_step(p, g, state, t, hp):
    g = _grad(g, p, hp)
    alpha = hp["alpha"]
    v = state["square_avg"]
    v[...] = alpha * v + (1 - alpha) * g * g
    if hp["centered"]:
        ga = state["grad_avg"]
        ga[...] = alpha * ga + (1 - alpha) * g
        denom = np.sqrt(v - ga * ga) + hp["eps"]
    else:
        denom = np.sqrt(v) + hp["eps"]
    if hp["momentum"] > 0:
        b = state["momentum_buffer"]
        b[...] = hp["momentum"] * b + g / denom
        p -= hp["lr"] * b
    else:
        p -= hp["lr"] * g / denom


# ------------------------------------------------------------------------- Adam/AdamW
def adam_init(hp, shape):
    state = {"exp_avg": np.zeros(shape), "exp_avg_sq": np.zeros(shape)}
    if hp["amsgrad"]:
        state["max_exp_avg_sq"] = np.zeros(shape)
    return state


def _adam(p, g, state, t, hp, decoupled):
    lr, (b1, b2), eps, wd = hp["lr"], hp["betas"], hp["eps"], hp["weight_decay"]
    g = -g if hp["maximize"] else g
    if decoupled:
        p *= 1 - lr * wd
    elif wd != 0:
        g = g + wd * p
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m[...] = b1 * m + (1 - b1) * g
    v[...] = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 - b1**t)
    if hp["amsgrad"]:
        state["max_exp_avg_sq"][...] = np.maximum(state["max_exp_avg_sq"], v)
        v = state["max_exp_avg_sq"]
    v_hat = v / (1 - b2**t)
    p -= lr * m_hat / (np.sqrt(v_hat) + eps)


def adam_step(p, g, state, t, hp):
    _adam(p, g, state, t, hp, decoupled=False)


def adamw_step(p, g, state, t, hp):
    _adam(p, g, state, t, hp, decoupled=True)


REFERENCES = {
    "sgd": (sgd_init, sgd_step),
    "adagrad": (adagrad_init, adagrad_step),
    "rmsprop": (rmsprop_init, rmsprop_step),
    "adam": (adam_init, adam_step),
    "adamw": (adam_init, adamw_step),
}


# ----------------------------------------------------------------------------- harness
# group 0 holds more than parallel.PARALLEL_MIN_SIZE elements, so its runs use the thread
# pool whenever all its grads are present, and the small pieces split off by None grads don't
DEFAULT_SHAPES = [[(7, 5), (0,), (150, 120), (13,)], [(3, 4, 2), ()]]


def _normalise(value):
    return tuple(value) if isinstance(value, (tuple, list)) else value


def _check_group_options(opt, group_hps):
    """Every option a test gave a group must be what the optimizer holds for it: the
    reference reads its hyperparameters from `param_groups`, so an option silently replaced
    by the constructor's default would otherwise go unnoticed (both sides use the default)."""
    assert len(opt.param_groups) == len(group_hps)
    for i, (group, given) in enumerate(zip(opt.param_groups, group_hps)):
        for key, value in given.items():
            assert key in group, f"group {i}: option {key!r} missing from param_groups"
            held = group[key]
            assert _normalise(held) == _normalise(value), (
                f"group {i}: option {key!r} was given as {value!r} but the optimizer holds "
                f"{held!r}"
            )


def compare_with_reference(
    make_optimizer,
    reference,
    group_hps,
    shapes=None,
    steps=50,
    seed=0,
    none_probability=0.25,
    rtol=1e-10,
    atol=1e-12,
):
    """Run `make_optimizer(groups)` and `reference` for `steps` steps on the same grads.

    `group_hps` gives one hyperparameter dict per group (missing ones come from the
    optimizer's defaults, read back from `param_groups`). Grads depend on the parameters
    (a quadratic pull plus noise); each step a random subset of grads is None. After every
    step, parameters, state arrays and step counts must agree with the reference.
    """
    init, ref_step = reference
    rng = np.random.default_rng(seed)
    shapes = shapes or DEFAULT_SHAPES[: len(group_hps)]
    if len(shapes) < len(group_hps):
        shapes = shapes + [[(6,)]] * (len(group_hps) - len(shapes))
    tensors = [[Tensor(rng.normal(size=s), requires_grad=True) for s in gs] for gs in shapes]
    ref_params = [[t.data.copy() for t in ts] for ts in tensors]
    groups = [{"params": ts, **hp} for ts, hp in zip(tensors, group_hps)]
    opt = make_optimizer(groups)
    _check_group_options(opt, group_hps)
    hps = [dict(g) for g in opt.param_groups]
    ref_state = [[init(hp, p.shape) for p in ps] for hp, ps in zip(hps, ref_params)]
    ref_steps = [[0 for _ in ps] for ps in ref_params]
    for _ in range(steps):
        for gi, ts in enumerate(tensors):
            for pi, t in enumerate(ts):
                if rng.random() < none_probability:
                    t.grad = None
                    continue
                p = ref_params[gi][pi]
                t.grad = 0.5 * p + rng.normal(size=p.shape)
                ref_steps[gi][pi] += 1
                ref_step(p, t.grad.copy(), ref_state[gi][pi], ref_steps[gi][pi], hps[gi])
        opt.step()
        for gi, ts in enumerate(tensors):
            for pi, t in enumerate(ts):
                np.testing.assert_allclose(t.data, ref_params[gi][pi], rtol=rtol, atol=atol)
                state = opt.state[t]
                assert int(state["step"]) == ref_steps[gi][pi]
                expected = ref_state[gi][pi]
                assert set(state) - {"step"} == set(expected)
                for name, value in expected.items():
                    np.testing.assert_allclose(
                        state[name], value, rtol=rtol, atol=atol, err_msg=name
                    )
    return opt, tensors


def float32_against_reference(cls, reference, hp, steps=20, size=300):
    """float32 run vs the float64 numpy reference: parameters and every state array agree to
    float32 accuracy, and stay float32 (so a dtype-dependent branch can't drift)."""
    init, ref_step = reference
    rng = np.random.default_rng(11)
    start = rng.normal(size=size)
    p32 = Tensor(start.astype(np.float32), requires_grad=True)
    opt = cls([p32], **hp)
    full = dict(opt.param_groups[0])
    ref_p = start.astype(np.float32).astype(np.float64)
    ref_state = init(full, ref_p.shape)
    for t in range(1, steps + 1):
        g = rng.normal(size=size).astype(np.float32)
        p32.grad = g
        opt.step()
        ref_step(ref_p, g.astype(np.float64), ref_state, t, full)
    assert p32.data.dtype == np.float32
    np.testing.assert_allclose(p32.data, ref_p, rtol=2e-4, atol=2e-5)
    for key, value in ref_state.items():
        assert opt.state[p32][key].dtype == np.float32, key
        np.testing.assert_allclose(opt.state[p32][key], value, rtol=2e-4, atol=1e-6, err_msg=key)
