"""CyclicLR: Smith, "Cyclical Learning Rates for Training Neural Networks" (2017), with
PyTorch's arguments.

With total = step_size_up + step_size_down and ratio = step_size_up / total:
    cycle = floor(1 + step / total);  x = 1 + step / total - cycle
    scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)        (0 -> 1 -> 0)
    lr = base_lr + (max_lr - base_lr) * scale * f(cycle or step)
    momentum = max_momentum - (max_momentum - base_momentum) * scale * f(...)
f is 1 ('triangular'), 1 / 2**(cycle - 1) ('triangular2'), gamma**step ('exp_range'), or a
user `scale_fn` evaluated on the cycle number or step as `scale_mode` says.
"""

from __future__ import annotations

import copy
import math
import types
from collections.abc import Callable
from typing import Any

from .base import LRScheduler, check_int, check_optimizer, check_real, per_group
from .momentum import set_momentum, uses_beta1

_MODES = ("triangular", "triangular2", "exp_range")


class CyclicLR(LRScheduler):
    """Cycle the lr between base_lr and max_lr, stepped once per batch; not chainable.

    PyTorch's defaults: step_size_up=2000, step_size_down=None (= up), mode='triangular',
    gamma=1.0, scale_mode='cycle', cycle_momentum=True, base_momentum=0.8, max_momentum=0.9.
    Building it sets each group's lr to base_lr (and, with cycle_momentum, the momentum to
    max_momentum and the keys `max_momentum`, `base_momentum`), as PyTorch; a group's
    `initial_lr` is only set if absent. A custom `scale_fn` that is a plain function is not
    saved in the state dict (PyTorch's rule); a callable object's `__dict__` is.
    Deviations: step sizes must be > 0, gamma > 0, scale_mode 'cycle' or 'iterations',
    base_lr and max_lr >= 0; the lr of the construction step uses base_lr (PyTorch's uses
    the groups' `initial_lr` there, which differs if another scheduler set it or when
    resuming with last_epoch=k).
    """

    _not_state = ("optimizer", "_scale_fn_custom", "_base_lr_floor")

    def __init__(
        self,
        optimizer: Any,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        check_optimizer(optimizer)
        check_int("last_epoch", last_epoch, -1)
        base_lrs = [
            check_real(f"base_lr[{i}]", v, low=0.0)
            for i, v in enumerate(per_group("base_lr", optimizer, base_lr))
        ]
        self.max_lrs = [
            check_real(f"max_lr[{i}]", v, low=0.0)
            for i, v in enumerate(per_group("max_lr", optimizer, max_lr))
        ]
        up = check_real("step_size_up", step_size_up, low=0.0, low_open=True)
        down = up if step_size_down is None else check_real(
            "step_size_down", step_size_down, low=0.0, low_open=True
        )
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in _MODES and scale_fn is None:
            raise ValueError(
                f"mode must be one of {_MODES} when scale_fn is None, got {mode!r}"
            )
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn must be callable, got {scale_fn!r}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        self.mode = mode
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True)
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = bool(cycle_momentum)
        self.use_beta1 = uses_beta1(optimizer) if self.cycle_momentum else False
        if self.cycle_momentum:
            self.base_momentums = [
                check_real(f"base_momentum[{i}]", m)
                for i, m in enumerate(per_group("base_momentum", optimizer, base_momentum))
            ]
            self.max_momentums = [
                check_real(f"max_momentum[{i}]", m)
                for i, m in enumerate(per_group("max_momentum", optimizer, max_momentum))
            ]
        # all checks passed: now write into the optimizer (as PyTorch: the lr and momentum,
        # and initial_lr only where no earlier scheduler has set it)
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = lr
            if self.cycle_momentum:
                groups = optimizer.param_groups
                for group, top, low in zip(groups, self.max_momentums, self.base_momentums):
                    set_momentum(group, top, self.use_beta1)
                    group["max_momentum"] = top
                    group["base_momentum"] = low
        self._last_momentum = None
        self._base_lr_floor = base_lrs
        super().__init__(optimizer, last_epoch)

    def _initial_step(self) -> None:
        # base_lr, not the groups' initial_lr (which may be an earlier scheduler's), is the
        # floor of the cycle from the first step on
        self.base_lrs = list(self._base_lr_floor)
        super()._initial_step()

    def _init_scale_fn(self) -> None:
        # the built-in modes fix their scale_mode, as in PyTorch
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """The amplitude scaling of the current mode (or the user's scale_fn) at `x`."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def _shape(self, step: int) -> tuple[float, float]:
        """(scale in [0, 1] within the cycle, amplitude factor f) at `step`."""
        cycle = math.floor(1 + step / self.total_size)
        x = 1.0 + step / self.total_size - cycle
        if x <= self.step_ratio:
            scale = x / self.step_ratio
        else:
            scale = (x - 1) / (self.step_ratio - 1)
        amplitude = self.scale_fn(cycle if self.scale_mode == "cycle" else step)
        return scale, amplitude

    def lr_at(self, step: int) -> list[float]:
        scale, amplitude = self._shape(step)
        return [
            base + (top - base) * scale * amplitude
            for base, top in zip(self.base_lrs, self.max_lrs)
        ]

    def momentum_at(self, step: int) -> list[float]:
        """The cycled momentum (or beta1) of every group at `step` (cycle_momentum only)."""
        scale, amplitude = self._shape(step)
        return [
            top - (top - low) * scale * amplitude
            for low, top in zip(self.base_momentums, self.max_momentums)
        ]

    def _after_step(self, step: int) -> None:
        if not self.cycle_momentum:
            return
        self._last_momentum = self.momentum_at(step)
        for group, momentum in zip(self.optimizer.param_groups, self._last_momentum):
            set_momentum(group, momentum, self.use_beta1)

    # -- state: the scale function is code, so only a callable object's attributes travel --
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        fn = self._scale_fn_custom
        custom = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            custom = copy.deepcopy(fn.__dict__)
        state["_scale_fn_custom"] = custom
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = self._checked_state(state_dict)
        custom = state.pop("_scale_fn_custom")
        if custom is not None and self._scale_fn_custom is None:
            raise ValueError(
                "CyclicLR.load_state_dict: the state holds a custom scale_fn's attributes "
                "but this scheduler was built without scale_fn"
            )
        self.__dict__.update(copy.deepcopy(state))
        if custom is not None:
            self._scale_fn_custom.__dict__.update(copy.deepcopy(custom))
        self._init_scale_fn()
        self._restore_optimizer()

    def _restore_optimizer(self) -> None:
        # the lrs only: base_lrs are this schedule's floors, not the groups' initial_lr
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr
        if self.cycle_momentum and self._last_momentum is not None:
            for group, momentum in zip(self.optimizer.param_groups, self._last_momentum):
                set_momentum(group, momentum, self.use_beta1)

