"""RMSprop (Hinton's lecture 6e; centered form from Graves, 2013) with PyTorch's semantics."""

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
def _rmsprop_kernel(
    param, grad, square_avg, grad_avg, momentum_buffer,
    sign, lr, alpha, one_minus_alpha, eps, weight_decay, momentum, centered, use_momentum,
):  # fmt: skip
    """One RMSprop step in place; unused state arrays may be empty."""
    for i in prange(param.size):
        p = param[i]
        g = sign * grad[i] + weight_decay * p
        sq = alpha * square_avg[i] + one_minus_alpha * g * g
        square_avg[i] = sq
        if centered:
            ga = alpha * grad_avg[i] + one_minus_alpha * g
            grad_avg[i] = ga
            avg = math.sqrt(sq - ga * ga) + eps
        else:
            avg = math.sqrt(sq) + eps
        if use_momentum:
            b = momentum * momentum_buffer[i] + g / avg
            momentum_buffer[i] = b
            param[i] = p - lr * b
        else:
            param[i] = p - lr * g / avg


@register("rmsprop")
class RMSprop(Optimizer):
    r"""RMSprop, as torch.optim.RMSprop (Hinton, Coursera lecture 6e; centered: Graves 2013).

    Defaults: lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    maximize=False. For each parameter:

        g = -grad if maximize else grad
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2                       # square_avg
        if centered:
            ga = alpha * ga + (1 - alpha) * g                    # grad_avg
            denom = sqrt(v - ga**2) + eps
        else:
            denom = sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / denom                         # momentum_buffer
            p = p - lr * b
        else:
            p = p - lr * g / denom

    eps is added outside the square root, as PyTorch (TensorFlow adds it inside).

    `foreach` and `fused` are accepted so torch code ports unchanged, and ignored: every
    step is already one fused kernel per run of parameters.
    """

    _optional_state = ("momentum_buffer", "grad_avg")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
            centered=centered, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        check_number("alpha", group["alpha"], low=0.0)
        check_number("eps", group["eps"], low=0.0)
        check_number("weight_decay", group["weight_decay"], low=0.0)
        check_number("momentum", group["momentum"], low=0.0)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        state = {"square_avg": 0.0}
        if group["momentum"] > 0:
            state["momentum_buffer"] = 0.0
        if group["centered"]:
            state["grad_avg"] = 0.0
        return state

    def _update(self, group: dict[str, Any], run: Run) -> None:
        s = run.scalar
        empty = run.grad[:0]
        centered = bool(group["centered"])
        use_momentum = group["momentum"] > 0
        _rmsprop_kernel(
            run.param, run.grad, run.state["square_avg"],
            run.state["grad_avg"] if centered else empty,
            run.state["momentum_buffer"] if use_momentum else empty,
            s(-1.0 if group["maximize"] else 1.0), s(group["lr"]), s(group["alpha"]),
            s(1.0 - group["alpha"]), s(group["eps"]), s(group["weight_decay"]),
            s(group["momentum"]), centered, use_momentum,
        )  # fmt: skip
