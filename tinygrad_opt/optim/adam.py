"""Adam (Kingma & Ba, 2015) with PyTorch's semantics, on one fused Numba kernel."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from numba import prange

from ..jit import kernel
from .flat_buffer import Run
from .optimizer import Optimizer, check_betas, check_number
from .registry import register


@kernel
def _adam_kernel(
    param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq,
    sign, weight_decay, decay_factor, beta1, one_minus_beta1, beta2, one_minus_beta2,
    step_size, bias_correction2_sqrt, eps, amsgrad,
):  # fmt: skip
    """One Adam/AdamW step in place over 1-D slices; scalars are in the arrays' dtype.

    `weight_decay` is the coupled (L2) coefficient, `decay_factor` = 1 - lr * decoupled one.
    The amsgrad branch is outside the loop so each loop body vectorises on its own.
    """
    n = param.size
    if amsgrad:
        for i in prange(n):
            p = param[i]
            g = sign * grad[i] + weight_decay * p
            m = beta1 * exp_avg[i] + one_minus_beta1 * g
            v = beta2 * exp_avg_sq[i] + one_minus_beta2 * g * g
            exp_avg[i] = m
            exp_avg_sq[i] = v
            v_max = max_exp_avg_sq[i]
            if not v_max >= v:  # NaN propagates, as torch.maximum does
                v_max = v
            max_exp_avg_sq[i] = v_max
            param[i] = p * decay_factor - step_size * m / (
                math.sqrt(v_max) / bias_correction2_sqrt + eps
            )
    else:
        for i in prange(n):
            p = param[i]
            g = sign * grad[i] + weight_decay * p
            m = beta1 * exp_avg[i] + one_minus_beta1 * g
            v = beta2 * exp_avg_sq[i] + one_minus_beta2 * g * g
            exp_avg[i] = m
            exp_avg_sq[i] = v
            param[i] = p * decay_factor - step_size * m / (
                math.sqrt(v) / bias_correction2_sqrt + eps
            )


def adam_update(group: dict[str, Any], run: Run, decoupled: bool) -> None:
    """Call the Adam kernel on one run, with Adam's (coupled) or AdamW's weight decay."""
    beta1, beta2 = group["betas"]
    lr = group["lr"]
    wd = group["weight_decay"]
    step = run.step
    bias_correction1 = 1.0 - beta1**step
    bias_correction2 = 1.0 - beta2**step
    s = run.scalar
    amsgrad = bool(group["amsgrad"])
    max_sq = run.state["max_exp_avg_sq"] if amsgrad else run.grad[:0]
    _adam_kernel(
        run.param, run.grad, run.state["exp_avg"], run.state["exp_avg_sq"], max_sq,
        s(-1.0 if group["maximize"] else 1.0),
        s(0.0 if decoupled else wd),
        s(1.0 - lr * wd if decoupled else 1.0),
        s(beta1), s(1.0 - beta1), s(beta2), s(1.0 - beta2),
        s(lr / bias_correction1), s(math.sqrt(bias_correction2)), s(group["eps"]),
        amsgrad,
    )  # fmt: skip


def adam_state(group: dict[str, Any]) -> dict[str, float]:
    state = {"exp_avg": 0.0, "exp_avg_sq": 0.0}
    if group["amsgrad"]:
        state["max_exp_avg_sq"] = 0.0
    return state


def check_adam_group(group: dict[str, Any]) -> None:
    check_number("lr", group["lr"], low=0.0)
    check_number("eps", group["eps"], low=0.0)
    check_betas(group["betas"])
    check_number("weight_decay", group["weight_decay"], low=0.0)


@register("adam")
class Adam(Optimizer):
    r"""Adam, as torch.optim.Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization").

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0 (coupled L2),
    amsgrad=False, maximize=False. For each parameter, t = its step count (from 1):

        g = -grad if maximize else grad
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g                  # exp_avg
        v = beta2 * v + (1 - beta2) * g**2               # exp_avg_sq
        v_hat = max(v_hat, v) if amsgrad else v          # max_exp_avg_sq
        p = p - lr / (1 - beta1**t) * m / (sqrt(v_hat) / sqrt(1 - beta2**t) + eps)

    `decoupled_weight_decay=True` makes it AdamW (as in PyTorch 2.6+). As in PyTorch's
    implementation, `maximize` negates the gradient before weight decay is added (its docs'
    pseudocode negates at the end; the code is what users get). float32 parameters are
    updated in float32 arithmetic, as PyTorch does.

    `foreach` and `fused` are accepted so torch code ports unchanged, and ignored: every
    step is already one fused kernel per run of parameters.
    """

    _optional_state = ("max_exp_avg_sq",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
            weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return adam_state(group)

    def _update(self, group: dict[str, Any], run: Run) -> None:
        adam_update(group, run, decoupled=bool(group.get("decoupled_weight_decay", False)))
