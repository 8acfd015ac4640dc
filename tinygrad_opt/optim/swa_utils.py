"""Weight averaging (`tinygrad_opt.optim.swa_utils`), as torch.optim.swa_utils.

Stochastic Weight Averaging: Izmailov et al., "Averaging Weights Leads to Wider Optima and
Better Generalization" (UAI 2018); the EMA variant keeps an exponential moving average of
the weights instead of the equal average.

- `AveragedModel(model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False)`:
  a deep copy of `model` whose parameters (and buffers with use_buffers=True) are averaged
  by `update_parameters(model)`; its state_dict holds `n_averaged` and `module.<key>`.
- `get_swa_avg_fn()`, `get_swa_multi_avg_fn()`: equal average, avg += (p - avg) / (n + 1).
- `get_ema_avg_fn(decay=0.999)`, `get_ema_multi_avg_fn(decay=0.999)`:
  ema = decay * ema + (1 - decay) * p.
- `SWALR(optimizer, swa_lr, anneal_epochs=10, anneal_strategy='cos', last_epoch=-1)`.
- `update_bn(loader, model, device=None)`: recompute BatchNorm running statistics.

An `avg_fn(averaged, current, n_averaged)` gets detached Tensors sharing the arrays and
returns the new average (Tensor or array); a `multi_avg_fn(averaged_list, current_list,
n_averaged)` updates the arrays of lists of such Tensors in place, called once per dtype,
as PyTorch calls it once per device and dtype. `n_averaged` is a 0-d int64 Tensor.
Integer buffers (num_batches_tracked, with use_buffers=True) are averaged in floating point
and truncated toward zero, as PyTorch's `copy_` into an integer tensor does.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..devices import check_cpu
from ..grad_mode import no_grad
from ..nn.module import Module
from ..nn.normalization import _BatchNorm
from ..tensor import Tensor
from .schedulers.base import LRScheduler, check_int, check_optimizer, check_real, per_group

__all__ = [
    "AveragedModel",
    "SWALR",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]


def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _check_decay(decay: Any) -> float:
    if isinstance(decay, bool) or not isinstance(decay, numbers.Real):
        raise TypeError(f"Invalid decay value {decay!r}; expected a real number in [0, 1]")
    if not 0.0 <= decay <= 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )
    return float(decay)


# ------------------------------------------------------------------------ averaging rules
def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """In-place EMA of lists of tensors: ema += (1 - decay) * (p - ema)."""
    decay = _check_decay(decay)

    def ema_update(ema_param_list: list, current_param_list: list, num_averaged: Any) -> None:
        for ema, current in zip(ema_param_list, current_param_list):
            e, p = _array(ema), _array(current)
            if e.dtype.kind == "f":
                e += (1.0 - decay) * (p - e)
            else:
                np.copyto(e, e * decay + p * (1.0 - decay), casting="unsafe")

    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """In-place equal average of lists of tensors: avg += (p - avg) / (n_averaged + 1)."""

    def swa_update(averaged_param_list: list, current_param_list: list, num_averaged: Any) -> None:
        count = int(num_averaged) + 1
        for averaged, current in zip(averaged_param_list, current_param_list):
            a, p = _array(averaged), _array(current)
            if a.dtype.kind == "f":
                a += (p - a) / count
            else:
                np.copyto(a, a + (p - a) / count, casting="unsafe")

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """EMA of one tensor: returns decay * ema + (1 - decay) * p."""
    decay = _check_decay(decay)

    def ema_update(ema_param: Any, current_param: Any, num_averaged: Any) -> Any:
        return decay * ema_param + (1.0 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable:
    """Equal average of one tensor: returns avg + (p - avg) / (n_averaged + 1)."""

    def swa_update(averaged_param: Any, current_param: Any, num_averaged: Any) -> Any:
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


# ------------------------------------------------------------------------- AveragedModel
class AveragedModel(Module):
    """A running average of a model's weights (SWA by default, EMA with get_ema_*_fn).

    `update_parameters(model)`: the first call copies the model; later calls average with
    `multi_avg_fn`, else `avg_fn`, else the equal average. With use_buffers=False buffers
    (BatchNorm statistics) are copied from the model at each call (recompute them with
    `update_bn` after SWA); with True they are averaged like the parameters.
    `forward` calls the averaged copy. Deviations: giving both avg_fn and multi_avg_fn
    raises ValueError (PyTorch: AssertionError), and a model whose parameters or buffers do
    not match the averaged copy raises ValueError before anything is changed (PyTorch
    averages the pairs zip() forms); `device` may only be the CPU.
    """

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: Callable | None = None,
        multi_avg_fn: Callable | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(
                f"AveragedModel: model must be an nn.Module, got {type(model).__name__}"
            )
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError(
                "AveragedModel: only one of avg_fn and multi_avg_fn should be provided"
            )
        for name, fn in (("avg_fn", avg_fn), ("multi_avg_fn", multi_avg_fn)):
            if fn is not None and not callable(fn):
                raise TypeError(f"AveragedModel: {name} must be callable or None, got {fn!r}")
        if not isinstance(use_buffers, bool):
            raise TypeError(f"AveragedModel: use_buffers must be a bool, got {use_buffers!r}")
        check_cpu("AveragedModel", device)
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", np.array(0, dtype=np.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _pairs(self, model: Module, kind: str) -> list[tuple[Tensor, Tensor]]:
        """(averaged, model) tensors of `kind`, after checking that the two models match."""
        ours = list(getattr(self.module, f"named_{kind}")())
        theirs = list(getattr(model, f"named_{kind}")())
        if len(ours) != len(theirs):
            raise ValueError(
                f"update_parameters: the model has {len(theirs)} {kind} but the averaged "
                f"model has {len(ours)}; pass the model this AveragedModel was built from"
            )
        for (name, a), (_, b) in zip(ours, theirs):
            if a.data.shape != b.data.shape:
                raise ValueError(
                    f"update_parameters: '{name}' has shape {tuple(b.data.shape)} in the "
                    f"model but {tuple(a.data.shape)} in the averaged model"
                )
        return [(a.detach(), b.detach()) for (_, a), (_, b) in zip(ours, theirs)]

    def update_parameters(self, model: Module) -> None:
        """Average `model`'s current weights into this one and count it in n_averaged."""
        if not isinstance(model, Module):
            raise TypeError(
                f"update_parameters: model must be an nn.Module, got {type(model).__name__}"
            )
        averaged = self._pairs(model, "parameters")
        buffers = self._pairs(model, "buffers")  # checked here too: a mismatch changes nothing
        if self.use_buffers:
            averaged += buffers
        n_averaged = self.n_averaged.detach()
        with no_grad():
            if int(n_averaged) == 0:
                for a, p in averaged:
                    np.copyto(a.data, p.data, casting="unsafe")
            elif self.avg_fn is not None:
                for a, p in averaged:
                    np.copyto(a.data, _array(self.avg_fn(a, p, n_averaged)), casting="unsafe")
            else:
                multi_avg_fn = self.multi_avg_fn or get_swa_multi_avg_fn()
                by_dtype: dict[np.dtype, list[tuple[Tensor, Tensor]]] = {}
                for a, p in averaged:
                    by_dtype.setdefault(a.data.dtype, []).append((a, p))
                for pairs in by_dtype.values():
                    multi_avg_fn([a for a, _ in pairs], [p for _, p in pairs], n_averaged)
            if not self.use_buffers:
                for a, b in buffers:  # keep the statistics in step with the model
                    np.copyto(a.data, b.data, casting="unsafe")
        self.n_averaged.data[...] += 1


# -------------------------------------------------------------------------------- SWALR
class SWALR(LRScheduler):
    """Anneal each group's lr to `swa_lr` over `anneal_epochs` steps, then hold it.

    At its k-th step (k = 0 when built; k >= 1 with anneal_epochs=0), with
    t = clip(k / max(1, anneal_epochs), 0, 1) and alpha = t ('linear') or
    (1 - cos(pi * t)) / 2 ('cos'):
        lr = alpha * swa_lr + (1 - alpha) * lr_start
    where lr_start is the group's lr when annealing began. As PyTorch, lr_start is
    recovered each step from the group's current lr and the previous alpha, so SWALR starts
    from whatever lr another scheduler left, and the step count is SWALR's own
    `_step_count` (`step(epoch)` sets last_epoch but anneals by one step, as PyTorch).
    `swa_lr` (a float or one per group) is stored in each param group as 'swa_lr'.
    Deviations: anneal_epochs must be an int >= 0 (a float raises TypeError, PyTorch
    ValueError); swa_lr must be a finite number >= 0.
    """

    def __init__(
        self,
        optimizer: Any,
        swa_lr: float | list[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        check_optimizer(optimizer)
        values = per_group("swa_lr", optimizer, swa_lr)
        swa_lrs = [check_real("swa_lr", value, low=0.0) for value in values]
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy!r}"
            )
        self.anneal_epochs = check_int("anneal_epochs", anneal_epochs, 0)
        self._anneal_strategy = anneal_strategy  # PyTorch's state_dict key
        groups = optimizer.param_groups
        previous = [group.get("swa_lr") for group in groups]
        for group, value in zip(groups, swa_lrs):
            group["swa_lr"] = value
        try:
            super().__init__(optimizer, last_epoch)
        except (TypeError, ValueError):  # bad last_epoch: leave the groups as they were
            for group, value in zip(groups, previous):
                if value is None:
                    group.pop("swa_lr")
                else:
                    group["swa_lr"] = value
            raise

    def _alpha(self, t: float) -> float:
        if self._anneal_strategy == "linear":
            return t
        return (1.0 - math.cos(math.pi * t)) / 2.0

    def _lrs_at(self, k: int) -> list[float]:
        """The lrs of SWALR's k-th step, from the groups' current (step k - 1) lrs."""
        if self.anneal_epochs == 0:
            k = max(1, k)
        span = max(1, self.anneal_epochs)
        previous = self._alpha(min(1.0, max(0.0, (k - 1) / span)))
        alpha = self._alpha(min(1.0, max(0.0, k / span)))
        lrs = []
        for group in self.optimizer.param_groups:
            swa_lr = group["swa_lr"]
            if previous == 1.0:
                start = swa_lr
            else:
                start = (group["lr"] - previous * swa_lr) / (1.0 - previous)
            lrs.append(swa_lr * alpha + start * (1.0 - alpha))
        return lrs

    def get_lr(self) -> list[float]:
        """PyTorch's get_lr: the lrs of the current step, recomputed from the groups."""
        return self._lrs_at(self._step_count - 1)

    def step(self, epoch: int | None = None) -> None:
        """Anneal one step; `epoch`, if given, only sets last_epoch (as PyTorch)."""
        target = self.last_epoch + 1 if epoch is None else check_int("epoch", epoch, 0)
        self._commit(target, self._lrs_at(self._step_count))

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = self._checked_state(state_dict)
        if state["_anneal_strategy"] not in ("cos", "linear"):
            raise ValueError(
                f"SWALR.load_state_dict: _anneal_strategy must be 'cos' or 'linear', got "
                f"{state['_anneal_strategy']!r}"
            )
        check_int("anneal_epochs", state["anneal_epochs"], 0)
        super().load_state_dict(state_dict)


# ------------------------------------------------------------------------------ update_bn
def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the running statistics of every BatchNorm in `model` with one pass over
    `loader` (use after SWA, whose averaged weights fit none of the saved statistics).

    Each BatchNorm is reset and runs with momentum=None, so its running mean and variance
    become the plain average over batches of the batch mean and the unbiased batch variance
    (the whole loader's mean when the batches have equal sizes). A batch that is a list or
    tuple contributes its first element, as PyTorch. The model runs in training mode
    without gradients; momenta and the training mode are restored afterwards, also when
    the loader or the model raises.
    """
    if not isinstance(model, Module):
        raise TypeError(f"update_bn: model must be an nn.Module, got {type(model).__name__}")
    check_cpu("update_bn", device)
    momenta = {module: module.momentum for module in model.modules()
               if isinstance(module, _BatchNorm)}  # fmt: skip
    if not momenta:
        return
    was_training = model.training
    for module in momenta:
        module.reset_running_stats()
        module.momentum = None
    model.train()
    try:
        with no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)
