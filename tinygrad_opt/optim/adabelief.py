"""AdaBelief (Zhuang et al., 2020) from its paper, on one fused Numba kernel."""

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
def _adabelief_kernel(
    param, grad, exp_avg, exp_avg_var,
    sign, weight_decay, decay_factor, beta1, one_minus_beta1, beta2, one_minus_beta2,
    step_size, bias_correction2_sqrt, eps,
):  # fmt: skip
    """One AdaBelief step in place over 1-D slices; scalars are in the arrays' dtype."""
    for i in prange(param.size):
        p = param[i]
        g = sign * grad[i] + weight_decay * p
        m = beta1 * exp_avg[i] + one_minus_beta1 * g
        surprise = g - m
        s = beta2 * exp_avg_var[i] + one_minus_beta2 * surprise * surprise + eps
        exp_avg[i] = m
        exp_avg_var[i] = s
        param[i] = p * decay_factor - step_size * m / (math.sqrt(s) / bias_correction2_sqrt + eps)


@register("adabelief")
class AdaBelief(Optimizer):
    r"""AdaBelief (Zhuang et al., "AdaBelief Optimizer: Adapting Stepsizes by the Belief in
    Observed Gradients", NeurIPS 2020, Algorithm 2): Adam whose second moment tracks the
    squared deviation of g from its running mean instead of g**2.

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-16, weight_decay=0.0,
    decoupled_weight_decay=True, maximize=False. For each parameter, t = its step count:

        g = -grad if maximize else grad
        p = p * (1 - lr * wd) if decoupled_weight_decay else (g = g + wd * p)
        m = beta1 * m + (1 - beta1) * g                          # exp_avg
        s = beta2 * s + (1 - beta2) * (g - m)**2 + eps           # exp_avg_var
        p = p - lr / (1 - beta1**t) * m / (sqrt(s / (1 - beta2**t)) + eps)

    Compared with the common implementations: eps is added both inside s (as the paper's
    Algorithm 2 and the authors' adabelief-pytorch) and to the denominator. The paper has no
    weight decay; decoupled decay is the default here as in the authors' package
    (weight_decouple=True); their `amsgrad`, `rectify` and `fixed_decay` options are not
    provided (use RAdam for rectification).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-16,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = True,
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
        return {"exp_avg": 0.0, "exp_avg_var": 0.0}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        beta1, beta2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        decoupled = bool(group["decoupled_weight_decay"])
        t = run.step
        s = run.scalar
        _adabelief_kernel(
            run.param, run.grad, run.state["exp_avg"], run.state["exp_avg_var"],
            s(-1.0 if group["maximize"] else 1.0),
            s(0.0 if decoupled else wd), s(1.0 - lr * wd if decoupled else 1.0),
            s(beta1), s(1.0 - beta1), s(beta2), s(1.0 - beta2),
            s(lr / (1.0 - beta1**t)), s(math.sqrt(1.0 - beta2**t)), s(group["eps"]),
        )  # fmt: skip
