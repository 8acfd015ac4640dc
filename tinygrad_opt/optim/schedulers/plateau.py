"""ReduceLROnPlateau: cut the lr by `factor` when a metric stops improving (PyTorch's rule).

Each `step(metric)`: the metric is better than `best` if, for mode 'min',
    rel: metric < best * (1 - threshold)        abs: metric < best - threshold
(mode 'max': metric > best * (1 + threshold) / metric > best + threshold). A better metric
becomes `best` and resets the count of bad epochs; otherwise the count grows. During
cooldown bad epochs are not counted. When the count exceeds `patience`, every group's lr
becomes max(lr * factor, min_lr) (skipped if the change is at most `eps`), cooldown starts
and the count resets.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from .base import LRScheduler, check_int, check_optimizer, check_real, per_group


class ReduceLROnPlateau(LRScheduler):
    """Reduce the lr when `step(metrics)` shows no improvement for `patience` epochs.

    PyTorch's defaults: mode='min', factor=0.1, patience=10, threshold=1e-4,
    threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8. `metrics` may be a float, a
    0-d array or a one-element Tensor. A NaN metric counts as not better (as PyTorch).
    Deviation: factor must be in [0, 1), patience and cooldown ints >= 0, and threshold,
    min_lr, eps >= 0.
    """

    def __init__(
        self,
        optimizer: Any,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        check_optimizer(optimizer)
        if check_real("factor", factor) >= 1.0:
            raise ValueError(f"Factor should be < 1.0, got {factor}")
        self.factor = check_real("factor", factor, low=0.0)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr = None
            values = per_group("min_lr", optimizer, min_lr)
            self.min_lrs = [check_real(f"min_lr[{i}]", v, low=0.0) for i, v in enumerate(values)]
        else:
            self.default_min_lr = check_real("min_lr", min_lr, low=0.0)
            self.min_lrs = [self.default_min_lr] * len(optimizer.param_groups)
        self.patience = check_int("patience", patience, 0)
        self.cooldown = check_int("cooldown", cooldown, 0)
        self.threshold = check_real("threshold", threshold, low=0.0)
        self.eps = check_real("eps", eps, low=0.0)
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown! Expected 'min' or 'max'")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"threshold mode {threshold_mode!r} is unknown! Expected 'rel' or 'abs'"
            )
        self.mode = mode
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = [float(g["lr"]) for g in optimizer.param_groups]
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric `a` improves on `best` under this mode and threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record one epoch's metric and reduce the lr if it has plateaued."""
        current = _as_float(metrics)
        epoch = self.last_epoch + 1 if epoch is None else check_int("epoch", epoch, 0)
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the optimizer ({len(groups)}) differs from "
                    f"when ReduceLROnPlateau was initialized ({len(self.min_lrs)}), usually "
                    "because a param group was added: set `min_lrs` to one value per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def lr_at(self, step: int) -> list[float]:
        raise NotImplementedError("ReduceLROnPlateau has no closed form: it follows a metric")

    def get_lr(self) -> list[float]:
        return self.get_last_lr()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = self._checked_state(state_dict)
        if state.get("mode") not in ("min", "max") or state.get("threshold_mode") not in (
            "rel",
            "abs",
        ):
            raise ValueError("ReduceLROnPlateau.load_state_dict: invalid mode or threshold_mode")
        self.__dict__.update(copy.deepcopy(state))
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr


def _as_float(metrics: Any) -> float:
    value = np.asarray(getattr(metrics, "data", metrics))  # a Tensor keeps its array in .data
    if value.size != 1 or value.dtype.kind not in "biuf":
        raise TypeError(
            "ReduceLROnPlateau.step expects a scalar metric (float, 0-d array or "
            f"one-element Tensor), got {metrics!r:.80}"
        )
    return float(value.reshape(()))
