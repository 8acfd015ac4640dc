"""`LRScheduler`: the base of every learning-rate scheduler, with PyTorch's step semantics.

A scheduler owns `last_epoch` (the number of `step()` calls since the start, -1 before the
first) and `base_lrs` (each parameter group's `initial_lr`). Building one performs the
first step, so the optimizer's lr is the schedule's value at step 0 straight away, as in
PyTorch.

How a step computes the new lr (the design choice that makes resuming exact):

- Every scheduler has a pure closed form `lr_at(step)` (as optax schedules are pure
  functions of the step), taken from PyTorch's documented formulas.
- PyTorch's "chainable" schedulers instead multiply the lr currently in the optimizer by a
  per-step factor, so two schedulers can drive one optimizer. Here a chainable scheduler
  uses its closed form whenever the group's lr still equals its own closed-form value at the
  previous step (it is the only thing changing the lr: the usual case), and PyTorch's
  per-step factor otherwise (another scheduler or the user changed it). Both give the same
  numbers in exact arithmetic; the closed form just does not accumulate rounding, so its lrs
  differ from PyTorch's recursive ones only by float rounding (about 1e-15 relative).
- `load_state_dict` writes the restored `_last_lr` (and `initial_lr`) back into the
  optimizer's groups. So a fresh optimizer + fresh scheduler + `load_state_dict` continues
  with exactly the lrs of the uninterrupted run, whether or not the optimizer's own state is
  loaded too, and in whatever order. (Deviation from PyTorch, whose `load_state_dict` does
  not touch the optimizer.) Two schedulers chained by hand on one optimizer must be loaded
  in the order they step (or the optimizer state loaded after them); `ChainedScheduler`
  does this for you.

State dicts hold only plain data (dicts, lists, floats, ints, str, bool, None), so they can
go through `tinygrad_opt.save` or JSON.
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any

# Keys that PyTorch's schedulers keep in their state dicts but that mean nothing here; a
# state dict made by PyTorch may carry them, so loading ignores them instead of refusing.
_PYTORCH_ONLY_KEYS = frozenset(
    {"verbose", "_get_lr_called_within_step", "_is_initial", "_initial_step_count"}
)


# ------------------------------------------------------------------------------ validation
def check_int(name: str, value: Any, minimum: int) -> int:
    """`value` as an int >= `minimum`, or a ValueError/TypeError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


def check_real(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """`value` as a finite float in the given interval, or an error naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    interval = f"{left}{low}, {high}{right}"
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or too_low or too_high:
        raise ValueError(f"{name} must be a finite number in {interval}, got {value}")
    return value


def check_optimizer(optimizer: Any) -> None:
    """Schedulers accept any object with PyTorch's `param_groups` layout."""
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not all(
        isinstance(g, dict) and "lr" in g for g in groups
    ):
        raise TypeError(
            f"{type(optimizer).__name__} is not an Optimizer: expected an object whose "
            "`param_groups` is a list of dicts each holding 'lr'"
        )


def per_group(name: str, optimizer: Any, value: Any) -> list:
    """One value per parameter group: a list/tuple of matching length, or a broadcast scalar."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups: "
                f"{name} has {len(value)} values, param_groups has {n}"
            )
        return list(value)
    return [value] * n


# ------------------------------------------------------------------------------ base class
class LRScheduler:
    """Base class: `step()`, `get_last_lr()`, `lr_at(step)`, `state_dict()`/`load_state_dict()`.

    Subclasses implement `lr_at(step) -> list[float]` (closed form per group) and, if PyTorch
    documents them as chainable, `_chained(lr, i, step)` (PyTorch's per-step update of group
    `i`'s current lr). `last_epoch=-1` starts a new schedule and records each group's lr as
    `initial_lr`; any other value resumes and requires `initial_lr` in every group.
    Deviation: a missing `initial_lr` raises ValueError (PyTorch: KeyError).
    """

    # attributes that are not state (the optimizer) or need special handling in state_dict
    _not_state: tuple[str, ...] = ("optimizer",)
    # whether this scheduler follows PyTorch's chainable (multiply-the-current-lr) form
    _chainable: bool = False
    # whether building it with last_epoch=k >= 0 keeps the optimizer's lr, as PyTorch 2.13
    # does for LinearLR, ExponentialLR, PolynomialLR, CosineAnnealingLR and MultiplicativeLR
    # (pytorch#102261: a resumed optimizer already holds step k's lr, so the construction
    # step must not apply one more); its other schedulers still step there
    _resume_keeps_lr: bool = False

    def __init__(self, optimizer: Any, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        last_epoch = check_int("last_epoch", last_epoch, -1)
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(groups):
                if "initial_lr" not in group:
                    raise ValueError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        f"resuming with last_epoch={last_epoch}: build the scheduler with "
                        "last_epoch=-1, or load the optimizer's state first"
                    )
        self.optimizer = optimizer
        self.base_lrs = [float(group["initial_lr"]) for group in groups]
        self.last_epoch = last_epoch
        self._initial_step()

    # -- the schedule ----------------------------------------------------------------------
    def lr_at(self, step: int) -> list[float]:
        """The closed-form lr of every group at `step` (pure: changes nothing)."""
        raise NotImplementedError

    def _chained(self, lr: float, i: int, step: int) -> float:
        """PyTorch's chainable update of group `i`'s current `lr` on reaching `step`."""
        raise NotImplementedError

    def _next_lrs(self, previous: int, step: int) -> list[float]:
        """The lrs for `step`, reached from `previous` by `step()` without an epoch."""
        new = self.lr_at(step)
        if not self._chainable:
            return new
        expected = self.base_lrs if previous < 0 else self.lr_at(previous)
        lrs = []
        for i, group in enumerate(self.optimizer.param_groups):
            # the group still holds our own value: nobody else changed it, so the closed
            # form equals PyTorch's chained result and carries no accumulated rounding
            if group["lr"] == expected[i]:
                lrs.append(new[i])
            else:
                lrs.append(self._chained(group["lr"], i, step))
        return lrs

    def get_lr(self) -> list[float]:
        """The closed-form lrs at the current `last_epoch`."""
        return self.lr_at(self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """The lrs this scheduler last set, one per parameter group."""
        return list(self._last_lr)

    # -- stepping --------------------------------------------------------------------------
    def _initial_step(self) -> None:
        self._step_count = 0
        if self._resume_keeps_lr and self.last_epoch >= 0:
            self._commit(self.last_epoch + 1, [g["lr"] for g in self.optimizer.param_groups])
        else:
            self.step()

    def step(self, epoch: int | None = None) -> None:
        """Advance one step, or jump to `epoch` (closed form, as PyTorch's `step(epoch)`)."""
        if epoch is None:
            step = self.last_epoch + 1
            lrs = self._next_lrs(self.last_epoch, step)
        else:
            step = check_int("epoch", epoch, 0)
            lrs = self.lr_at(step)
        # commit only after everything that can raise has run: bad input changes nothing
        self._commit(step, lrs)

    def _commit(self, step: int, lrs: list[float]) -> None:
        """Make `step` the current step, with `lrs` in the optimizer."""
        self._step_count += 1
        self.last_epoch = step
        self._set_lrs(lrs)
        self._after_step(step)

    def _set_lrs(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = float(lr)  # plain floats, even if a user's lambda returns numpy
        self._last_lr = [float(group["lr"]) for group in self.optimizer.param_groups]

    def _after_step(self, step: int) -> None:
        """Hook for schedulers that also set other hyperparameters (momentum)."""

    # -- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, as plain data (deep copies)."""
        return {
            key: copy.deepcopy(value)
            for key, value in self.__dict__.items()
            if key not in self._not_state
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a `state_dict()` and write its lrs back into the optimizer's groups."""
        state = self._checked_state(state_dict)
        self.__dict__.update(copy.deepcopy(state))
        self._restore_optimizer()

    def _checked_state(self, state_dict: Any) -> dict[str, Any]:
        """`state_dict` without PyTorch-only keys, after checking it fits this scheduler."""
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict expects a dict, "
                f"got {type(state_dict).__name__}"
            )
        state = {k: v for k, v in state_dict.items() if k not in _PYTORCH_ONLY_KEYS}
        expected = set(self.state_dict())
        missing = sorted(expected - set(state))
        unexpected = sorted(set(state) - expected)
        if missing or unexpected:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state dict does not fit this "
                f"scheduler (missing keys {missing}, unexpected keys {unexpected}); was it "
                "saved from another scheduler class?"
            )
        n = len(self.optimizer.param_groups)
        for key in ("_last_lr", "base_lrs"):
            if key in state and len(state[key]) != n:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {key} has {len(state[key])} "
                    f"entries but the optimizer has {n} param groups"
                )
        return state

    def _restore_optimizer(self) -> None:
        """Put the restored lrs back into the optimizer so the next step continues exactly."""
        for group, lr, base in zip(self.optimizer.param_groups, self._last_lr, self.base_lrs):
            group["lr"] = lr
            group["initial_lr"] = base
