"""Adagrad (Duchi, Hazan & Singer, 2011) with PyTorch's semantics."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from numba import prange

from ..jit import kernel
from .flat_buffer import Run
from .optimizer import Optimizer, check_number
from .registry import register


@kernel
def _adagrad_kernel(param, grad, state_sum, sign, clr, weight_decay, eps):
    """One Adagrad step in place; `clr` is the decayed learning rate of this step."""
    for i in prange(param.size):
        p = param[i]
        g = sign * grad[i] + weight_decay * p
        total = state_sum[i] + g * g
        state_sum[i] = total
        param[i] = p - clr * g / (math.sqrt(total) + eps)


@register("adagrad")
class Adagrad(Optimizer):
    r"""Adagrad, as torch.optim.Adagrad ("Adaptive Subgradient Methods", JMLR 2011).

    Defaults: lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
    maximize=False. For each parameter, t = its step count (from 1):

        g = -grad if maximize else grad
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g**2                                    # state 'sum', starts at
        p = p - clr * g / (sqrt(s) + eps)               # initial_accumulator_value

    `foreach` and `fused` are accepted so torch code ports unchanged, and ignored: every
    step is already one fused kernel per run of parameters.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        check_number("lr_decay", group["lr_decay"], low=0.0)
        check_number("weight_decay", group["weight_decay"], low=0.0)
        check_number("initial_accumulator_value", group["initial_accumulator_value"], low=0.0)
        check_number("eps", group["eps"], low=0.0)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"sum": float(group["initial_accumulator_value"])}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        s = run.scalar
        clr = group["lr"] / (1.0 + (run.step - 1) * group["lr_decay"])
        _adagrad_kernel(
            run.param, run.grad, run.state["sum"], s(-1.0 if group["maximize"] else 1.0),
            s(clr), s(group["weight_decay"]), s(group["eps"]),
        )  # fmt: skip
