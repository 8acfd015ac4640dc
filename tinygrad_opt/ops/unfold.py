"""Tensor.unfold(dimension, size, step): the windows x[..., i*step : i*step + size, ...] along
`dimension`, stacked so that `dimension` counts the windows and a new last dimension of
length `size` runs inside each (torch.Tensor.unfold; not nn.functional.unfold, which is in
nn/fold.py). The result is a numpy strided view of x, so later in-place changes of x show
through, as torch. Deviation: the view is read-only (torch lets a non-overlapping one be
written); clone() it to write. The gradient adds each window's part back where it came from
(windows that overlap add up).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .axes import normalize_axis
from .rearrange import _int


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Sliding windows of `size` every `step` along `dimension`; (n - size) // step + 1 of
    them (a 0-d x acts as one element)."""
    a = x.data
    ax = normalize_axis("unfold", dimension, a.ndim)
    size = _int("unfold", "size", size)
    step = _int("unfold", "step", step)
    if size < 0:
        raise ValueError(f"unfold: size must be >= 0, got {size}")
    if step <= 0:
        raise ValueError(f"unfold: step must be > 0, got {step}")
    base = a.reshape(1) if a.ndim == 0 else a
    n = base.shape[ax]
    if size > n:
        raise ValueError(
            f"unfold: size {size} is larger than dimension {dimension}, of size {n}"
        )
    count = (n - size) // step + 1
    windows = np.lib.stride_tricks.sliding_window_view(base, size, axis=ax)
    out = windows[(slice(None),) * ax + (slice(None, None, step),)]
    if a.ndim == 0:
        out = out[0]  # torch: the one window of a 0-d tensor, shape (size,)

    def backward(g):
        if a.ndim == 0:
            g = g[None]
        grad = np.zeros(base.shape, dtype=g.dtype)
        lead = (slice(None),) * ax
        # one slab add per window tap or per window, whichever is fewer
        if size <= count:
            for k in range(size):
                grad[lead + (slice(k, k + (count - 1) * step + 1, step),)] += g[..., k]
        else:
            moved = np.moveaxis(grad, ax, -1)
            parts = np.moveaxis(g, ax, -2)
            for i in range(count):
                moved[..., i * step : i * step + size] += parts[..., i, :]
        return (grad.reshape(a.shape),)

    return Tensor.make(out, (x,), backward)
