"""Adadelta (Zeiler, 2012) with PyTorch's semantics, on one fused Numba kernel."""

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
def _adadelta_kernel(
    param, grad, square_avg, acc_delta, sign, weight_decay, rho, one_minus_rho, lr, eps,
):  # fmt: skip
    """One Adadelta step in place over 1-D slices; scalars are in the arrays' dtype."""
    for i in prange(param.size):
        p = param[i]
        g = sign * grad[i] + weight_decay * p
        v = rho * square_avg[i] + one_minus_rho * g * g
        a = acc_delta[i]
        delta = math.sqrt(a + eps) / math.sqrt(v + eps) * g
        square_avg[i] = v
        acc_delta[i] = rho * a + one_minus_rho * delta * delta
        param[i] = p - lr * delta


@register("adadelta")
class Adadelta(Optimizer):
    r"""Adadelta, as torch.optim.Adadelta (Zeiler, "ADADELTA: An Adaptive Learning Rate
    Method", 2012).

    Defaults: lr=1.0, rho=0.9, eps=1e-6, weight_decay=0 (coupled L2), maximize=False:

        g = -grad if maximize else grad
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g**2                          # square_avg
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2                      # acc_delta
        p = p - lr * delta

    The paper has no lr (it is PyTorch's extra factor; lr=1 gives the paper's rule).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        check_number("rho", group["rho"], low=0.0, high=1.0)
        check_number("eps", group["eps"], low=0.0)
        check_number("weight_decay", group["weight_decay"], low=0.0)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"square_avg": 0.0, "acc_delta": 0.0}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        s = run.scalar
        rho = group["rho"]
        _adadelta_kernel(
            run.param, run.grad, run.state["square_avg"], run.state["acc_delta"],
            s(-1.0 if group["maximize"] else 1.0), s(group["weight_decay"]),
            s(rho), s(1.0 - rho), s(group["lr"]), s(group["eps"]),
        )  # fmt: skip
