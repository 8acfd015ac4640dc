"""How `fit`, `evaluate` and `lr_find` read a batch: inputs, target, size, correct count."""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor


def split_batch(batch) -> tuple[tuple, object]:
    """`(x, y)` -> `((x,), y)`; `(x1, x2, y)` -> `((x1, x2), y)`: the last item is the target."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError(
            "a training batch must be a tuple (inputs..., target) as a DataLoader over a "
            f"TensorDataset(x, y) yields, got {type(batch).__name__}"
            + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
        )
    return tuple(batch[:-1]), batch[-1]


def _array(value) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def batch_size(target) -> int:
    """The number of samples in a batch: the target's leading dimension (1 for a scalar)."""
    shape = np.shape(_array(target))
    return int(shape[0]) if shape else 1


def loss_value(loss, where: str) -> float:
    """The Python float of a scalar loss Tensor; a clear error for anything else."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"{where}: loss_fn must return a Tensor, got {type(loss).__name__}")
    if loss.data.size != 1:
        raise ValueError(
            f"{where}: loss_fn must return a scalar (reduction='mean'), got shape {loss.shape}"
        )
    return float(loss.data.reshape(()))


def count_correct(output, target) -> int | None:
    """Correct predictions in a classification batch, or None if it is not one.

    Classification means a 2-D output of class scores (N, C) with C >= 2 and either integer
    labels (N,) or a target of the output's shape (one-hot or probabilities, compared by
    argmax). Anything else (regression, a single logit) has no accuracy.
    """
    scores = _array(output)
    labels = _array(target)
    if scores.ndim != 2 or scores.shape[1] < 2:
        return None
    predicted = scores.argmax(axis=1)
    if labels.shape == scores.shape:
        labels = labels.argmax(axis=1)
    elif labels.shape != predicted.shape or labels.dtype.kind not in "iu":
        return None
    return int(np.count_nonzero(predicted == labels))


def is_finite(value: float) -> bool:
    return math.isfinite(value)
