"""SGD with momentum, dampening, Nesterov and weight decay, with PyTorch's semantics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numba import prange

from ..jit import kernel
from ..tensor import Tensor
from .flat_buffer import FlatBuffer, Run
from .optimizer import Optimizer, check_number
from .registry import register


@kernel
def _sgd_kernel(param, grad, sign, lr, weight_decay):
    """Plain SGD step in place: p -= lr * (sign * grad + weight_decay * p)."""
    for i in prange(param.size):
        p = param[i]
        param[i] = p - lr * (sign * grad[i] + weight_decay * p)


@kernel
def _sgd_momentum_kernel(
    param, grad, buf, sign, lr, weight_decay, momentum, one_minus_dampening, nesterov, first
):
    """SGD-with-momentum step in place; `first` makes the buffer the gradient itself."""
    n = param.size
    if first:
        for i in prange(n):
            p = param[i]
            g = sign * grad[i] + weight_decay * p
            buf[i] = g
            d = g + momentum * g if nesterov else g
            param[i] = p - lr * d
    else:
        for i in prange(n):
            p = param[i]
            g = sign * grad[i] + weight_decay * p
            b = momentum * buf[i] + one_minus_dampening * g
            buf[i] = b
            d = g + momentum * b if nesterov else b
            param[i] = p - lr * d


@register("sgd")
class SGD(Optimizer):
    r"""Stochastic gradient descent, as torch.optim.SGD (Nesterov: Sutskever et al., 2013).

    Defaults: lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
    maximize=False. For each parameter, t = its step count (from 1):

        g = -grad if maximize else grad
        g = g + weight_decay * p
        if momentum != 0:
            b = g if t == 1 else momentum * b + (1 - dampening) * g   # momentum_buffer
            g = g + momentum * b if nesterov else b
        p = p - lr * g

    As PyTorch's implementation, `maximize` negates the gradient before weight decay. The
    momentum buffer exists only when momentum != 0 (as PyTorch, where it would be None), and
    a parameter's first momentum step sets it to the gradient, also when momentum is
    switched on after some steps. state['step'] is kept (PyTorch's SGD keeps none). A
    state_dict saves a buffer not yet started as None (PyTorch has none yet), so it loads
    as not started.

    `foreach` and `fused` are accepted so torch code ports unchanged, and ignored: every
    step is already one fused kernel per run of parameters.
    """

    _optional_state = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
        skip_nonfinite: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
            nesterov=nesterov, maximize=maximize,
        )  # fmt: skip
        # per FlatBuffer (by id): which parameters have had their first momentum step. All
        # False when _ensure_state creates the buffer; after load_state_dict, True where the
        # loaded state holds a buffer (saved as None while not started).
        self._momentum_started: dict[int, np.ndarray] = {}
        super().__init__(params, defaults, skip_nonfinite=skip_nonfinite)

    def _ensure_state(self, group: dict[str, Any], buffers: list[FlatBuffer]) -> None:
        new = [b for b in buffers if group["momentum"] != 0 and "momentum_buffer" not in b.state]
        super()._ensure_state(group, buffers)
        for buffer in new:
            self._momentum_started[id(buffer)] = np.zeros(len(buffer.params), dtype=bool)

    def _started(self, p: Tensor) -> bool:
        buffer, i = self._slot[p]
        started = self._momentum_started.get(id(buffer))
        return bool(buffer.steps[i] > 0 if started is None else started[i])

    def state_dict(self) -> dict[str, Any]:
        state_dict = super().state_dict()
        params = [p for group in self.param_groups for p in group["params"]]
        for index, p in enumerate(params):
            entry = state_dict["state"][index]
            if "momentum_buffer" in entry and not self._started(p):
                entry["momentum_buffer"] = None  # as PyTorch: no buffer before its first step
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        # started where the loaded state holds a buffer (None or absent: not yet)
        saved_state = state_dict["state"]
        self._momentum_started.clear()
        for group, saved in zip(self.param_groups, state_dict["param_groups"]):
            for p, index in zip(group["params"], saved["params"]):
                entry = saved_state.get(index, saved_state.get(str(index)))
                buffer, i = self._slot[p]
                flags = self._momentum_started.setdefault(
                    id(buffer), np.zeros(len(buffer.params), dtype=bool)
                )
                flags[i] = isinstance(entry, dict) and entry.get("momentum_buffer") is not None

    def _check_group(self, group: dict[str, Any]) -> None:
        check_number("lr", group["lr"], low=0.0)
        check_number("momentum", group["momentum"], low=0.0)
        check_number("dampening", group["dampening"])
        check_number("weight_decay", group["weight_decay"], low=0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum > 0 and zero dampening, got "
                f"momentum={group['momentum']} and dampening={group['dampening']}"
            )

    def _state_init(self, group: dict[str, Any]) -> dict[str, float]:
        return {"momentum_buffer": 0.0} if group["momentum"] != 0 else {}

    def _update(self, group: dict[str, Any], run: Run) -> None:
        s = run.scalar
        sign = s(-1.0 if group["maximize"] else 1.0)
        if group["momentum"] == 0:
            _sgd_kernel(run.param, run.grad, sign, s(group["lr"]), s(group["weight_decay"]))
            return
        buffer = run.buffer
        started = self._momentum_started.get(id(buffer))
        if started is None:  # not made by _ensure_state nor loaded: a step means started
            started = buffer.steps > 0
            self._momentum_started[id(buffer)] = started
        flags = started[run.first : run.last]
        if flags.all() or not flags.any():  # the usual case: one kernel call, checked in C
            parts = [(run, not flags[0])]
        else:  # parameters that started their buffers at different steps: split the run
            edges = [run.first, *(run.first + np.flatnonzero(np.diff(flags)) + 1), run.last]
            parts = [(buffer._run(a, b), not started[a]) for a, b in zip(edges, edges[1:])]
        for part, first in parts:
            _sgd_momentum_kernel(
                part.param, part.grad, part.state["momentum_buffer"], sign, s(group["lr"]),
                s(group["weight_decay"]), s(group["momentum"]), s(1.0 - group["dampening"]),
                bool(group["nesterov"]), bool(first),
            )  # fmt: skip
        flags[:] = True
