"""ASGD, averaged SGD (Polyak & Juditsky, 1992), with PyTorch's semantics, on one fused kernel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numba import prange

from ..jit import kernel
from .flat_buffer import Run
from .optimizer import Optimizer, check_number
from .registry import register


@kernel
def _asgd_kernel(param, grad, ax, sign, weight_decay, decay, eta, mu, average):
    """One ASGD step in place over 1-D slices; `decay` = 1 - lambd * eta. `average` False
    (mu == 1) makes ax a copy of the new parameters, as PyTorch does instead of the formula.
    The branch is outside the loop so each loop body vectorises on its own."""
    n = param.size
    if average:
        for i in prange(n):
            p = param[i]
            g = sign * grad[i] + weight_decay * p
            p = p * decay - eta * g
            param[i] = p
            a = ax[i]
            ax[i] = a + (p - a) * mu
    else:
        for i in prange(n):
            p = param[i]
            g = sign * grad[i] + weight_decay * p
            p = p * decay - eta * g
            param[i] = p
            ax[i] = p


@register("asgd")
class ASGD(Optimizer):
    r"""Averaged SGD, as torch.optim.ASGD (Polyak & Juditsky, "Acceleration of Stochastic
    Approximation by Averaging", SIAM J. Control Optim. 1992).

    Defaults: lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0 (coupled L2),
    maximize=False. For each parameter, t = its step count (from 1), eta starting at lr and
    mu at 1 (both per-parameter 0-d state, as PyTorch's), ax at 0:

        g = -grad if maximize else grad
        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax) if mu != 1 else p                # state 'ax'
        eta = lr / (1 + lambd * lr * t) ** alpha                 # state 'eta', for step t+1
        mu = 1 / max(1, t - t0)                                  # state 'mu', for step t+1

    So for an integer t0 >= 0, ax is the parameter itself up to step t0 + 2 and from then
    on the running mean of the parameters after steps t0 + 2, t0 + 3, ... (mu set at step
    t is used at step t + 1). As PyTorch's implementation,
    `maximize` negates the gradient before weight decay, eta is reset to the group's lr at
    a parameter's first step (PyTorch makes the state then, so an lr set by a scheduler
    before the first step counts), and the eta and mu of a step use the group's lr of that
    step.

    Deviation: eta and mu are kept in the parameter's dtype; PyTorch keeps them (and step)
    in the default float dtype, float32, also for float64 parameters, so a float64 run
    there rounds eta and mu to float32 (with torch.set_default_dtype(torch.float64) the two
    agree). lambd must be >= 0 (a negative one can make eta complex; PyTorch does not check
    lambd, alpha or t0). `foreach`, `differentiable` and `capturable` are accepted so torch
    code ports unchanged, and ignored: every step is already one fused kernel per run of
    parameters, and updates are never recorded by autograd.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
        *,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        check_number("lambd", group["lambd"], low=0.0)
        check_number("alpha", group["alpha"])
        check_number("t0", group["t0"])
        check_number("weight_decay", group["weight_decay"], low=0.0)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"eta": float(group["lr"]), "mu": 1.0, "ax": 0.0}

    def _state_shape(self, name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
        return () if name in ("eta", "mu") else shape

    def _update(self, group: dict[str, Any], run: Run) -> None:
        lr, lambd, alpha = group["lr"], group["lambd"], group["alpha"]
        t = run.step
        eta, mu = run.state["eta"], run.state["mu"]  # one entry per parameter of the run
        if t == 1:  # PyTorch makes the state here, eta from today's lr
            eta.fill(lr)
            mu.fill(1.0)
        # Parameters of a run share t, but their eta and mu differ if lr changed while some
        # of them had no gradient; each stretch of equal (eta, mu) gets its own kernel call.
        offsets = run.offsets()
        changes = (np.diff(eta) != 0) | (np.diff(mu) != 0)
        bounds = [0, *(np.flatnonzero(changes) + 1).tolist(), eta.size]
        s = run.scalar
        sign = s(-1.0 if group["maximize"] else 1.0)
        for first, last in zip(bounds[:-1], bounds[1:]):
            lo, hi = offsets[first], offsets[last]
            eta_now, mu_now = float(eta[first]), float(mu[first])
            _asgd_kernel(
                run.param[lo:hi], run.grad[lo:hi], run.state["ax"][lo:hi], sign,
                s(group["weight_decay"]), s(1.0 - lambd * eta_now), s(eta_now), s(mu_now),
                mu_now != 1.0,
            )  # fmt: skip
        eta.fill(lr / (1.0 + lambd * lr * t) ** alpha)
        mu.fill(1.0 / max(1.0, t - group["t0"]))
