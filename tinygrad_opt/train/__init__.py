"""The training loop, callbacks and LR finder (`tinygrad_opt.train`).

- `fit(model, loss_fn, optimizer, train_loader, epochs=1, *, ...) -> History` (fit.py)
- `evaluate(model, loader, loss_fn) -> {"loss", "accuracy"}` (evaluate.py)
- `lr_find(model, loss_fn, optimizer, loader, ...) -> LRFinderResult` (lr_find.py)
- `save_checkpoint` / `load_checkpoint`: full training state (checkpoint.py)
- callbacks: `Callback`, `EarlyStopping`, `ModelCheckpoint`, `GradNormMonitor`,
  `MetricsLogger` (callbacks.py)
"""

from . import callbacks
from .callbacks import Callback, EarlyStopping, GradNormMonitor, MetricsLogger, ModelCheckpoint
from .checkpoint import load_checkpoint, save_checkpoint
from .evaluate import evaluate
from .fit import fit
from .history import History
from .lr_find import LRFinderResult, lr_find
from .state import TrainState

__all__ = [
    "fit",
    "evaluate",
    "lr_find",
    "LRFinderResult",
    "History",
    "TrainState",
    "callbacks",
    "Callback",
    "EarlyStopping",
    "ModelCheckpoint",
    "GradNormMonitor",
    "MetricsLogger",
    "save_checkpoint",
    "load_checkpoint",
]
