"""RAdam (Liu et al., 2020) with PyTorch's semantics, on one fused Numba kernel."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from numba import prange

from ..jit import kernel
from .adam import check_adam_group
from .flat_buffer import Run
from .optimizer import Optimizer
from .registry import register


@kernel
def _radam_kernel(
    param, grad, exp_avg, exp_avg_sq,
    sign, weight_decay, decay_factor, beta1, one_minus_beta1, beta2, one_minus_beta2,
    step_size, adaptive_scale, eps, rectified,
):  # fmt: skip
    """One RAdam step in place over 1-D slices; scalars are in the arrays' dtype.

    rectified: p -= step_size * m / (sqrt(v) + eps) with step_size = lr r_t sqrt(1-beta2^t)
    / (1-beta1^t); otherwise p -= step_size * m with step_size = lr / (1-beta1^t).
    `adaptive_scale` is unused outside the rectified branch. Branches sit outside the loops.
    """
    n = param.size
    if rectified:
        for i in prange(n):
            p = param[i]
            g = sign * grad[i] + weight_decay * p
            m = beta1 * exp_avg[i] + one_minus_beta1 * g
            v = beta2 * exp_avg_sq[i] + one_minus_beta2 * g * g
            exp_avg[i] = m
            exp_avg_sq[i] = v
            param[i] = p * decay_factor - step_size * adaptive_scale * m / (math.sqrt(v) + eps)
    else:
        for i in prange(n):
            p = param[i]
            g = sign * grad[i] + weight_decay * p
            m = beta1 * exp_avg[i] + one_minus_beta1 * g
            exp_avg[i] = m
            exp_avg_sq[i] = beta2 * exp_avg_sq[i] + one_minus_beta2 * g * g
            param[i] = p * decay_factor - step_size * m


@register("radam")
class RAdam(Optimizer):
    r"""RAdam, as torch.optim.RAdam (Liu et al., "On the Variance of the Adaptive Learning Rate
    and Beyond", ICLR 2020).

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False, maximize=False. For each parameter, t = its step count:

        g = -grad if maximize else grad
        p = p * (1 - lr * wd) if decoupled_weight_decay else (g = g + wd * p)
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        if rho_t > 5:
            l_t = sqrt(1 - beta2**t) / (sqrt(v) + eps)
            r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            p = p - lr * m_hat * l_t * r_t
        else:
            p = p - lr * m_hat

    As PyTorch's implementation, `maximize` negates the gradient before weight decay.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
            weight_decay=weight_decay, decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        beta1, beta2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        decoupled = bool(group["decoupled_weight_decay"])
        t = run.step
        bias_correction1 = 1.0 - beta1**t
        bias_correction2 = 1.0 - beta2**t
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * t * beta2**t / bias_correction2
        rectified = rho_t > 5.0
        adaptive_scale = 0.0
        if rectified:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            adaptive_scale = rect * math.sqrt(bias_correction2)
        s = run.scalar
        _radam_kernel(
            run.param, run.grad, run.state["exp_avg"], run.state["exp_avg_sq"],
            s(-1.0 if group["maximize"] else 1.0),
            s(0.0 if decoupled else wd), s(1.0 - lr * wd if decoupled else 1.0),
            s(beta1), s(1.0 - beta1), s(beta2), s(1.0 - beta2),
            s(lr / bias_correction1), s(adaptive_scale), s(group["eps"]), rectified,
        )  # fmt: skip
