"""NAdam (Dozat, 2016) with PyTorch's semantics, on one fused Numba kernel."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numba import prange

from ..jit import kernel
from .adam import check_adam_group
from .flat_buffer import Run
from .optimizer import Optimizer, check_number
from .registry import register


@kernel
def _nadam_kernel(
    param, grad, exp_avg, exp_avg_sq,
    sign, weight_decay, decay_factor, beta1, one_minus_beta1, beta2, one_minus_beta2,
    grad_coef, avg_coef, bias_correction2, eps,
):  # fmt: skip
    """One NAdam step in place over 1-D slices; scalars are in the arrays' dtype.

    `grad_coef` = lr (1 - mu_t) / (1 - prod mu_1..t) and `avg_coef` = lr mu_{t+1} /
    (1 - prod mu_1..t+1) carry the whole momentum schedule, so the loop has no branches.
    """
    for i in prange(param.size):
        p = param[i]
        g = sign * grad[i] + weight_decay * p
        m = beta1 * exp_avg[i] + one_minus_beta1 * g
        v = beta2 * exp_avg_sq[i] + one_minus_beta2 * g * g
        exp_avg[i] = m
        exp_avg_sq[i] = v
        denom = math.sqrt(v / bias_correction2) + eps
        param[i] = p * decay_factor - (grad_coef * g + avg_coef * m) / denom


@register("nadam")
class NAdam(Optimizer):
    r"""NAdam, as torch.optim.NAdam (Dozat, "Incorporating Nesterov Momentum into Adam", 2016).

    Defaults: lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
    decoupled_weight_decay=False, maximize=False. For each parameter, t = its step count:

        g = -grad if maximize else grad
        p = p * (1 - lr * wd) if decoupled_weight_decay else (g = g + wd * p)
        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay));  mu_{t+1} likewise
        mu_product = mu_product * mu_t                      # state, from 1
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - mu_product) * g / denom
              - lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom

    As PyTorch's implementation, `maximize` negates the gradient before weight decay.
    `mu_product` is a 0-d state per parameter in the parameter's dtype.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
            weight_decay=weight_decay, momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)
        check_number("momentum_decay", group["momentum_decay"], low=0.0)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"mu_product": 1.0, "exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _state_shape(self, name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
        return () if name == "mu_product" else shape

    def _update(self, group: dict[str, Any], run: Run) -> None:
        beta1, beta2 = group["betas"]
        lr, wd, psi = group["lr"], group["weight_decay"], group["momentum_decay"]
        decoupled = bool(group["decoupled_weight_decay"])
        t = run.step
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = run.state["mu_product"]
        mu_product *= run.scalar(mu)
        # Parameters of a run share t, but their products differ if beta1 or momentum_decay
        # changed mid-training; each stretch of equal products gets its own kernel call.
        offsets = run.offsets()
        starts = np.flatnonzero(np.diff(mu_product)) + 1
        bounds = [0, *starts.tolist(), mu_product.size]
        s = run.scalar
        for first, last in zip(bounds[:-1], bounds[1:]):
            lo, hi = offsets[first], offsets[last]
            product = float(mu_product[first])
            _nadam_kernel(
                run.param[lo:hi], run.grad[lo:hi],
                run.state["exp_avg"][lo:hi], run.state["exp_avg_sq"][lo:hi],
                s(-1.0 if group["maximize"] else 1.0),
                s(0.0 if decoupled else wd), s(1.0 - lr * wd if decoupled else 1.0),
                s(beta1), s(1.0 - beta1), s(beta2), s(1.0 - beta2),
                s(lr * (1.0 - mu) / (1.0 - product)),
                s(lr * mu_next / (1.0 - product * mu_next)),
                s(1.0 - beta2**t), s(group["eps"]),
            )  # fmt: skip
