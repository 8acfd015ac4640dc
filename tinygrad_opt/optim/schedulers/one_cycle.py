"""OneCycleLR: Smith & Topin, "Super-Convergence" (2018), with PyTorch's arguments and
fastai's two-phase default.

With total T = total_steps (or epochs * steps_per_epoch) and p = pct_start:
- two phases: initial_lr -> max_lr over steps [0, p*T - 1], then max_lr -> min_lr until T - 1;
- three_phase: initial_lr -> max_lr until p*T - 1, back to initial_lr until 2*p*T - 2,
  then initial_lr -> min_lr until T - 1;
where initial_lr = max_lr / div_factor and min_lr = initial_lr / final_div_factor, each
phase annealed by cosine `end + (start - end) / 2 * (1 + cos(pi * pct))` or linearly.
Momentum (or Adam's beta1) moves the opposite way between max_momentum and base_momentum.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .base import LRScheduler, check_optimizer, check_real, per_group
from .momentum import get_momentum, set_momentum, uses_beta1


def anneal(start: float, end: float, pct: float, strategy: str) -> float:
    """Value `pct` of the way from `start` to `end`, by cosine or linear interpolation."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)
    return (end - start) * pct + start


def _positive_int(name: str, value: Any) -> int:
    """`value` as an int >= 1, or PyTorch's ValueError (also for a non-int, e.g. 2.0)."""
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not integral or value <= 0:
        raise ValueError(f"Expected positive integer {name}, but got {value!r}")
    return int(value)


class OneCycleLR(LRScheduler):
    """The 1cycle policy, stepped once per batch; not chainable.

    PyTorch's defaults: pct_start=0.3, anneal_strategy='cos', cycle_momentum=True,
    base_momentum=0.85, max_momentum=0.95, div_factor=25, final_div_factor=1e4,
    three_phase=False. Writes `initial_lr`, `max_lr`, `min_lr` (and `max_momentum`,
    `base_momentum`) into each param group, as PyTorch. Stepping past total_steps raises
    ValueError. Deviations: a phase of zero length (e.g. pct_start * total_steps == 1) counts
    as already finished instead of dividing by zero; max_lr must be >= 0 and div_factor,
    final_div_factor > 0.
    """

    def __init__(
        self,
        optimizer: Any,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        check_optimizer(optimizer)
        if total_steps is not None:
            self.total_steps = _positive_int("total_steps", total_steps)
        elif epochs is None or steps_per_epoch is None:
            raise ValueError(
                "You must define either total_steps OR (epochs AND steps_per_epoch)"
            )
        else:
            self.total_steps = _positive_int("epochs", epochs) * _positive_int(
                "steps_per_epoch", steps_per_epoch
            )
        self.pct_start = check_real("pct_start", pct_start, 0.0, 1.0)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy!r}"
            )
        self.anneal_strategy = anneal_strategy
        div_factor = check_real("div_factor", div_factor, low=0.0, low_open=True)
        final_div_factor = check_real("final_div_factor", final_div_factor, 0.0, low_open=True)
        max_lrs = [
            check_real(f"max_lr[{i}]", v, low=0.0)
            for i, v in enumerate(per_group("max_lr", optimizer, max_lr))
        ]
        self.three_phase = bool(three_phase)
        self.cycle_momentum = bool(cycle_momentum)
        self.use_beta1 = uses_beta1(optimizer) if self.cycle_momentum else False
        if self.cycle_momentum:
            max_moms = per_group("max_momentum", optimizer, max_momentum)
            base_moms = per_group("base_momentum", optimizer, base_momentum)
            max_moms = [check_real(f"max_momentum[{i}]", m) for i, m in enumerate(max_moms)]
            base_moms = [check_real(f"base_momentum[{i}]", m) for i, m in enumerate(base_moms)]
        if last_epoch != -1:
            missing = [
                i
                for i, g in enumerate(optimizer.param_groups)
                if not {"initial_lr", "max_lr", "min_lr"} <= set(g)
            ]
            if missing:
                raise ValueError(
                    f"OneCycleLR resumed with last_epoch={last_epoch} needs 'initial_lr', "
                    f"'max_lr' and 'min_lr' in param_groups {missing}: load the optimizer "
                    "state first or use last_epoch=-1"
                )
        # all checks passed: now write into the optimizer
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
            if self.cycle_momentum:
                for group, top, low in zip(optimizer.param_groups, max_moms, base_moms):
                    set_momentum(group, top, self.use_beta1)
                    group["max_momentum"] = top
                    group["base_momentum"] = low
        self._schedule_phases = self._phases()
        self._last_momentum = None
        super().__init__(optimizer, last_epoch)

    def _phases(self) -> list[dict[str, Any]]:
        n, p = self.total_steps, self.pct_start
        if self.three_phase:
            return [
                dict(end_step=float(p * n) - 1, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=float(2 * p * n) - 2, start_lr="max_lr", end_lr="initial_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum"),
                dict(end_step=n - 1, start_lr="initial_lr", end_lr="min_lr",
                     start_momentum="max_momentum", end_momentum="max_momentum"),
            ]  # fmt: skip
        return [
            dict(end_step=float(p * n) - 1, start_lr="initial_lr", end_lr="max_lr",
                 start_momentum="max_momentum", end_momentum="base_momentum"),
            dict(end_step=n - 1, start_lr="max_lr", end_lr="min_lr",
                 start_momentum="base_momentum", end_momentum="max_momentum"),
        ]  # fmt: skip

    def _position(self, step: int) -> tuple[dict[str, Any], float]:
        """The phase holding `step` and the fraction of it already done."""
        if step > self.total_steps:
            raise ValueError(
                f"Tried to step {step} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        start = 0.0
        phases = self._schedule_phases
        for i, phase in enumerate(phases):
            end = phase["end_step"]
            if step <= end or i == len(phases) - 1:
                pct = 1.0 if end == start else (step - start) / (end - start)
                return phase, pct
            start = end
        raise AssertionError("unreachable: the last phase always matches")

    def lr_at(self, step: int) -> list[float]:
        phase, pct = self._position(step)
        return [
            anneal(g[phase["start_lr"]], g[phase["end_lr"]], pct, self.anneal_strategy)
            for g in self.optimizer.param_groups
        ]

    def momentum_at(self, step: int) -> list[float]:
        """The cycled momentum (or beta1) of every group at `step`."""
        phase, pct = self._position(step)
        return [
            anneal(
                g[phase["start_momentum"]], g[phase["end_momentum"]], pct, self.anneal_strategy
            )
            for g in self.optimizer.param_groups
        ]

    def _after_step(self, step: int) -> None:
        if not self.cycle_momentum:
            return
        groups = self.optimizer.param_groups
        for group, momentum in zip(groups, self.momentum_at(step)):
            set_momentum(group, momentum, self.use_beta1)
        self._last_momentum = [get_momentum(g, self.use_beta1) for g in groups]

    def _restore_optimizer(self) -> None:
        super()._restore_optimizer()
        if self.cycle_momentum and self._last_momentum is not None:
            for group, momentum in zip(self.optimizer.param_groups, self._last_momentum):
                set_momentum(group, momentum, self.use_beta1)
