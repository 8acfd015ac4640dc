"""Cosine annealing: CosineAnnealingLR and CosineAnnealingWarmRestarts (SGDR).

Both follow Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts"
(2017), with PyTorch's arguments:
    lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T)) / 2
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .base import LRScheduler, check_int, check_real


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _cosine(base: float, eta_min: float, t: float, period: float) -> float:
    return eta_min + (base - eta_min) * (1.0 + math.cos(math.pi * t / period)) / 2.0


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2.

    Like PyTorch, the curve is periodic: past T_max the lr rises again (period 2 * T_max).
    Chainable as in PyTorch. Deviation: T_max must be an int >= 1.
    """

    _chainable = True
    _resume_keeps_lr = True

    def __init__(
        self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = check_int("T_max", T_max, 1)
        self.eta_min = check_real("eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [_cosine(base, self.eta_min, step, self.T_max) for base in self.base_lrs]

    def _chained(self, lr: float, i: int, step: int) -> float:
        # PyTorch's recursive form; the middle branch avoids 0/0 at the bottom of a period
        base, t_max, eta_min = self.base_lrs[i], self.T_max, self.eta_min
        if step == 0:
            return lr
        if (step - 1 - t_max) % (2 * t_max) == 0:
            return lr + (base - eta_min) * (1.0 - math.cos(math.pi / t_max)) / 2.0
        ratio = (1.0 + math.cos(math.pi * step / t_max)) / (
            1.0 + math.cos(math.pi * (step - 1) / t_max)
        )
        return ratio * (lr - eta_min) + eta_min


def restart_position(epoch: float, T_0: int, T_mult: int) -> tuple[float, int]:
    """(T_cur, T_i): the position inside the current period and that period's length.

    Periods are T_0, T_0*T_mult, T_0*T_mult**2, ... Deviation: PyTorch finds the period
    with a floating-point log, which can land one period early exactly at a restart when
    T_mult > 1 (e.g. T_0=1, T_mult=10, epoch=111 gives eta_min instead of
    restarting at base_lr); here the integer period starts are summed.
    """
    if T_mult == 1:
        return epoch % T_0, T_0
    start, length = 0, T_0
    while epoch >= start + length:
        start += length
        length *= T_mult
    return epoch - start, length


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing restarted every T_i steps: T_0 first, then multiplied by T_mult.

    lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2. `step()` advances
    by one; `step(epoch)` accepts a fractional epoch (e.g. `epoch + i / iters` per batch),
    as PyTorch. Not chainable (PyTorch's is not either). Deviation: building it with
    `last_epoch=k >= 0` places it at step k + 1 by the closed form (PyTorch increments a
    counter that ignores the restarts before k).
    """

    def __init__(
        self,
        optimizer: Any,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if not _is_int(T_0) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0!r}")
        if not _is_int(T_mult) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult!r}")
        self.T_0 = int(T_0)
        self.T_i = int(T_0)
        self.T_mult = int(T_mult)
        if isinstance(eta_min, bool) or not isinstance(eta_min, numbers.Real):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min!r} of type {type(eta_min)}"
            )
        self.eta_min = check_real("eta_min", eta_min)
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: float) -> list[float]:
        t_cur, t_i = restart_position(step, self.T_0, self.T_mult)
        return [_cosine(base, self.eta_min, t_cur, t_i) for base in self.base_lrs]

    def _initial_step(self) -> None:
        self._step_count = 0
        self.step(0 if self.last_epoch < 0 else self.last_epoch + 1)

    def step(self, epoch: float | None = None) -> None:
        """One step forward, or jump to `epoch` (may be fractional; must be >= 0)."""
        if epoch is None:
            epoch = self.last_epoch + 1
            t_cur, t_i = self.T_cur + 1, self.T_i
            if t_cur >= t_i:
                t_cur, t_i = t_cur - t_i, t_i * self.T_mult
        else:
            epoch = check_real("epoch", epoch)
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            t_cur, t_i = restart_position(epoch, self.T_0, self.T_mult)
        # whole-number epochs stay ints so the state dict and T_cur are exact integers
        if float(t_cur).is_integer():
            t_cur = int(t_cur)
        self.T_cur, self.T_i = t_cur, t_i
        self.last_epoch = math.floor(epoch)
        self._step_count += 1
        self._set_lrs([_cosine(b, self.eta_min, t_cur, t_i) for b in self.base_lrs])
