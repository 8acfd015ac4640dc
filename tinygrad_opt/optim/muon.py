"""Muon (Jordan et al., 2024): momentum orthogonalised by Newton-Schulz, for 2-D weights."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
from numba import prange

from ..jit import kernel
from .flat_buffer import Run
from .optimizer import Optimizer, check_number
from .registry import register

ADJUST_LR_FNS = (None, "original", "match_rms_adamw")
MAX_NS_STEPS = 100  # as PyTorch: ns_steps must be below this


@kernel
def _muon_momentum_kernel(grad, buf, update, momentum, one_minus_momentum, nesterov):
    """buf = lerp(buf, grad, 1 - momentum); update = lerp(grad, buf, momentum) if nesterov
    else buf, over the flat views of one matrix. Returns sum(update**2) in float64."""
    total = 0.0
    for i in prange(grad.size):
        g = grad[i]
        b = momentum * buf[i] + one_minus_momentum * g
        buf[i] = b
        u = one_minus_momentum * g + momentum * b if nesterov else b
        update[i] = u
        total += np.float64(u) * np.float64(u)
    return total


def orthogonalize(update: np.ndarray, coefficients, steps: int, eps: float, sum_sq: float):
    """Newton-Schulz iteration in place on `update` (rows <= cols; transpose a tall matrix
    first), started from update / max(||update||_F, eps); `sum_sq` is ||update||_F^2.
    Each step: A = X X^T, B = b A + c A^2, X = a X + B X. Returns X."""
    a, b, c = coefficients
    dtype = update.dtype.type
    # eps = 0 with a zero update is 0 / 0: NaN, as PyTorch (1.0 / 0.0 in Python would raise
    # mid-step, after the momentum buffer moved, also for a (0, n) matrix PyTorch accepts)
    with np.errstate(divide="ignore", invalid="ignore"):
        update /= dtype(max(math.sqrt(sum_sq), eps))
    rows = update.shape[0]
    gram = np.empty((rows, rows), dtype=update.dtype)
    poly = np.empty((rows, rows), dtype=update.dtype)
    product = np.empty_like(update)
    for _ in range(steps):
        np.matmul(update, update.T, out=gram)
        np.matmul(gram, gram, out=poly)
        poly *= dtype(c)
        gram *= dtype(b)
        poly += gram
        np.matmul(poly, update, out=product)
        update *= dtype(a)
        update += product
    return update


def adjusted_lr(lr: float, adjust_lr_fn: str | None, shape: tuple[int, int]) -> float:
    """lr scaled for a (A, B) matrix: sqrt(max(1, A / B)) ('original', the default) or
    0.2 * sqrt(max(A, B)) ('match_rms_adamw')."""
    rows, cols = shape
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr * math.sqrt(max(1.0, rows / cols)) if cols else lr


@register("muon")
class Muon(Optimizer):
    r"""Muon, "MomentUm Orthogonalized by Newton-Schulz" (Jordan et al., "Muon: An optimizer
    for hidden layers in neural networks", blog post, 2024), with the lr adjustment of Liu
    et al., "Muon is Scalable for LLM Training" (arXiv:2502.16982, 2025), as torch.optim.Muon.

    Defaults: lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
    ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None.
    Every parameter must be 2-D, shape (A, B):

        B_t = momentum * B_{t-1} + (1 - momentum) * g          # momentum_buffer (a lerp)
        U = (1 - momentum) * g + momentum * B_t if nesterov else B_t
        X = U / max(||U||_F, eps)       (transposed first if A > B, back after)
        repeat ns_steps times: S = X X^T; X = a X + (b S + c S^2) X
        p = p * (1 - lr * weight_decay)                      # decoupled, unadjusted lr
        p = p - lr * r * X,  r = sqrt(max(1, A / B))        ('original' or None)
                             r = 0.2 * sqrt(max(A, B))        ('match_rms_adamw')

    The buffer update is a lerp as in PyTorch's implementation (its documented pseudocode
    writes B_t = momentum * B_{t-1} + g). Deviations from PyTorch: Newton-Schulz runs in the
    parameter's dtype (float32 or float64, numpy BLAS) where PyTorch casts to bfloat16, so
    PyTorch's updates carry bfloat16 rounding (~2% of their norm measured on one step);
    ns_steps (an int in [0, 100)), ns_coefficients (three numbers) and eps >= 0 are checked
    when built (PyTorch: ns_steps and the coefficients at step, eps never); a non-2-D
    parameter is refused also by add_param_group (PyTorch: at step); state['step'] is
    kept (PyTorch keeps none). No `maximize`, as PyTorch. Use it for hidden-layer matrices
    only, and AdamW for biases, norms, embeddings and the output layer.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (3.4445, -4.775, 2.0315),
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
        *,
        skip_nonfinite: bool = False,
    ) -> None:
        if isinstance(ns_coefficients, list):
            ns_coefficients = tuple(ns_coefficients)
        defaults = dict(
            lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
            ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
            adjust_lr_fn=adjust_lr_fn,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        check_number("weight_decay", group["weight_decay"], low=0.0)
        check_number("momentum", group["momentum"], low=0.0)
        check_number("eps", group["eps"], low=0.0)
        steps = group["ns_steps"]
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
            raise TypeError(f"Invalid ns_steps: {steps!r}; expected an integer")
        if not 0 <= steps < MAX_NS_STEPS:
            raise ValueError(
                f"Invalid ns_steps: {steps}; expected 0 <= ns_steps < {MAX_NS_STEPS}"
            )
        coefficients = group["ns_coefficients"]
        if not isinstance(coefficients, (tuple, list)) or len(coefficients) != 3:
            raise ValueError(
                f"Invalid ns_coefficients: {coefficients!r}; expected three numbers (a, b, c)"
            )
        for name, value in zip("abc", coefficients):
            check_number(f"ns_coefficients {name}", value)
        if group["adjust_lr_fn"] not in ADJUST_LR_FNS:
            raise ValueError(
                f"Adjust learning rate function {group['adjust_lr_fn']} is not supported; "
                "expected None, 'original' or 'match_rms_adamw'"
            )
        for p in group["params"]:
            if p.data.ndim != 2:
                raise ValueError(
                    "Muon only supports 2D parameters whereas we found a parameter with "
                    f"size: {tuple(p.data.shape)}; optimize biases, norms and other "
                    "non-2-D parameters with another optimizer (e.g. AdamW)"
                )

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"momentum_buffer": 0.0}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        # Newton-Schulz needs a matmul per matrix: one parameter at a time, on its views
        buffer = run.buffer
        s = run.scalar
        momentum = group["momentum"]
        lr = group["lr"]
        decay = s(1.0 - lr * group["weight_decay"])
        coefficients = tuple(float(c) for c in group["ns_coefficients"])
        bufs = buffer.state_views["momentum_buffer"]
        for i in range(run.first, run.last):
            param, shape = buffer.data_views[i], buffer.shapes[i]
            update = np.empty(shape, dtype=buffer.dtype)
            sum_sq = _muon_momentum_kernel(
                buffer.grad_views[i].reshape(-1), bufs[i].reshape(-1), update.reshape(-1),
                s(momentum), s(1.0 - momentum), bool(group["nesterov"]),
            )  # fmt: skip
            tall = shape[0] > shape[1]
            ortho = orthogonalize(
                update.T if tall else update, coefficients, group["ns_steps"],
                float(group["eps"]), sum_sq,
            )  # fmt: skip
            ortho *= s(adjusted_lr(lr, group["adjust_lr_fn"], shape))
            param *= decay
            param -= ortho.T if tall else ortho
