"""Plain-numpy references for Rprop and ASGD, written from PyTorch's documented pseudocode
(the torch.optim.Rprop and torch.optim.ASGD pages), one parameter tensor at a time.

A reference is `(init, step)` as in optim_reference.py: `init(hp, shape) -> dict` of state
arrays (float64) and `step(p, g, state, t, hp)` updates `p` and `state` in place for that
tensor's step number t (from 1). Where PyTorch's docs and implementation differ, the
reference follows the implementation, as users see it (each place is named below).
No fusion, no flat buffers, no shared code with the kernels.
"""

from __future__ import annotations

import numpy as np


def _direction(g, hp):
    return -g if hp.get("maximize", False) else g


# ------------------------------------------------------------------------------ Rprop
def rprop_init(hp, shape):
    return {"prev": np.zeros(shape), "step_size": np.full(shape, float(hp["lr"]))}


def rprop_step(p, g, s, t, hp):
    """Riedmiller & Braun 1993 as torch.optim.Rprop. Implementation, not docs: the step size
    is clamped on every step (also when unchanged), and sign(NaN) counts as 0."""
    etaminus, etaplus = hp["etas"]
    size_min, size_max = hp["step_sizes"]
    if t == 1:  # the state PyTorch makes lazily at a parameter's first step
        s["prev"][...] = 0.0
        s["step_size"][...] = hp["lr"]
    g = np.asarray(_direction(g, hp), dtype=np.float64)
    product = g * s["prev"]
    factor = np.where(product > 0, etaplus, np.where(product < 0, etaminus, 1.0))
    s["step_size"][...] = np.clip(s["step_size"] * factor, size_min, size_max)
    g = np.where(product < 0, 0.0, g)  # a sign flip: no move, and no sign for the next step
    direction = np.where(np.isnan(g), 0.0, np.sign(g))
    p -= direction * s["step_size"]
    s["prev"][...] = g


# ------------------------------------------------------------------------------- ASGD
def asgd_init(hp, shape):
    return {"eta": np.full((), float(hp["lr"])), "mu": np.ones(()), "ax": np.zeros(shape)}


def asgd_step(p, g, s, t, hp):
    """Polyak & Juditsky 1992 as torch.optim.ASGD: eta and mu of step t come from step
    t - 1; ax is a copy of p while mu == 1. Implementation, not docs: maximize negates the
    gradient before weight decay is added."""
    lr, lambd, alpha, t0 = hp["lr"], hp["lambd"], hp["alpha"], hp["t0"]
    if t == 1:
        s["eta"][...] = lr
        s["mu"][...] = 1.0
    g = _direction(g, hp)
    if hp["weight_decay"] != 0:
        g = g + hp["weight_decay"] * p
    eta, mu = float(s["eta"]), float(s["mu"])
    p *= 1.0 - lambd * eta
    p -= eta * g
    if mu != 1.0:
        s["ax"] += mu * (p - s["ax"])
    else:
        s["ax"][...] = p
    s["eta"][...] = lr / (1.0 + lambd * lr * t) ** alpha
    s["mu"][...] = 1.0 / max(1.0, t - t0)


REFERENCES_RPROP_ASGD = {
    "rprop": (rprop_init, rprop_step),
    "asgd": (asgd_init, asgd_step),
}
