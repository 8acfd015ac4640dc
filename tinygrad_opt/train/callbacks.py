"""Callbacks for `fit`: early stopping, checkpoints, per-layer gradient norms, metrics logs.

A callback overrides any of the hooks below; each receives the live `TrainState` (model,
optimizer, counters, history, and the `stop_training` flag a callback may set). The logs of
a step hold `step`, `epoch`, `loss`, `lr` (and `grad_norm` at `on_step_end`); the logs of an
epoch hold `epoch`, `train_loss`, `lr`, `seconds`, `samples_per_second` and, when
available, `train_accuracy`, `val_loss`, `val_accuracy`. Callbacks whose progress matters
for resuming (EarlyStopping's best value, for instance) return it from `state_dict()`, and
training checkpoints carry it.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numpy as np

from .state import TrainState


class Callback:
    """Base class; every hook does nothing unless overridden."""

    def on_train_begin(self, state: TrainState) -> None:
        """Called once before the first epoch (after a resume has been loaded)."""

    def on_epoch_begin(self, state: TrainState) -> None:
        """Called at the start of each epoch, in training mode."""

    def on_before_step(self, state: TrainState, logs: dict) -> None:
        """Gradients are final (accumulated and averaged), not yet clipped or applied."""

    def on_step_end(self, state: TrainState, logs: dict) -> None:
        """After each optimizer step (and the per-step scheduler step)."""

    def on_epoch_end(self, state: TrainState, logs: dict) -> None:
        """After validation and the per-epoch scheduler step; `state.epoch` is already advanced."""

    def on_train_end(self, state: TrainState) -> None:
        """Called once when training ends normally or through `stop_training`."""

    def state_dict(self) -> dict:
        """Progress to keep in a training checkpoint; empty when there is none."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what `state_dict` returned."""


def _resolve_mode(mode: str, monitor: str, owner: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode


def _monitored(logs: dict, monitor: str, owner: str) -> float:
    if monitor not in logs:
        hint = ""
        if monitor.startswith("val"):
            hint = " (pass val_loader= to fit for validation metrics)"
        raise RuntimeError(
            f"{owner} monitors {monitor!r}, but the epoch logs hold only {sorted(logs)}{hint}"
        )
    return float(logs[monitor])


class _Improvement:
    """Tracks the best value of a metric: better means lower (min) or higher (max) by min_delta."""

    def __init__(self, mode: str, min_delta: float) -> None:
        self.mode = mode
        self.min_delta = min_delta
        self.best = math.inf if mode == "min" else -math.inf

    def improves(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop training when an epoch metric has stopped improving (Keras' EarlyStopping).

    `monitor` is a key of the epoch logs (default "val_loss"); an improvement is a change
    by more than `min_delta` in the direction of `mode` ("min", "max", or "auto": "max" for
    names containing "acc", else "min"). Training stops once `patience` epochs in a row
    did not improve (with Keras' counting: patience 0 and 1 both stop at the first such
    epoch). With `restore_best=True` the model weights of the best epoch are loaded back
    when training ends, whether or not it stopped early (Keras restores only on an early
    stop). `best`, `best_epoch` (1-based) and `stopped_epoch` (0 if it never stopped) are
    readable afterwards. A NaN metric counts as no improvement.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = False,
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        if not isinstance(min_delta, (int, float)) or not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got {min_delta!r}")
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: monitor must be a str, got {type(monitor).__name__}")
        self.monitor = monitor
        self.patience = patience
        self.restore_best = bool(restore_best)
        mode = _resolve_mode(mode, monitor, "EarlyStopping")
        self._tracker = _Improvement(mode, float(min_delta))
        self.wait = 0
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.best_weights: dict | None = None

    @property
    def best(self) -> float:
        return self._tracker.best

    def on_epoch_end(self, state: TrainState, logs: dict) -> None:
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if self._tracker.improves(value):
            self._tracker.best = value
            self.best_epoch = int(logs["epoch"])
            self.wait = 0
            if self.restore_best:
                self.best_weights = state.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = int(logs["epoch"])
            state.stop_training = True

    def on_train_end(self, state: TrainState) -> None:
        if self.restore_best and self.best_weights is not None:
            state.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict:
        state = {
            "best": float(self._tracker.best),
            "wait": int(self.wait),
            "best_epoch": int(self.best_epoch),
            "stopped_epoch": int(self.stopped_epoch),
        }
        if self.best_weights is not None:
            state["best_weights"] = self.best_weights
        return state

    def load_state_dict(self, state: dict) -> None:
        self._tracker.best = float(state["best"])
        self.wait = int(state["wait"])
        self.best_epoch = int(state["best_epoch"])
        self.stopped_epoch = int(state["stopped_epoch"])
        self.best_weights = state.get("best_weights")


def _positive_int_or_none(value, name: str, owner: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int or None, got {value!r}")
    return value


class ModelCheckpoint(Callback):
    """Save the full training state (see `train.checkpoint`) every N epochs and/or N steps.

    `path` may hold `{epoch}` and `{step}` fields (e.g. "runs/ckpt-{epoch:02d}.tgo"; epoch
    is 1-based, the epoch finished or running, step the optimizer steps taken); without
    them every save replaces the previous file, atomically. Defaults to every epoch. With
    `save_best_only=True` an epoch-end save happens only when `monitor` improved (as
    Keras' ModelCheckpoint; `mode` as in EarlyStopping). Resume with
    `fit(..., resume_from=path)`. `saved` lists the files written.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        every_n_epochs: int | None = None,
        every_n_steps: int | None = None,
        save_best_only: bool = False,
        monitor: str = "val_loss",
        mode: str = "auto",
    ) -> None:
        self.path = os.fspath(path)
        try:
            self.path.format(epoch=1, step=1)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint: path {self.path!r} may only use the fields {{epoch}} and "
                f"{{step}}: {error}"
            ) from None
        owner = "ModelCheckpoint"
        self.every_n_steps = _positive_int_or_none(every_n_steps, "every_n_steps", owner)
        every_n_epochs = _positive_int_or_none(every_n_epochs, "every_n_epochs", owner)
        if every_n_epochs is None and self.every_n_steps is None:
            every_n_epochs = 1
        self.every_n_epochs = every_n_epochs
        self.save_best_only = bool(save_best_only)
        self.monitor = monitor
        self._tracker = _Improvement(_resolve_mode(mode, monitor, "ModelCheckpoint"), 0.0)
        self.saved: list[str] = []

    def _save(self, state: TrainState, epoch: int) -> None:
        from .. import serialization
        from .checkpoint import state_to_checkpoint

        target = self.path.format(epoch=epoch, step=state.global_step)
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        serialization.save(state_to_checkpoint(state), target)
        self.saved.append(target)

    def on_step_end(self, state: TrainState, logs: dict) -> None:
        if self.every_n_steps is not None and state.global_step % self.every_n_steps == 0:
            self._save(state, state.epoch + 1)

    def on_epoch_end(self, state: TrainState, logs: dict) -> None:
        if self.every_n_epochs is None or state.epoch % self.every_n_epochs != 0:
            return
        if self.save_best_only:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            if not self._tracker.improves(value):
                return
            self._tracker.best = value
        self._save(state, state.epoch)

    def state_dict(self) -> dict:
        return {"best": float(self._tracker.best)} if self.save_best_only else {}

    def load_state_dict(self, state: dict) -> None:
        if "best" in state:
            self._tracker.best = float(state["best"])


def _layer_name(parameter_name: str) -> str:
    return parameter_name.rsplit(".", 1)[0] if "." in parameter_name else parameter_name


class GradNormMonitor(Callback):
    """Record the L2 norm of each layer's gradient every `every_n_steps` optimizer steps.

    A layer is the module that owns the parameters (the parameter name up to its last dot:
    "0.weight" and "0.bias" form layer "0"); its norm is that of all its gradients joined.
    Norms are taken after accumulation and averaging, before clipping. `steps` lists the
    global steps measured and `norms[layer]` the values; each is also added to the step logs
    as "grad_norm/<layer>" (so a step-interval MetricsLogger writes them).
    """

    def __init__(self, every_n_steps: int = 1) -> None:
        valid = isinstance(every_n_steps, int) and not isinstance(every_n_steps, bool)
        if not valid or every_n_steps < 1:
            raise ValueError(
                f"GradNormMonitor: every_n_steps must be a positive int, got {every_n_steps!r}"
            )
        self.every_n_steps = every_n_steps
        self.steps: list[int] = []
        self.norms: dict[str, list[float]] = {}

    def on_before_step(self, state: TrainState, logs: dict) -> None:
        step = int(logs["step"])
        if step % self.every_n_steps != 0:
            return
        squares: dict[str, float] = {}
        for name, parameter in state.model.named_parameters():
            if parameter.grad is None:
                continue
            grad = np.asarray(parameter.grad, dtype=np.float64)
            layer = _layer_name(name)
            squares[layer] = squares.get(layer, 0.0) + float(np.vdot(grad, grad))
        self.steps.append(step)
        done = len(self.steps) - 1
        for layer, square in squares.items():
            norm = math.sqrt(square)
            self.norms.setdefault(layer, [math.nan] * done).append(norm)
            logs[f"grad_norm/{layer}"] = norm
        for column in self.norms.values():
            if len(column) == done:
                column.append(math.nan)


class MetricsLogger(Callback):
    """Append the logs of every epoch (or every optimizer step) to a CSV or JSON-lines file.

    `interval` is "epoch" (default) or "step". The format follows the suffix (".csv" is
    CSV, ".jsonl"/".json"/".ndjson" JSON lines) unless `fmt` says "csv" or "jsonl". The file
    is started afresh when training begins, except when `append=True` or when `fit` resumes
    from a checkpoint, which continue it (a resume without `append=True` first cuts the
    trailing rows logged after its checkpoint, which it logs again). Each row is written
    and flushed as it happens, so a crash loses nothing already logged. CSV columns are
    fixed by the first row (later keys are dropped; use JSON lines for varying keys); JSON
    lines write NaN and Inf as null.
    """

    _JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")

    def __init__(
        self,
        path: str | os.PathLike,
        interval: str = "epoch",
        fmt: str | None = None,
        append: bool = False,
    ) -> None:
        if interval not in ("epoch", "step"):
            raise ValueError(f"MetricsLogger: interval must be 'epoch' or 'step', got {interval!r}")
        self.path = Path(path)
        if fmt is None:
            suffix = self.path.suffix.lower()
            if suffix == ".csv":
                fmt = "csv"
            elif suffix in self._JSON_SUFFIXES:
                fmt = "jsonl"
            else:
                raise ValueError(
                    f"MetricsLogger: cannot tell the format of {str(self.path)!r}; use a .csv or "
                    ".jsonl suffix or pass fmt='csv' or fmt='jsonl'"
                )
        if fmt not in ("csv", "jsonl"):
            raise ValueError(f"MetricsLogger: fmt must be 'csv' or 'jsonl', got {fmt!r}")
        self.interval = interval
        self.fmt = fmt
        self.append = bool(append)
        self._columns: list[str] | None = None

    def on_train_begin(self, state: TrainState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        resuming = state.global_step > 0 or state.epoch > 0
        self._columns = None
        if (self.append or resuming) and self.path.exists():
            if resuming and not self.append:  # append=True keeps every row it finds
                self._drop_rows_after(state)
            if self.fmt == "csv":
                with self.path.open(newline="") as file:
                    header = next(csv.reader(file), None)
                self._columns = header or None
            return
        self.path.write_text("")

    def _drop_rows_after(self, state: TrainState) -> None:
        """Cut the trailing rows logged after the checkpoint being resumed from (by a session
        that went on, then crashed): the resumed run logs those steps or epochs again. One
        truncate, so the rows before them cannot be lost."""
        key, last = ("step", state.global_step) if self.interval == "step" else ("epoch",
                                                                                state.epoch)
        lines = self.path.read_bytes().splitlines(keepends=True)
        if self.fmt == "csv":
            header = next(csv.reader([lines[0].decode(errors="replace")]), []) if lines else []
            if key not in header:
                return
            column = header.index(key)
            rows = [next(csv.reader([line.decode(errors="replace")]), []) for line in lines[1:]]
            values = [row[column] if column < len(row) else None for row in rows]
        else:
            values = [_json_field(line, key) for line in lines]
        keep = len(values)
        while keep and _number(values[keep - 1]) > last:  # nan (unreadable) compares False
            keep -= 1
        if keep < len(values):
            kept_lines = lines[: keep + 1] if self.fmt == "csv" else lines[:keep]
            os.truncate(self.path, sum(len(line) for line in kept_lines))

    def _write(self, logs: dict) -> None:
        row = {key: _plain(value) for key, value in logs.items()}
        with self.path.open("a", newline="") as file:
            if self.fmt == "jsonl":
                file.write(json.dumps(row, allow_nan=False) + "\n")
                return
            if self._columns is None:
                self._columns = list(row)
                csv.writer(file).writerow(self._columns)
            writer = csv.DictWriter(file, self._columns, restval="", extrasaction="ignore")
            writer.writerow({key: "" if value is None else value for key, value in row.items()})

    def on_step_end(self, state: TrainState, logs: dict) -> None:
        if self.interval == "step":
            self._write(logs)

    def on_epoch_end(self, state: TrainState, logs: dict) -> None:
        if self.interval == "epoch":
            self._write(logs)


def _json_field(line: bytes, key: str):
    try:
        row = json.loads(line)
    except ValueError:  # a line cut short by a crash
        return None
    return row.get(key) if isinstance(row, dict) else None


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _plain(value):
    """A JSON-safe Python scalar: ints stay ints, non-finite floats become None."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return str(value)
