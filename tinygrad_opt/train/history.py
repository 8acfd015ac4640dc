"""`History`: what `fit` records, per optimizer step and per epoch."""

from __future__ import annotations

import math

import numpy as np

STEP_KEYS = ("step", "epoch", "loss", "lr", "grad_norm")


class History:
    """Columns of numbers recorded by `fit`, one table per step and one per epoch.

    `steps[key]` has one entry per optimizer step (`step` 1-based, `epoch` 1-based, `loss` =
    the sample-weighted mean loss of the batches that made the step, `lr` = the first
    parameter group's lr used by the step, `grad_norm` = the global L2 gradient norm before
    clipping). `epochs[key]` has one entry per epoch (`epoch`, `train_loss`, `lr`,
    `seconds`, `samples_per_second` and, when available, `train_accuracy`, `val_loss`,
    `val_accuracy`); a key first seen in a later epoch is padded with NaN so all columns stay
    aligned. `history` is a Keras-style alias of `epochs`. `skipped_steps` counts steps left
    out because the loss or gradients were not finite (optimizers built with
    `skip_nonfinite=True`); `stopped_early` is set when a callback ended training.
    """

    def __init__(self) -> None:
        self.steps: dict[str, list[float]] = {key: [] for key in STEP_KEYS}
        self.epochs: dict[str, list[float]] = {}
        self.skipped_steps = 0
        self.stopped_early = False

    # ------------------------------------------------------------------ recording
    def record_step(self, logs: dict) -> None:
        """Append one optimizer step; `logs` must hold every key of `STEP_KEYS`."""
        missing = [key for key in STEP_KEYS if key not in logs]
        if missing:
            raise ValueError(f"History.record_step: missing keys {missing}; expected {STEP_KEYS}")
        for key in STEP_KEYS:
            self.steps[key].append(float(logs[key]))

    def record_epoch(self, logs: dict) -> None:
        """Append one epoch of numeric metrics, padding new or absent keys with NaN."""
        done = len(self)
        for key, value in logs.items():
            if key not in self.epochs:
                self.epochs[key] = [math.nan] * done
            self.epochs[key].append(float(value))
        for column in self.epochs.values():
            if len(column) == done:
                column.append(math.nan)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        """The number of recorded epochs."""
        return len(self.epochs.get("epoch", ()))

    @property
    def history(self) -> dict[str, list[float]]:
        return self.epochs

    @property
    def loss(self) -> list[float]:
        return self.steps["loss"]

    @property
    def lr(self) -> list[float]:
        return self.steps["lr"]

    @property
    def grad_norm(self) -> list[float]:
        return self.steps["grad_norm"]

    @property
    def train_loss(self) -> list[float]:
        return self.epochs.get("train_loss", [])

    @property
    def val_loss(self) -> list[float]:
        return self.epochs.get("val_loss", [])

    @property
    def val_accuracy(self) -> list[float]:
        return self.epochs.get("val_accuracy", [])

    def __repr__(self) -> str:
        last = {key: column[-1] for key, column in self.epochs.items() if column}
        shown = ", ".join(f"{key}={value:.4g}" for key, value in last.items())
        return f"History(epochs={len(self)}, steps={len(self.loss)}, last: {shown})"

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """Plain arrays and ints, for `tinygrad_opt.save` in a training checkpoint."""
        def arrays(table: dict[str, list[float]]) -> dict[str, np.ndarray]:
            return {key: np.asarray(column, dtype=np.float64) for key, column in table.items()}

        return {
            "steps": arrays(self.steps),
            "epochs": arrays(self.epochs),
            "skipped_steps": int(self.skipped_steps),
            "stopped_early": int(self.stopped_early),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a `state_dict()`; values may be arrays or lists."""
        for key in ("steps", "epochs", "skipped_steps"):
            if key not in state:
                raise ValueError(f"History.load_state_dict: missing key {key!r}")
        def columns(table: dict) -> dict[str, list[float]]:
            return {key: [float(v) for v in np.asarray(col).ravel()] for key, col in table.items()}

        steps = columns(state["steps"])
        missing = [key for key in STEP_KEYS if key not in steps]
        if missing:
            raise ValueError(f"History.load_state_dict: step columns {missing} are missing")
        self.steps = steps
        self.epochs = columns(state["epochs"])
        self.skipped_steps = int(state["skipped_steps"])
        self.stopped_early = bool(int(state.get("stopped_early", 0)))
