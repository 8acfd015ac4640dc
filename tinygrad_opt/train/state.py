"""`TrainState`: the live state of a `fit` run, as callbacks and checkpoints see it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .history import History


@dataclass
class TrainState:
    """Everything a callback may read, plus the `stop_training` flag it may set.

    Counters: `epoch` is the 0-based index of the running epoch (between epochs it equals the
    number of finished epochs), `batch_in_epoch` the batches consumed in it, `global_step`
    the optimizer steps taken so far (skipped non-finite steps excluded). The `epoch_*` sums
    build the epoch's mean training loss and accuracy; they are saved in mid-epoch
    checkpoints so a resumed epoch reports the same numbers.
    """

    model: object
    loss_fn: object
    optimizer: object
    train_loader: object
    epochs: int
    scheduler: object = None
    scheduler_interval: str | None = None
    val_loader: object = None
    history: History = field(default_factory=History)
    callbacks: list = field(default_factory=list)
    epoch: int = 0
    batch_in_epoch: int = 0
    global_step: int = 0
    stop_training: bool = False
    epoch_loss_sum: float = 0.0
    epoch_samples: int = 0
    epoch_correct: int = 0
    epoch_labelled: int = 0

    def reset_epoch_sums(self) -> None:
        self.batch_in_epoch = 0
        self.epoch_loss_sum = 0.0
        self.epoch_samples = 0
        self.epoch_correct = 0
        self.epoch_labelled = 0
