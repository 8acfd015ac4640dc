"""The rows of an embedding table that `sparse=True` lookups touched, for SparseAdam.

In PyTorch, `Embedding(sparse=True)` gives its weight a sparse gradient: the looked-up rows
(padding_idx left out) and their values; SparseAdam then updates only those rows. Gradients
here are dense numpy arrays, so such a weight gets the same dense gradient as without
`sparse`, and the rows are kept on the side, per weight, until its gradient is reset:

- `record` adds the rows of one lookup's backward. Rows recorded during the same backward
  pass, or while the weight's `.grad` already holds an earlier pass's gradient, add up (as
  PyTorch's sparse gradients accumulate); a pass that finds `.grad` reset to None starts
  afresh. Passes that accumulate nothing (`autograd.grad`) record nothing.
- `clear` forgets them when `zero_grad` resets the gradients (zeroed in place, a sparse
  gradient stays one, with no rows, as in PyTorch).
- `rows` returns them (sorted, unique) for SparseAdam's step; they stay while the gradient
  does, so a second step on the same gradient moves the same rows, as in PyTorch.
"""

from __future__ import annotations

import weakref

import numpy as np

from .tensor import Tensor, _claims

# id(weight) -> [weak reference to weight, rows, token of the backward pass that last
# recorded]. Keyed by id: a WeakKeyDictionary compares colliding keys with ==, which is
# elementwise for tensors; the reference's callback drops the entry of a dropped weight.
_ROWS: dict[int, list] = {}


def _entry(weight: Tensor) -> list | None:
    entry = _ROWS.get(id(weight))
    return entry if entry is not None and entry[0]() is weight else None


def record(weight: Tensor, rows: np.ndarray) -> None:
    """Note that a backward pass gives `weight` a gradient in `rows` (see the module doc)."""
    token = _claims.claimed  # a fresh set per accumulating backward pass, None otherwise
    if token is None:
        return
    rows = np.unique(rows).astype(np.int64, copy=False)
    entry = _entry(weight)
    if entry is not None and (entry[2] is token or weight.grad is not None):
        entry[1] = np.union1d(entry[1], rows)
        entry[2] = token
    else:
        key = id(weight)
        _ROWS[key] = [weakref.ref(weight, lambda _, key=key: _ROWS.pop(key, None)), rows, token]


def has(weight: Tensor) -> bool:
    """Whether `weight`'s gradient came from sparse lookups since it was last reset."""
    return _entry(weight) is not None


def rows(weight: Tensor) -> np.ndarray:
    """The rows recorded for `weight`'s current gradient (sorted, unique; empty if none)."""
    entry = _entry(weight)
    return np.empty(0, dtype=np.int64) if entry is None else entry[1]


def clear(params, set_to_none: bool = True) -> None:
    """After `zero_grad` reset the gradients of `params`: with set_to_none they are gone,
    so are their rows; zeroed in place, a sparse gradient becomes an empty one (no rows, as
    PyTorch's zeroed sparse gradient), which later passes add to."""
    if not _ROWS:  # the usual case, no sparse lookups anywhere: one test
        return
    for p in params:
        entry = _entry(p)
        if entry is None:
            continue
        if set_to_none:
            del _ROWS[id(p)]
        else:
            entry[1] = np.empty(0, dtype=np.int64)
            entry[2] = None
