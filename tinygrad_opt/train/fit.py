"""`fit`: the training loop (epochs of forward, backward, optimizer step, callbacks).

One optimizer step per `grad_accum_steps` batches. Gradient accumulation: each batch's
mean loss is back-propagated with weight `b` (its batch size) and the summed gradients are
divided by the window's sample count before the step, so 4 batches of 32 make the same
update as one batch of 128 up to float rounding, also when the last window of an epoch is
short (it is stepped at the epoch's end, as PyTorch Lightning does). This assumes `loss_fn`
averages over its batch (reduction='mean', the default). With `grad_accum_steps=1` the loss
is back-propagated as it is.

Order of one step: gradients complete -> `on_before_step` callbacks -> global gradient
norm (clipped to `max_grad_norm` with `nn.utils.clip_grad_norm_` when given) ->
`optimizer.step()` -> `zero_grad()` -> per-step scheduler -> History -> `on_step_end`.
Order at an epoch's end: validation (`evaluate` on `val_loader`) -> per-epoch scheduler
(ReduceLROnPlateau gets `val_loss`, or the epoch's train loss without a `val_loader`) ->
History -> `on_epoch_end`. Which schedulers are per step: see `train.scheduling`.

Non-finite values: a NaN or Inf loss, or a non-finite gradient norm, raises
FloatingPointError naming the epoch, batch and step, before that window changes the
parameters. If the optimizer was built with `skip_nonfinite=True`, such a window is skipped
instead (no update, no scheduler step) and counted in `History.skipped_steps`.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from .. import random as package_random
from .batch import batch_size, count_correct, loss_value, split_batch
from .callbacks import Callback
from .checkpoint import restore_state
from .evaluate import evaluate
from .history import History
from .progress import epoch_bar, format_postfix
from .scheduling import is_plateau, resolve_interval
from .state import TrainState


class _Window:
    """The batches accumulated towards one optimizer step."""

    __slots__ = ("batches", "samples", "loss_sum", "loss_samples", "nonfinite")

    def __init__(self) -> None:
        self.batches = 0
        self.samples = 0
        self.loss_sum = 0.0
        self.loss_samples = 0
        self.nonfinite = False


def _check_positive_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"fit: {name} must be a positive int, got {value!r}")


def _check_arguments(model, loss_fn, optimizer, epochs, grad_accum_steps, max_grad_norm, callbacks):
    if not callable(model):
        raise TypeError(f"fit: model must be callable (an nn.Module), got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable, got {type(loss_fn).__name__}")
    if not hasattr(optimizer, "param_groups") or not callable(getattr(optimizer, "step", None)):
        raise TypeError(
            f"fit: optimizer must be a tinygrad_opt.optim optimizer, got {type(optimizer).__name__}"
        )
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    _check_positive_int(grad_accum_steps, "grad_accum_steps")
    if max_grad_norm is not None and not (
        isinstance(max_grad_norm, (int, float, np.integer, np.floating))  # as clip_grad_norm_
        and not isinstance(max_grad_norm, bool)
        and 0 < max_grad_norm < math.inf
    ):
        raise ValueError(
            f"fit: max_grad_norm must be a positive finite number or None, got {max_grad_norm!r}"
        )
    for callback in callbacks:
        if not isinstance(callback, Callback):
            raise TypeError(
                f"fit: callbacks must be train.callbacks.Callback instances, got "
                f"{type(callback).__name__}"
            )


def _length(loader) -> int | None:
    """`len(loader)`, or None for loaders of unknown length (an IterableDataset's, as torch's
    DataLoader, raises TypeError from __len__)."""
    try:
        return len(loader)
    except TypeError:
        return None


def _trainable(optimizer) -> list:
    return [p for group in optimizer.param_groups for p in group["params"]]


def _global_norm(parameters) -> float:
    """L2 norm of all gradients together (nan if any is not finite).

    Squares are summed with BLAS in the gradients' own dtype, which is fast and accurate
    to float rounding; only when that overflows is the sum redone in float64, so a huge but
    finite gradient is not mistaken for a non-finite one.
    """
    grads = [np.asarray(p.grad).ravel() for p in parameters if p.grad is not None]
    with np.errstate(over="ignore", invalid="ignore"):
        square = float(sum(np.dot(g, g) for g in grads))
    if not math.isfinite(square):
        square = float(sum(np.dot(g64, g64) for g64 in (g.astype(np.float64) for g in grads)))
    return math.sqrt(square) if math.isfinite(square) else math.nan


def _first_lr(optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


def _where(state: TrainState) -> str:
    return (
        f"epoch {state.epoch + 1}, batch {state.batch_in_epoch} "
        f"(optimizer step {state.global_step + 1})"
    )


def _nonfinite_error(state: TrainState, what: str) -> FloatingPointError:
    state.optimizer.zero_grad()
    return FloatingPointError(
        f"fit: {what} at {_where(state)}; training stopped before this step changed the "
        "parameters. Lower the learning rate, set max_grad_norm=, or build the optimizer with "
        "skip_nonfinite=True to skip such steps."
    )


class _Loop:
    """One `fit` call: the state plus the settings every step needs."""

    def __init__(self, state: TrainState, grad_accum_steps, max_grad_norm, progress) -> None:
        self.state = state
        self.grad_accum_steps = int(grad_accum_steps)
        self.max_grad_norm = max_grad_norm
        self.progress = bool(progress)
        self.parameters = _trainable(state.optimizer)
        self.skip_nonfinite = bool(getattr(state.optimizer, "skip_nonfinite", False))

    # ------------------------------------------------------------------ one step
    def _optimizer_step(self, window: _Window) -> None:
        state = self.state
        optimizer = state.optimizer
        if window.nonfinite:
            optimizer.zero_grad()
            state.history.skipped_steps += 1
            return
        if self.grad_accum_steps > 1:
            for p in self.parameters:
                if p.grad is not None:
                    np.divide(p.grad, window.samples, out=p.grad)
        logs = {
            "step": state.global_step + 1,
            "epoch": state.epoch + 1,
            "loss": window.loss_sum / window.loss_samples,
            "lr": _first_lr(optimizer),
        }
        for callback in state.callbacks:
            callback.on_before_step(state, logs)
        norm = _global_norm(self.parameters)
        if not math.isfinite(norm) and not self.skip_nonfinite:
            raise _nonfinite_error(state, f"the gradient norm is {norm}")
        if self.max_grad_norm is not None and math.isfinite(norm):
            from ..nn.utils import clip_grad_norm_

            clip_grad_norm_(self.parameters, self.max_grad_norm)
        skipped_before = getattr(optimizer, "skipped_steps", 0)
        optimizer.step()
        optimizer.zero_grad()
        if getattr(optimizer, "skipped_steps", 0) != skipped_before:
            state.history.skipped_steps += 1
            return
        state.global_step += 1
        if state.scheduler_interval == "step":
            state.scheduler.step()
        logs["grad_norm"] = norm
        state.history.record_step(logs)
        for callback in state.callbacks:
            callback.on_step_end(state, logs)

    def _train_batch(self, batch, window: _Window) -> None:
        state = self.state
        inputs, target = split_batch(batch)
        count = batch_size(target)
        output = state.model(*inputs)
        loss = state.loss_fn(output, target)
        value = loss_value(loss, "fit")
        state.batch_in_epoch += 1
        window.batches += 1
        window.samples += count
        if not math.isfinite(value):
            if not self.skip_nonfinite:
                raise _nonfinite_error(state, f"the loss is {value}")
            window.nonfinite = True
            return
        if window.nonfinite:  # the window is skipped anyway: save the backward pass
            return
        if self.grad_accum_steps == 1:
            loss.backward()
        else:
            loss.backward(gradient=np.full(loss.shape, count, dtype=loss.dtype))
        window.loss_sum += value * count
        window.loss_samples += count
        state.epoch_loss_sum += value * count
        state.epoch_samples += count
        correct = count_correct(output, target)
        if correct is not None:
            state.epoch_correct += correct
            state.epoch_labelled += count

    # ------------------------------------------------------------------ one epoch
    def _batches(self, resume_rng):
        """The epoch's remaining batches (all of them unless resuming mid-epoch)."""
        state = self.state
        loader = state.train_loader
        done = state.batch_in_epoch
        total = _length(loader)
        if done and total is not None and done >= total:
            return iter(())  # saved after the epoch's last step, before its end-of-epoch work
        iterator = iter(loader)
        if done and not callable(getattr(loader, "state_dict", None)):
            for _ in range(done):
                next(iterator)
            if resume_rng is not None:
                package_random.set_rng_state(resume_rng)
        return iterator

    def run_epoch(self, resume_rng) -> None:
        state = self.state
        state.model.train()
        for callback in state.callbacks:
            callback.on_epoch_begin(state)
        total = _length(state.train_loader)
        bar = epoch_bar(total, state.epoch + 1, state.epochs, state.batch_in_epoch, self.progress)
        start_samples = state.epoch_samples
        started = time.perf_counter()
        window = _Window()
        try:
            for batch in self._batches(resume_rng):
                self._train_batch(batch, window)
                if window.batches == self.grad_accum_steps:
                    self._optimizer_step(window)
                    window = _Window()
                if self.progress:
                    bar.update(1)
                    elapsed = max(time.perf_counter() - started, 1e-9)
                    rate = (state.epoch_samples - start_samples) / elapsed
                    running = state.epoch_loss_sum / max(state.epoch_samples, 1)
                    text = format_postfix(running, _first_lr(state.optimizer), rate)
                    bar.set_postfix_str(text, refresh=False)
                if state.stop_training:
                    break
            if window.batches:
                self._optimizer_step(window)
            seconds = time.perf_counter() - started
            logs = self._end_epoch(seconds, state.epoch_samples - start_samples)
            if self.progress:
                shown = {k: v for k, v in logs.items() if k.startswith("val_")}
                rate = logs["samples_per_second"]
                bar.set_postfix_str(format_postfix(logs["train_loss"], logs["lr"], rate, shown))
        finally:
            bar.close()
        for callback in state.callbacks:
            callback.on_epoch_end(state, logs)

    def _end_epoch(self, seconds: float, samples: int) -> dict:
        state = self.state
        train_loss = state.epoch_loss_sum / state.epoch_samples if state.epoch_samples else math.nan
        logs = {"epoch": state.epoch + 1, "train_loss": train_loss}
        if state.epoch_labelled:
            logs["train_accuracy"] = state.epoch_correct / state.epoch_labelled
        if state.val_loader is not None:
            metrics = evaluate(state.model, state.val_loader, state.loss_fn)
            logs.update({f"val_{key}": value for key, value in metrics.items()})
        logs["lr"] = _first_lr(state.optimizer)
        logs["seconds"] = seconds
        logs["samples_per_second"] = samples / seconds if seconds > 0 else math.nan
        if state.scheduler_interval == "epoch":
            if is_plateau(state.scheduler):
                state.scheduler.step(logs.get("val_loss", train_loss))
            else:
                state.scheduler.step()
        state.history.record_epoch(logs)
        state.epoch += 1
        state.reset_epoch_sums()
        return logs


def fit(
    model,
    loss_fn,
    optimizer,
    train_loader,
    epochs: int = 1,
    *,
    scheduler=None,
    val_loader=None,
    grad_accum_steps: int = 1,
    max_grad_norm: float | None = None,
    callbacks=(),
    progress: bool = True,
    scheduler_interval: str | None = None,
    resume_from: str | os.PathLike | None = None,
) -> History:
    """Train `model` for `epochs` epochs and return its `History` (see the module docstring).

    `scheduler_interval` ("step", "epoch" or None for the rule of `train.scheduling`) says
    when the scheduler is stepped. `resume_from` is a training checkpoint (ModelCheckpoint
    or `save_checkpoint`): model, optimizer, scheduler, loader order, RNG, counters,
    history and callback progress are restored and training continues up to `epochs` in
    total, so 1 epoch + save + resume with `epochs=2` repeats a 2-epoch run bit for bit. The
    model is left in training mode.
    """
    callbacks = list(callbacks)
    _check_arguments(model, loss_fn, optimizer, epochs, grad_accum_steps, max_grad_norm, callbacks)
    state = TrainState(
        model=model,
        loss_fn=loss_fn,
        optimizer=optimizer,
        train_loader=train_loader,
        epochs=int(epochs),
        scheduler=scheduler,
        scheduler_interval=resolve_interval(scheduler, scheduler_interval),
        val_loader=val_loader,
        callbacks=callbacks,
    )
    if _length(train_loader) == 0:
        raise ValueError("fit: train_loader yields no batches (is the dataset smaller than a batch "
                         "with drop_last=True?)")
    resume_rng = restore_state(state, resume_from) if resume_from is not None else None
    optimizer.zero_grad()
    loop = _Loop(state, grad_accum_steps, max_grad_norm, progress)
    for callback in callbacks:
        callback.on_train_begin(state)
    while state.epoch < state.epochs and not state.stop_training:
        loop.run_epoch(resume_rng)
        resume_rng = None
    state.history.stopped_early = state.stop_training
    for callback in callbacks:
        callback.on_train_end(state)
    return state.history
