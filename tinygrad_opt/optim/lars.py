"""LARS (You et al., 2017) from its paper: momentum SGD with a per-tensor trust ratio."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numba import prange

from ..jit import kernel
from .flat_buffer import Run
from .optimizer import Optimizer, check_number, required
from .registry import register
from .segments import CHUNK, chunk_table, sum_by_segment, sums_of_squares


@kernel
def _lars_kernel(
    param, grad, momentum_buffer, offsets, chunk,
    sign, momentum, weight_decay, trust_coefficient, lr,
):  # fmt: skip
    """One LARS step in place over a run of tensors (segments given by `offsets`).

    Sweep 1 sums ||p||^2 and ||g||^2 per chunk (reads only); the partials are added per
    tensor into its local lr; sweep 2 updates the momentum buffer and the parameters.
    """
    starts, ends, segment = chunk_table(offsets, chunk)
    n_chunks = starts.size
    partials = np.empty((n_chunks, 2), dtype=np.float64)
    zero = sign - sign  # 0 in the arrays' dtype
    for c in prange(n_chunks):
        lo, hi = starts[c], ends[c]
        partials[c, 0], partials[c, 1] = sums_of_squares(param[lo:hi], grad[lo:hi], zero)
    totals = sum_by_segment(partials, segment, offsets.size - 1)
    scale = np.empty(offsets.size - 1, dtype=param.dtype)
    for s in range(scale.size):
        w_norm = math.sqrt(totals[s, 0])
        g_norm = math.sqrt(totals[s, 1])
        local = 1.0  # as the API and the common ports: 1 where either norm is 0
        if w_norm > 0.0 and g_norm > 0.0:
            local = trust_coefficient * w_norm / (g_norm + weight_decay * w_norm)
        scale[s] = lr * local
    for c in prange(n_chunks):
        step = scale[segment[c]]
        lo, hi = starts[c], ends[c]
        ps, gs, bs = param[lo:hi], grad[lo:hi], momentum_buffer[lo:hi]
        for i in range(ps.size):
            p = ps[i]
            b = momentum * bs[i] + step * (sign * gs[i] + weight_decay * p)
            bs[i] = b
            ps[i] = p - b


@register("lars")
class LARS(Optimizer):
    r"""LARS, "Layer-wise Adaptive Rate Scaling" (You, Gitman & Ginsburg, "Large Batch
    Training of Convolutional Networks", 2017, Algorithm 1).

    Arguments: lr (required, the global rate gamma), momentum=0.9, weight_decay=0.0 (beta),
    trust_coefficient=0.001 (eta), maximize=False. For each parameter tensor:

        g = -grad if maximize else grad
        local_lr = eta * ||p|| / (||g|| + weight_decay * ||p||)   (1 if ||p|| or ||g|| is 0)
        v = momentum * v + lr * local_lr * (g + weight_decay * p)   # momentum_buffer
        p = p - v

    As the paper, lr and the local rate sit inside the momentum buffer (PyTorch's SGD puts
    lr outside; the two differ only while lr changes), there is no eps in the denominator
    and the ratio is applied to every tensor of the group (exempt biases and norms with
    parameter groups). Common ports (torchlars, LARC in apex) differ: LARC clips the ratio
    at 1 and multiplies it into SGD's lr, some add eps, some skip 1-D tensors.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = required,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        trust_coefficient: float = 0.001,
        *,
        maximize: bool = False,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, weight_decay=weight_decay,
            trust_coefficient=trust_coefficient, maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        check_number("momentum", group["momentum"], low=0.0)
        check_number("weight_decay", group["weight_decay"], low=0.0)
        check_number("trust_coefficient", group["trust_coefficient"], low=0.0, low_open=True)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"momentum_buffer": 0.0}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        _lars_kernel(
            run.param, run.grad, run.state["momentum_buffer"], run.offsets(), CHUNK,
            run.scalar(-1.0 if group["maximize"] else 1.0), run.scalar(group["momentum"]),
            run.scalar(group["weight_decay"]), float(group["trust_coefficient"]),
            float(group["lr"]),
        )  # fmt: skip
