"""User-function schedules: LambdaLR (lr = base_lr * f(step)) and MultiplicativeLR
(lr *= f(step) each step).

State dicts follow PyTorch: a plain function (or lambda) cannot be serialised, so its slot
holds None and the function given to the new scheduler is used after loading; a callable
object's `__dict__` is saved and restored onto the new scheduler's object. Make the factor
a small class with attributes if its parameters must travel with the checkpoint.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Callable
from typing import Any

from .base import LRScheduler, check_int


def _lambdas(optimizer: Any, lr_lambda: Any) -> list[Callable[[int], float]]:
    n = len(getattr(optimizer, "param_groups", []))
    fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
    if len(fns) != n:
        raise ValueError(f"Expected {n} lr_lambdas (one per param group), but got {len(fns)}")
    for i, fn in enumerate(fns):
        if not callable(fn):
            raise TypeError(f"lr_lambda[{i}] must be callable, got {fn!r}")
    return fns


def _lambdas_state(fns: list[Callable]) -> list[dict | None]:
    return [
        None if isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__)
        for fn in fns
    ]


def _load_lambdas_state(fns: list[Callable], saved: Any, owner: str) -> None:
    if not isinstance(saved, list) or len(saved) != len(fns):
        raise ValueError(
            f"{owner}.load_state_dict: lr_lambdas must be a list of {len(fns)} entries "
            f"(None or a dict), got {saved!r}"
        )
    for fn, state in zip(fns, saved):
        if state is not None:
            fn.__dict__.update(copy.deepcopy(state))


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(step); one function, or a list with one per param group."""

    _not_state = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer: Any, lr_lambda: Any, last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int) -> list[float]:
        return [base * fn(step) for base, fn in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["lr_lambdas"] = _lambdas_state(self.lr_lambdas)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = self._checked_state(state_dict)
        saved = state.pop("lr_lambdas")
        _load_lambdas_state(self.lr_lambdas, saved, type(self).__name__)
        self.__dict__.update(copy.deepcopy(state))
        self._restore_optimizer()


class MultiplicativeLR(LambdaLR):
    """lr = lr * lr_lambda(step) for step >= 1 (PyTorch's rule, applied to the current lr).

    Always applied recursively (as PyTorch), since the closed form
    base_lr * f(1) * ... * f(step) costs O(step) per step; resuming is still exact because
    `load_state_dict` restores the current lr into the optimizer. `lr_at(step)` gives the
    product, multiplied in the same order, so it equals the recursive value bit for bit when
    this scheduler alone drives the lr.
    """

    _resume_keeps_lr = True

    def lr_at(self, step: int) -> list[float]:
        lrs = []
        for base, fn in zip(self.base_lrs, self.lr_lambdas):
            lr = base
            for k in range(1, step + 1):
                lr = lr * fn(k)
            lrs.append(lr)
        return lrs

    def _next_lrs(self, previous: int, step: int) -> list[float]:
        groups = self.optimizer.param_groups
        if step <= 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * fn(step) for group, fn in zip(groups, self.lr_lambdas)]

    def step(self, epoch: int | None = None) -> None:
        """One multiplicative step; `step(epoch)` sets last_epoch and multiplies by f(epoch),
        f(0) included (PyTorch has no closed form for this scheduler either; only the
        construction step leaves the lr alone)."""
        if epoch is None:
            super().step()
            return
        step = check_int("epoch", epoch, 0)
        groups = self.optimizer.param_groups
        lrs = [group["lr"] * fn(step) for group, fn in zip(groups, self.lr_lambdas)]
        self._step_count += 1
        self.last_epoch = step
        self._set_lrs(lrs)
