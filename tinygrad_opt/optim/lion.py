"""Lion (Chen et al., 2023) from its paper, on one fused Numba kernel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numba import prange

from ..jit import kernel
from .flat_buffer import Run
from .optimizer import Optimizer, check_betas, check_number
from .registry import register


@kernel
def _lion_kernel(param, grad, exp_avg, sign, beta1, one_minus_beta1, beta2, one_minus_beta2,
                 lr, decay_factor):  # fmt: skip
    """One Lion step in place over 1-D slices; scalars are in the arrays' dtype."""
    for i in prange(param.size):
        g = sign * grad[i]
        m = exp_avg[i]
        c = beta1 * m + one_minus_beta1 * g
        param[i] = param[i] * decay_factor - lr * np.sign(c)  # sign(0) = 0, sign(NaN) = NaN
        exp_avg[i] = beta2 * m + one_minus_beta2 * g


@register("lion")
class Lion(Optimizer):
    r"""Lion, "EvoLved Sign Momentum" (Chen et al., "Symbolic Discovery of Optimization
    Algorithms", NeurIPS 2023, Algorithm 2).

    Defaults: lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False:

        g = -grad if maximize else grad
        c = beta1 * m + (1 - beta1) * g
        p = p - lr * (sign(c) + weight_decay * p)        # decoupled decay, scaled by lr
        m = beta2 * m + (1 - beta2) * g                  # exp_avg

    Same rule as the authors' reference code and the common PyTorch ports (lion-pytorch);
    sign(0) = 0. The paper advises an lr 3-10x smaller and a weight decay 3-10x larger than
    AdamW's. The base keeps a per-parameter `step` although the rule does not use it.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas,
            weight_decay=weight_decay, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        check_betas(group["betas"])
        check_number("weight_decay", group["weight_decay"], low=0.0)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"exp_avg": 0.0}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        s = run.scalar
        _lion_kernel(
            run.param, run.grad, run.state["exp_avg"], s(-1.0 if group["maximize"] else 1.0),
            s(beta1), s(1.0 - beta1), s(beta2), s(1.0 - beta2),
            s(lr), s(1.0 - lr * group["weight_decay"]),
        )  # fmt: skip
