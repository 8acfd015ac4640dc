"""Adafactor (Shazeer & Stern, 2018) with PyTorch's semantics: factored second moments."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numba
import numpy as np

from .adafactor_kernel import adafactor_kernel
from .flat_buffer import FlatBuffer, Run
from .optimizer import Optimizer, check_number
from .registry import register
from .segments import CHUNK

_FACTORED_STATE = ("row_var", "col_var")


def _applies(name: str, shape: tuple[int, ...]) -> bool:
    """PyTorch keeps row_var/col_var for tensors of >= 2 dims and variance for the rest."""
    return (name in _FACTORED_STATE) == (len(shape) > 1)


@register("adafactor")
class Adafactor(Optimizer):
    r"""Adafactor, as torch.optim.Adafactor (Shazeer & Stern, "Adafactor: Adaptive Learning
    Rates with Sublinear Memory Cost", ICML 2018).

    Defaults: lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3) (eps1 None means the dtype's
    machine epsilon), d=1.0, weight_decay=0.0, maximize=False. For each tensor, t = its step
    count; a tensor of >= 2 dims is factored over its last two (R x C), the rest is batch:

        g = -grad if maximize else grad
        beta2_t = 1 - t**beta2_decay;  rho_t = min(lr, 1 / sqrt(t))
        alpha_t = max(eps2, RMS(p)) * rho_t
        p = p * (1 - lr * weight_decay)
        if factored:
            row_var = beta2_t * row_var + (1 - beta2_t) * mean(g**2, over columns)
            col_var = beta2_t * col_var + (1 - beta2_t) * mean(g**2, over rows)
            v_hat = row_var * col_var / max(mean(row_var), eps1)
        else:
            variance = beta2_t * variance + (1 - beta2_t) * g**2;  v_hat = variance
        u = g / max(sqrt(v_hat), eps1)
        p = p - alpha_t / max(1, RMS(u) / d) * u

    As PyTorch (and unlike the paper): lr caps rho_t (the paper uses 0.01) and scales the
    decoupled weight decay, eps1 is applied to v_hat and u instead of to g**2, and the
    factors are means rather than sums. There is no first moment (the paper's beta1 = 0).
    `foreach` is accepted for PyTorch compatibility and ignored (one kernel does every
    tensor). Deviation: a tensor with no elements is left as it is (PyTorch fills its
    statistics with NaN from 0/0).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, beta2_decay=beta2_decay, eps=tuple(eps) if isinstance(eps, list) else eps,
            d=d, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
        )  # fmt: skip
        self._layouts: dict[tuple[int, int, int], np.ndarray] = {}
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        check_number("beta2_decay", group["beta2_decay"], high=0.0)
        eps = group["eps"]
        if not isinstance(eps, tuple) or len(eps) != 2:
            raise ValueError(f"Invalid eps: {eps!r}; expected a pair (eps1 or None, eps2)")
        if eps[0] is not None:
            check_number("eps1 (eps[0])", eps[0], low=0.0)
        check_number("eps2 (eps[1])", eps[1], low=0.0)
        check_number("d", group["d"], low=1.0)
        check_number("weight_decay", group["weight_decay"], low=0.0)

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"row_var": 0.0, "col_var": 0.0, "variance": 0.0}

    def _state_shape(self, name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
        if not _applies(name, shape):
            return (0,)  # an empty placeholder keeps the flat layout uniform
        if name == "row_var":
            return shape[:-1] + (1,)
        if name == "col_var":
            return shape[:-2] + (1, shape[-1])
        return shape

    def _refresh_state_views(self, buffer: FlatBuffer) -> None:
        super()._refresh_state_views(buffer)
        for p, shape in zip(buffer.params, buffer.shapes):
            entry = self.state[p]
            for name in [n for n in entry if n != "step" and not _applies(n, shape)]:
                del entry[name]

    def state_dict(self) -> dict[str, Any]:
        """As the base, but each tensor lists only the statistics PyTorch keeps for it."""
        visible = self.state
        self.state = {}  # the base reads every named state; give it the placeholders too
        for buffer in self.flat_buffers():
            for i, p in enumerate(buffer.params):
                entry = {"step": buffer.step_view(i)}
                for name, views in buffer.state_views.items():
                    entry[name] = views[i]
                self.state[p] = entry
        try:
            saved = super().state_dict()
        finally:
            self.state = visible
        shapes = [tuple(p.data.shape) for g in self.param_groups for p in g["params"]]
        for index, entry in saved["state"].items():
            for name in [n for n in entry if n != "step" and not _applies(n, shapes[index])]:
                del entry[name]
        return saved

    def _layout(self, run: Run) -> np.ndarray:
        """The kernel's per-tensor table for this run (cached: shapes never change)."""
        key = (id(run.buffer), run.first, run.last)
        layout = self._layouts.get(key)
        if layout is None:
            offsets = run.offsets()
            row_off, col_off = run.offsets("row_var"), run.offsets("col_var")
            var_off = run.offsets("variance")
            layout = np.zeros((len(run.shapes), 8), dtype=np.int64)
            for k, shape in enumerate(run.shapes):
                factored = len(shape) > 1
                size = math.prod(shape)
                rows, cols = (shape[-2], shape[-1]) if factored else (1, size)
                batch = math.prod(shape[:-2]) if factored else 1
                layout[k] = (offsets[k], factored, batch, rows, cols,
                             row_off[k], col_off[k], var_off[k])  # fmt: skip
            self._layouts[key] = layout
        return layout

    def _update(self, group: dict[str, Any], run: Run) -> None:
        lr, t = group["lr"], run.step
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(run.dtype).eps)
        s = run.scalar
        adafactor_kernel(
            run.param, run.grad,
            run.state["row_var"], run.state["col_var"], run.state["variance"],
            self._layout(run), CHUNK, max(8, 2 * numba.get_num_threads()),
            numba.get_num_threads(),
            s(-1.0 if group["maximize"] else 1.0), s(float(t) ** group["beta2_decay"]),
            float(min(lr, 1.0 / math.sqrt(t))), s(eps1), float(eps2), float(group["d"]),
            s(1.0 - lr * group["weight_decay"]),
        )  # fmt: skip


