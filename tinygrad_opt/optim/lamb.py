"""LAMB (You et al., 2019) from its paper: Adam's direction scaled per tensor by a trust ratio."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numba import prange

from ..jit import kernel
from .adam import check_adam_group
from .flat_buffer import Run
from .optimizer import Optimizer
from .registry import register
from .segments import BLOCK, CHUNK, chunk_table, sum_by_segment


@kernel
def _lamb_kernel(
    param, grad, exp_avg, exp_avg_sq, offsets, chunk,
    sign, beta1, one_minus_beta1, beta2, one_minus_beta2,
    inv_bias_correction1, inv_bias_correction2_sqrt, eps, weight_decay, lr,
):  # fmt: skip
    """One LAMB step in place over a run of tensors (segments given by `offsets`).

    Sweep 1 updates m and v and sums ||p||^2 and ||r + wd p||^2 per chunk; the partials are
    added per tensor; sweep 2 recomputes the same update from m, v and p (cheaper than
    storing it) and applies it scaled by the tensor's trust ratio. Norms are summed in the
    dtype over blocks of BLOCK elements and in float64 across blocks (segments.py says why).
    Bias corrections come as reciprocals: one division per element instead of three.
    """
    starts, ends, segment = chunk_table(offsets, chunk)
    n_chunks = starts.size
    partials = np.empty((n_chunks, 2), dtype=np.float64)
    zero = sign - sign  # 0 in the arrays' dtype
    for c in prange(n_chunks):
        lo, hi = starts[c], ends[c]
        w_sum = 0.0
        u_sum = 0.0
        for b in range(lo, hi, BLOCK):
            # slices indexed from 0 let Numba drop negative-index checks, so the loop
            # vectorises; sums stay in the dtype within a block so it runs at the dtype's
            # full vector width (a float64 accumulator halves float32's), then go float64
            e = min(b + BLOCK, hi)
            ps, gs, ms, vs = param[b:e], grad[b:e], exp_avg[b:e], exp_avg_sq[b:e]
            w_block = zero
            u_block = zero
            for i in range(ps.size):
                p = ps[i]
                g = sign * gs[i]
                m = beta1 * ms[i] + one_minus_beta1 * g
                v = beta2 * vs[i] + one_minus_beta2 * g * g
                ms[i] = m
                vs[i] = v
                u = m * inv_bias_correction1 / (math.sqrt(v) * inv_bias_correction2_sqrt + eps)
                u = u + weight_decay * p
                w_block += p * p
                u_block += u * u
            w_sum += np.float64(w_block)
            u_sum += np.float64(u_block)
        partials[c, 0] = w_sum
        partials[c, 1] = u_sum
    totals = sum_by_segment(partials, segment, offsets.size - 1)
    scale = np.empty(offsets.size - 1, dtype=param.dtype)
    for s in range(scale.size):
        w_norm = math.sqrt(totals[s, 0])
        u_norm = math.sqrt(totals[s, 1])
        ratio = w_norm / u_norm if w_norm > 0.0 and u_norm > 0.0 else 1.0
        scale[s] = lr * ratio
    for c in prange(n_chunks):
        step = scale[segment[c]]
        lo, hi = starts[c], ends[c]
        ps, ms, vs = param[lo:hi], exp_avg[lo:hi], exp_avg_sq[lo:hi]
        for i in range(ps.size):
            p = ps[i]
            u = ms[i] * inv_bias_correction1 / (
                math.sqrt(vs[i]) * inv_bias_correction2_sqrt + eps
            )
            ps[i] = p - step * (u + weight_decay * p)


@register("lamb")
class LAMB(Optimizer):
    r"""LAMB, "Layer-wise Adaptive Moments for Batch training" (You et al., "Large Batch
    Optimization for Deep Learning: Training BERT in 76 minutes", ICLR 2020, Algorithm 2).

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, maximize=False.
    For each parameter tensor, t = its step count:

        g = -grad if maximize else grad
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2
        r = (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)
        u = r + weight_decay * p
        ratio = ||p|| / ||u||  (1 if either norm is 0)
        p = p - lr * ratio * u

    As the paper: bias correction on, eps outside the square root, phi(z) = z (no clamp of
    the weight norm, unlike NVIDIA's/apex's and some ports that clamp it to [0, 10]), and the
    trust ratio is applied to every tensor in the group (exempt biases and norms with
    parameter groups, e.g. optim.param_groups_weight_decay). Unlike the common ports, the
    norms come from the same pass that updates m and v, and grads are not pre-normalised.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
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
        return {"exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        beta1, beta2 = group["betas"]
        t = run.step
        s = run.scalar
        _lamb_kernel(
            run.param, run.grad, run.state["exp_avg"], run.state["exp_avg_sq"],
            run.offsets(), CHUNK, s(-1.0 if group["maximize"] else 1.0),
            s(beta1), s(1.0 - beta1), s(beta2), s(1.0 - beta2),
            s(1.0 / (1.0 - beta1**t)), s(1.0 / math.sqrt(1.0 - beta2**t)), s(group["eps"]),
            s(group["weight_decay"]), float(group["lr"]),
        )  # fmt: skip
