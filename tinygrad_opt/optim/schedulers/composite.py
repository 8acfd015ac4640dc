"""Schedulers made of schedulers: SequentialLR (one after another at milestones) and
ChainedScheduler (all of them every step).

Their state dicts hold their children's state dicts under `_schedulers`, and loading
restores the children and then the composite's own lrs into the optimizer, so a resumed run
continues exactly at any step, milestones included.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Sequence
from typing import Any

from .base import LRScheduler, check_int, check_optimizer
from .plateau import ReduceLROnPlateau


def _check_children(owner: str, schedulers: Any, optimizer: Any) -> list[LRScheduler]:
    try:
        children = list(schedulers)
    except TypeError:
        raise TypeError(f"{owner} expects a list of schedulers, got {schedulers!r}") from None
    if not children:
        raise ValueError(f"{owner} expects at least one scheduler, but got none")
    for i, child in enumerate(children):
        if not isinstance(child, LRScheduler):
            raise TypeError(
                f"{owner} expects schedulers, but got {type(child).__name__} at index {i}"
            )
        if isinstance(child, ReduceLROnPlateau):
            raise ValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                f"additional kwargs to be specified when calling `step`, but got one at "
                f"index {i} in the given schedulers sequence"
            )
        if child.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(child).__name__} at index {i} with a different optimizer"
            )
    return children


def _undo_initial_steps(schedulers: list[LRScheduler]) -> None:
    """Take back the step each scheduler took when it was built (composites: their children's
    too), so that a SequentialLR can start each phase afresh."""
    for child in schedulers:
        if isinstance(child, _Composite):
            child._undo_initial_step()
        if hasattr(child, "last_epoch"):  # a ChainedScheduler keeps no step count of its own
            child.last_epoch -= 1


class _Composite(LRScheduler):
    """State handling shared by the composites: children's states nested under `_schedulers`."""

    _not_state = ("optimizer", "_schedulers")
    _schedulers: list[LRScheduler]

    def _undo_initial_step(self) -> None:
        _undo_initial_steps(self._schedulers)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [child.state_dict() for child in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = self._checked_state(state_dict)
        children = state.pop("_schedulers")
        if not isinstance(children, list) or len(children) != len(self._schedulers):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: expected the states of "
                f"{len(self._schedulers)} schedulers under '_schedulers', got {children!r:.80}"
            )
        # check every child before changing any, so a bad state dict changes nothing
        for child, child_state in zip(self._schedulers, children):
            child._checked_state(child_state)
        for child, child_state in zip(self._schedulers, children):
            child.load_state_dict(child_state)
        self.__dict__.update(copy.deepcopy(state))
        # each child wrote its own last lr; the composite's is the one in force
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_lr(self) -> list[float]:
        return self.get_last_lr()


class SequentialLR(_Composite):
    """Run `schedulers[0]` until `milestones[0]`, then `schedulers[1]` from its own step 0, ...

    As PyTorch: building it resets the lrs to `initial_lr` and restarts the first scheduler;
    at a milestone the next scheduler is stepped with `step(0)`, which starts its closed form
    from the base lr. Deviation: milestones must be strictly increasing ints >= 1.

    A ChainedScheduler may be one of the schedulers: its phase gives the lrs it gives on its
    own from its step 0. Deviations: PyTorch 2.13 starts a first-phase ChainedScheduler one
    step along (its children step from the undone state outside their initial mode, so e.g.
    an ExponentialLR child has already applied gamma at step 0), and cannot restart one at
    a later milestone (NotImplementedError); here the lrs at a milestone are the chained
    schedule's own from step 0, starting from `initial_lr`.
    """

    def __init__(
        self,
        optimizer: Any,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        check_optimizer(optimizer)
        children = _check_children("SequentialLR", schedulers, optimizer)
        milestones = [check_int("milestones[i]", m, 1) for m in milestones]
        if len(milestones) != len(children) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers "
                f"{len(children)} and the number of milestones to be equal to {len(milestones)}"
            )
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"milestones must be strictly increasing, got {milestones}")
        last_epoch = check_int("last_epoch", last_epoch, -1)
        self._schedulers = children
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.base_lrs = [float(g["initial_lr"]) for g in optimizer.param_groups]
        # undo the step each child took when it was built, then restart only the first
        self._undo_initial_step()
        children[0]._initial_step()
        self._last_lr = children[0].get_last_lr()

    def step(self, epoch: int | None = None) -> None:
        """Advance one step; the scheduler whose milestone interval holds the step acts."""
        if epoch is not None:
            raise TypeError("SequentialLR.step() takes no epoch (as PyTorch's)")
        step = self.last_epoch + 1
        idx = bisect.bisect_right(self._milestones, step)
        child = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == step:
            if isinstance(child, ChainedScheduler):
                # no closed form to jump to: start it afresh from the base lrs
                for group in self.optimizer.param_groups:
                    group["lr"] = group["initial_lr"]
                child._initial_step()
            else:
                child.step(0)
        else:
            child.step()
        self.last_epoch = step
        self._last_lr = child.get_last_lr()

    def lr_at(self, step: int) -> list[float]:
        """Closed form of the whole sequence (children must have closed forms)."""
        idx = bisect.bisect_right(self._milestones, step)
        start = self._milestones[idx - 1] if idx > 0 else 0
        return self._schedulers[idx].lr_at(step - start)


class ChainedScheduler(_Composite):
    """Step every scheduler in order on each `step()`; their effects multiply (chainable ones).

    `optimizer` defaults to the first scheduler's, as PyTorch.
    """

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Any = None) -> None:
        children = list(schedulers) if isinstance(schedulers, (list, tuple)) else schedulers
        if optimizer is None:
            if not children:
                raise ValueError("ChainedScheduler expects at least one scheduler, but got none")
            optimizer = children[0].optimizer
        check_optimizer(optimizer)
        self._schedulers = _check_children("ChainedScheduler", children, optimizer)
        self.optimizer = optimizer
        self.base_lrs = [float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups]
        self._last_lr = [float(g["lr"]) for g in optimizer.param_groups]

    def _initial_step(self) -> None:
        """Start every child afresh, in order, as when they were built (SequentialLR's phase
        start, after the children's own initial steps were undone)."""
        for child in self._schedulers:
            child._initial_step()
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]

    def step(self, epoch: int | None = None) -> None:
        """Step every child once, in order."""
        if epoch is not None:
            raise TypeError("ChainedScheduler.step() takes no epoch (as PyTorch's)")
        for child in self._schedulers:
            child.step()
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]

    def lr_at(self, step: int) -> list[float]:
        raise NotImplementedError(
            "ChainedScheduler has no closed form: its children multiply the optimizer's lr"
        )
