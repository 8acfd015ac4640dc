"""SparseAdam: Adam that updates only the embedding rows a step's lookups touched."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numba import prange

from .. import sparse_rows
from ..jit import kernel
from .flat_buffer import Run
from .optimizer import Optimizer, check_betas, check_number
from .registry import register

DENSE_GRADIENT = "SparseAdam does not support dense gradients, please consider Adam instead"


@kernel
def _sparse_adam_kernel(
    param, grad, exp_avg, exp_avg_sq, starts, widths,
    sign, one_minus_beta1, one_minus_beta2, step_size, eps,
):  # fmt: skip
    """One SparseAdam step in place over the segments param[starts[s]:starts[s] + widths[s]]
    (the touched rows); scalars are in the arrays' dtype. The moments move toward g by
    (1 - beta) times their distance, as PyTorch writes it: m += (1 - beta1) * (g - m)."""
    for s in prange(starts.size):
        lo = starts[s]
        hi = lo + widths[s]
        ps, gs = param[lo:hi], grad[lo:hi]
        ms, vs = exp_avg[lo:hi], exp_avg_sq[lo:hi]
        for j in range(ps.size):
            g = sign * gs[j]
            m = ms[j] + (g - ms[j]) * one_minus_beta1
            v = vs[j] + (g * g - vs[j]) * one_minus_beta2
            ms[j] = m
            vs[j] = v
            ps[j] = ps[j] - step_size * (m / (math.sqrt(v) + eps))


@kernel
def _gradient_outside(grad, rows):
    """Whether any row of the 2-D `grad` not in the sorted `rows` holds a nonzero (or NaN)
    entry: a dense op added to the gradient too (e.g. a tied output layer). Counted without
    an early exit, so the inner loop vectorises (a break per row ran ~6x slower)."""
    n = grad.shape[0]
    chunks = 64
    found = 0
    for c in prange(chunks):
        lo = c * n // chunks
        i = np.searchsorted(rows, lo)  # walks along with r: rows are sorted
        count = 0
        for r in range(lo, (c + 1) * n // chunks):
            if i < rows.size and rows[i] == r:
                i += 1
                continue
            row = grad[r]
            for j in range(row.size):
                count += row[j] != 0
        found += count
    return found > 0


@register("sparseadam")
class SparseAdam(Optimizer):
    r"""SparseAdam, as torch.optim.SparseAdam: the "lazy" Adam for embedding tables, where
    only the moments of the rows that appear in the gradient move, and only those rows of
    the parameters (Kingma & Ba, ICLR 2015, applied per touched row).

    Defaults: lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False. For each parameter,
    t = its step count (every step it has a gradient), and for each row r looked up since the
    gradient was last reset (padding_idx left out):

        g = -grad[r] if maximize else grad[r]
        m[r] = m[r] + (1 - beta1) * (g - m[r])          # exp_avg
        v[r] = v[r] + (1 - beta2) * (g**2 - v[r])       # exp_avg_sq
        p[r] = p[r] - lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m[r] / (sqrt(v[r]) + eps)

    Unlike Adam, eps is added to sqrt(v) before the bias correction, and rows not looked up
    keep their moments (Adam decays every moment every step).

    Every parameter with a gradient must get it from `nn.Embedding(sparse=True)` or
    `nn.EmbeddingBag(sparse=True)` (or their functional forms) alone: gradients here are
    dense arrays, and those layers record which rows they touched
    (tinygrad_opt/sparse_rows.py). Any other gradient, or one a dense op added to (a weight
    tied to an output layer: PyTorch's sum of a sparse and a dense gradient is dense),
    raises PyTorch's RuntimeError before any parameter changes; checking for the latter
    reads the gradient once.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
        *,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
            maximize=maximize,
        )  # fmt: skip
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        # PyTorch: 0 < lr and 0 < eps (Adam allows 0 for both)
        check_number("learning rate", group["lr"], low=0.0, low_open=True)
        check_number("epsilon value", group["eps"], low=0.0, low_open=True)
        check_betas(group["betas"])

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"exp_avg": 0.0, "exp_avg_sq": 0.0}

    def _check_gradients(self) -> None:
        """Every gradient must come from sparse lookups alone (see the class docstring)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if not sparse_rows.has(p) or (
                    p.grad.ndim == 2 and _gradient_outside(p.grad, sparse_rows.rows(p))
                ):
                    raise RuntimeError(DENSE_GRADIENT)

    def _update(self, group: dict[str, Any], run: Run) -> None:
        beta1, beta2 = group["betas"]
        offsets = run.offsets()
        starts, widths = [], []
        for k, p in enumerate(run.buffer.params[run.first : run.last]):
            rows = sparse_rows.rows(p)
            width = math.prod(run.shapes[k][1:]) if len(run.shapes[k]) > 1 else 1
            starts.append(offsets[k] + rows * width)
            widths.append(np.full(rows.size, width, dtype=np.int64))
        starts = np.concatenate(starts).astype(np.int64, copy=False)
        t = run.step
        step_size = group["lr"] * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
        s = run.scalar
        _sparse_adam_kernel(
            run.param, run.grad, run.state["exp_avg"], run.state["exp_avg_sq"],
            starts, np.concatenate(widths), s(-1.0 if group["maximize"] else 1.0),
            s(1.0 - beta1), s(1.0 - beta2), s(step_size), s(group["eps"]),
        )  # fmt: skip
