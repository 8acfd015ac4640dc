"""Training checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint is one `tinygrad_opt.save` file (atomic, no pickle, checksummed) holding

    format, version            "tinygrad_opt.train.checkpoint", 1
    model                      model.state_dict()
    optimizer                  optimizer.state_dict()                  (when given)
    scheduler                  scheduler.state_dict()                  (when given)
    train_loader               train_loader.state_dict()               (when it has one)
    val_loader                 val_loader.state_dict()   (fit's, when it has one: a shuffled
                               one's order decides how val_loss rounds)
    rng                        tinygrad_opt.random.get_rng_state(), as JSON text
    progress                   epoch, batch_in_epoch, global_step and the epoch's loss sums
    history                    History.state_dict()                    (when given)
    callbacks                  each callback's state_dict(), keyed "<index>:<class name>"

`epoch` counts finished epochs. A checkpoint taken in the middle of an epoch also records
how many batches of it were consumed: `DataLoader.state_dict()` then holds the epoch's order
and position, so the resumed loader hands out exactly the remaining batches. (A loader
without `state_dict` is fast-forwarded by drawing and dropping that many batches, which is
exact only for loaders whose order does not depend on hidden state.) The RNG state is kept
as JSON text because PCG64's 128-bit integers do not fit an int64 array.
"""

from __future__ import annotations

import copy
import json
import os

from .. import random as package_random
from .history import History
from .state import TrainState

FORMAT = "tinygrad_opt.train.checkpoint"
VERSION = 1
_PROGRESS_KEYS = (
    "epoch",
    "batch_in_epoch",
    "global_step",
    "epoch_loss_sum",
    "epoch_samples",
    "epoch_correct",
    "epoch_labelled",
)


def _serialization():
    # Imported on use: tinygrad_opt/__init__ imports train, and serialization may import us back.
    from .. import serialization

    return serialization


def _has_state(obj) -> bool:
    return callable(getattr(obj, "state_dict", None)) and callable(
        getattr(obj, "load_state_dict", None)
    )


def _callback_key(index: int, callback) -> str:
    return f"{index}:{type(callback).__name__}"


def state_to_checkpoint(state: TrainState) -> dict:
    """The checkpoint dictionary of a live `fit` run (see the module docstring)."""
    checkpoint: dict = {
        "format": FORMAT,
        "version": VERSION,
        "model": state.model.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "rng": json.dumps(package_random.get_rng_state()),
        "progress": {
            "epoch": int(state.epoch),
            "batch_in_epoch": int(state.batch_in_epoch),
            "global_step": int(state.global_step),
            "epoch_loss_sum": float(state.epoch_loss_sum),
            "epoch_samples": int(state.epoch_samples),
            "epoch_correct": int(state.epoch_correct),
            "epoch_labelled": int(state.epoch_labelled),
        },
        "history": state.history.state_dict(),
    }
    if state.scheduler is not None:
        checkpoint["scheduler"] = state.scheduler.state_dict()
    if _has_state(state.train_loader):
        checkpoint["train_loader"] = state.train_loader.state_dict()
    if _has_state(state.val_loader):
        checkpoint["val_loader"] = state.val_loader.state_dict()
    callback_states = {}
    for index, callback in enumerate(state.callbacks):
        callback_state = callback.state_dict()
        if callback_state:
            callback_states[_callback_key(index, callback)] = callback_state
    if callback_states:
        checkpoint["callbacks"] = callback_states
    return checkpoint


def _check_checkpoint(checkpoint, path, *, optimizer, scheduler, train_loader) -> None:
    """Refuse a file that is not a training checkpoint or does not match what was passed."""
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise ValueError(
            f"{os.fspath(path)!r} is not a tinygrad_opt training checkpoint (expected a dict "
            f"with format={FORMAT!r}, as written by train.save_checkpoint or ModelCheckpoint)"
        )
    version = int(checkpoint.get("version", -1))
    if version != VERSION:
        raise ValueError(
            f"{os.fspath(path)!r}: training checkpoint version {version} is not supported "
            f"(this tinygrad_opt reads version {VERSION})"
        )
    for key in ("model", "rng", "progress"):
        if key not in checkpoint:
            raise ValueError(f"{os.fspath(path)!r}: training checkpoint lacks {key!r}")
    pairs = (("optimizer", optimizer), ("scheduler", scheduler))
    for key, obj in pairs:
        if obj is not None and key not in checkpoint:
            raise ValueError(
                f"{os.fspath(path)!r} holds no {key} state, but a {key} was passed to resume; "
                f"pass {key}=None or use a checkpoint saved with one"
            )
    if scheduler is None and "scheduler" in checkpoint:
        raise ValueError(
            f"{os.fspath(path)!r} holds scheduler state but no scheduler was passed; pass the "
            "same kind of scheduler the run was saved with"
        )
    if "train_loader" in checkpoint and train_loader is not None and not _has_state(train_loader):
        raise TypeError(
            f"{os.fspath(path)!r} holds data-loader state but {type(train_loader).__name__} has "
            "no load_state_dict(); pass the DataLoader the run was saved with"
        )


def _progress(checkpoint: dict) -> dict:
    progress = checkpoint["progress"]
    missing = [key for key in _PROGRESS_KEYS if key not in progress]
    if missing:
        raise ValueError(f"training checkpoint: progress lacks {missing}")
    result = {key: int(progress[key]) for key in _PROGRESS_KEYS if key != "epoch_loss_sum"}
    result["epoch_loss_sum"] = float(progress["epoch_loss_sum"])
    return result


def _load_components(
    checkpoint, model, optimizer, scheduler, train_loader, history, val_loader=None
) -> None:
    """Load every part, or none: a part that refuses its state (another optimizer, a loader
    with another batch size) raises after the parts before it were loaded, so those are put
    back and a rejected checkpoint leaves the run as it was."""
    rng = json.loads(checkpoint["rng"])
    parts = (("model", model), ("optimizer", optimizer), ("scheduler", scheduler),
             ("train_loader", train_loader), ("history", history),
             ("val_loader", val_loader if _has_state(val_loader) else None))
    loaded = []
    try:
        for key, obj in parts:
            if obj is not None and key in checkpoint:
                before = copy.deepcopy(obj.state_dict())
                obj.load_state_dict(checkpoint[key])
                loaded.append((obj, before))
    except Exception:
        for obj, before in reversed(loaded):
            obj.load_state_dict(before)
        raise
    package_random.set_rng_state(rng)


def restore_state(state: TrainState, path) -> dict:
    """Load a checkpoint into a live `fit` run (model, optimizer, ..., counters, history).

    Returns the saved RNG state, for `fit` to set again after fast-forwarding a loader that
    has no `state_dict` (drawing batches may consume random numbers).
    """
    checkpoint = _serialization().load(path)
    _check_checkpoint(
        checkpoint,
        path,
        optimizer=state.optimizer,
        scheduler=state.scheduler,
        train_loader=state.train_loader,
    )
    progress = _progress(checkpoint)
    _load_components(checkpoint, state.model, state.optimizer, state.scheduler, state.train_loader,
                     state.history, state.val_loader)
    for key, value in progress.items():
        setattr(state, key, value)
    saved_callbacks = checkpoint.get("callbacks", {})
    for index, callback in enumerate(state.callbacks):
        callback_state = saved_callbacks.get(_callback_key(index, callback))
        if callback_state:
            callback.load_state_dict(callback_state)
    return json.loads(checkpoint["rng"])


def save_checkpoint(
    path: str | os.PathLike,
    model,
    optimizer=None,
    *,
    scheduler=None,
    train_loader=None,
    epoch: int = 0,
    global_step: int = 0,
    history: History | None = None,
) -> None:
    """Save a training checkpoint for use outside `fit` (a hand-written loop).

    `epoch` is the number of finished epochs and `global_step` the optimizer steps taken;
    pass `resume_from=path` to `fit` (or call `load_checkpoint`) to continue. Written
    atomically by `tinygrad_opt.save`: a crash mid-save leaves the previous file intact.
    """
    for name, value in (("epoch", epoch), ("global_step", global_step)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"save_checkpoint: {name} must be a non-negative int, got {value!r}")

    class _NoOptimizer:
        @staticmethod
        def state_dict() -> dict:
            return {}

    state = TrainState(
        model=model,
        loss_fn=None,
        optimizer=optimizer if optimizer is not None else _NoOptimizer(),
        train_loader=train_loader,
        epochs=epoch,
        scheduler=scheduler,
        history=history if history is not None else History(),
        epoch=epoch,
        global_step=global_step,
    )
    checkpoint = state_to_checkpoint(state)
    if optimizer is None:
        del checkpoint["optimizer"]
    _serialization().save(checkpoint, path)


def load_checkpoint(
    path: str | os.PathLike,
    model,
    optimizer=None,
    *,
    scheduler=None,
    train_loader=None,
    history: History | None = None,
) -> dict:
    """Load a training checkpoint into the given objects and the package RNG.

    Returns the progress counters: `epoch` (finished epochs), `global_step`,
    `batch_in_epoch` (non-zero for a checkpoint taken mid-epoch). The file is checked
    against what was passed (a scheduler given for a checkpoint without one, and the
    reverse, is a ValueError) before anything is modified, and a state one of the objects
    refuses (another kind of optimizer, a loader with another batch size) changes none of them.
    """
    checkpoint = _serialization().load(path)
    _check_checkpoint(
        checkpoint, path, optimizer=optimizer, scheduler=scheduler, train_loader=train_loader
    )
    progress = _progress(checkpoint)
    _load_components(checkpoint, model, optimizer, scheduler, train_loader, history)
    return {key: progress[key] for key in ("epoch", "global_step", "batch_in_epoch")}
