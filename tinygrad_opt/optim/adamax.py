"""Adamax (Kingma & Ba, 2015) with PyTorch's semantics, on one fused Numba kernel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from numba import prange

from ..jit import kernel
from .adam import check_adam_group
from .flat_buffer import Run
from .optimizer import Optimizer
from .registry import register


@kernel
def _adamax_kernel(
    param, grad, exp_avg, exp_inf,
    sign, weight_decay, beta1, one_minus_beta1, beta2, step_size, eps,
):  # fmt: skip
    """One Adamax step in place over 1-D slices; scalars are in the arrays' dtype."""
    for i in prange(param.size):
        p = param[i]
        g = sign * grad[i] + weight_decay * p
        m = beta1 * exp_avg[i] + one_minus_beta1 * g
        scaled = beta2 * exp_inf[i]
        candidate = abs(g) + eps
        # NaN in either operand propagates, as torch.maximum does (max() would drop it)
        u = scaled if scaled >= candidate or scaled != scaled else candidate
        exp_avg[i] = m
        exp_inf[i] = u
        param[i] = p - step_size * m / u


@register("adamax")
class Adamax(Optimizer):
    r"""Adamax, as torch.optim.Adamax (Kingma & Ba, "Adam: A Method for Stochastic
    Optimization", ICLR 2015, section 7.1: Adam with the infinity norm).

    Defaults: lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0 (coupled L2),
    maximize=False. For each parameter, t = its step count:

        g = -grad if maximize else grad
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g                  # exp_avg
        u = max(beta2 * u, |g| + eps)                    # exp_inf
        p = p - lr / (1 - beta1**t) * m / u

    eps sits inside the max, as in PyTorch (the paper has none).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
            weight_decay=weight_decay, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_adam_group(group)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"exp_avg": 0.0, "exp_inf": 0.0}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        beta1, beta2 = group["betas"]
        s = run.scalar
        _adamax_kernel(
            run.param, run.grad, run.state["exp_avg"], run.state["exp_inf"],
            s(-1.0 if group["maximize"] else 1.0), s(group["weight_decay"]),
            s(beta1), s(1.0 - beta1), s(beta2),
            s(group["lr"] / (1.0 - beta1**run.step)), s(group["eps"]),
        )  # fmt: skip
