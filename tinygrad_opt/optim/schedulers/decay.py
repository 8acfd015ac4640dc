"""Chainable decay schedules: StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR,
PolynomialLR.

Each states its closed form (PyTorch's documented formula, used for every step while the
scheduler alone drives the lr) and PyTorch's chainable per-step update (used when another
scheduler shares the optimizer); see `base.py` for how the two are chosen.
"""

from __future__ import annotations

import bisect
from typing import Any

from .base import LRScheduler, check_int, check_real


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (step // step_size).

    PyTorch's defaults (gamma=0.1). Deviation: step_size must be an int >= 1 and gamma > 0
    (PyTorch does not check).
    """

    _chainable = True

    def __init__(
        self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = check_int("step_size", step_size, 1)
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [base * self.gamma ** (step // self.step_size) for base in self.base_lrs]

    def _chained(self, lr: float, i: int, step: int) -> float:
        if step == 0 or step % self.step_size != 0:
            return lr
        return lr * self.gamma


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones <= step); a repeated milestone counts twice.

    Deviation: `milestones` is kept as a sorted list (PyTorch: a Counter) so the state dict
    is plain data; milestones must be ints >= 0 and gamma > 0.
    """

    _chainable = True

    def __init__(
        self, optimizer: Any, milestones: Any, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        try:
            items = list(milestones)
        except TypeError:
            raise TypeError(f"milestones must be a list of ints, got {milestones!r}") from None
        self.milestones = sorted(check_int("milestones[i]", m, 0) for m in items)
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        passed = bisect.bisect_right(self.milestones, step)
        return [base * self.gamma**passed for base in self.base_lrs]

    def _chained(self, lr: float, i: int, step: int) -> float:
        hits = self.milestones.count(step)
        return lr * self.gamma**hits if hits else lr

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Also accepts PyTorch's form of `milestones`, a {milestone: count} mapping."""
        milestones = state_dict.get("milestones") if isinstance(state_dict, dict) else None
        if isinstance(milestones, dict):
            expanded = sorted(int(m) for m, count in milestones.items() for _ in range(count))
            state_dict = dict(state_dict, milestones=expanded)
        super().load_state_dict(state_dict)


class ConstantLR(LRScheduler):
    """lr = base_lr * factor for step < total_iters, then base_lr.

    PyTorch's defaults (factor=1/3, total_iters=5). Deviation: total_iters must be an int >= 0.
    """

    _chainable = True

    def __init__(
        self,
        optimizer: Any,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0.0 <= check_real("factor", factor) <= 1.0:
            raise ValueError(
                f"Constant multiplicative factor expected to be between 0 and 1, got {factor}"
            )
        self.factor = float(factor)
        self.total_iters = check_int("total_iters", total_iters, 0)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        scale = self.factor if step < self.total_iters else 1.0
        return [base * scale for base in self.base_lrs]

    def _chained(self, lr: float, i: int, step: int) -> float:
        if step == 0:
            return lr * self.factor
        if step != self.total_iters or self.factor == 0.0:
            # factor 0 cannot be undone by division; PyTorch would raise ZeroDivisionError
            return lr
        return lr * (1.0 / self.factor)


class LinearLR(LRScheduler):
    """lr = base_lr * (start + (end - start) * min(step, total_iters) / total_iters).

    PyTorch's defaults (start_factor=1/3, end_factor=1.0, total_iters=5).
    Deviation: total_iters must be an int >= 1.
    """

    _chainable = True
    _resume_keeps_lr = True

    def __init__(
        self,
        optimizer: Any,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0.0 < check_real("start_factor", start_factor) <= 1.0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                f"equal to 1, got start_factor={start_factor}"
            )
        if not 0.0 <= check_real("end_factor", end_factor) <= 1.0:
            raise ValueError(
                f"Ending multiplicative factor expected to be between 0 and 1, got "
                f"end_factor={end_factor}"
            )
        self.start_factor = float(start_factor)
        self.end_factor = float(end_factor)
        self.total_iters = check_int("total_iters", total_iters, 1)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        done = min(step, self.total_iters) / self.total_iters
        scale = self.start_factor + (self.end_factor - self.start_factor) * done
        return [base * scale for base in self.base_lrs]

    def _chained(self, lr: float, i: int, step: int) -> float:
        if step == 0:
            return lr * self.start_factor
        if step > self.total_iters:
            return lr
        slope = self.end_factor - self.start_factor
        return lr * (1.0 + slope / (self.total_iters * self.start_factor + (step - 1) * slope))


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** step. Deviation: gamma must be > 0."""

    _chainable = True
    _resume_keeps_lr = True

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [base * self.gamma**step for base in self.base_lrs]

    def _chained(self, lr: float, i: int, step: int) -> float:
        return lr if step == 0 else lr * self.gamma


class PolynomialLR(LRScheduler):
    """lr = base_lr * (1 - min(step, total_iters) / total_iters) ** power.

    PyTorch's defaults (total_iters=5, power=1.0). Deviation: total_iters must be an
    int >= 1 and power >= 0.
    """

    _chainable = True
    _resume_keeps_lr = True

    def __init__(
        self, optimizer: Any, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters = check_int("total_iters", total_iters, 1)
        self.power = check_real("power", power, low=0.0)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        scale = (1.0 - min(step, self.total_iters) / self.total_iters) ** self.power
        return [base * scale for base in self.base_lrs]

    def _chained(self, lr: float, i: int, step: int) -> float:
        if step == 0 or step > self.total_iters:
            return lr
        t = self.total_iters
        return lr * ((1.0 - step / t) / (1.0 - (step - 1) / t)) ** self.power
