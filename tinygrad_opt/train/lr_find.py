"""`lr_find`: the learning-rate range test (L. Smith, "Cyclical Learning Rates for Training
Neural Networks", 2017; as popularised by fastai and torch-lr-finder).

Train for up to `num_iter` batches while the learning rate grows exponentially from
`start_lr` to `end_lr`: at iteration i (0-based) every parameter group uses

    lr_i = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))

The loss of each batch (computed before that batch's update at lr_i) is smoothed with an
exponential moving average, `s_0 = loss_0`, `s_i = smooth_f * loss_i + (1 - smooth_f) *
s_{i-1}` (torch-lr-finder's form; no bias correction). The test stops early once
`s_i > diverge_th * min(s_0..s_i)` or a loss is not finite (that point is kept in the curve
if finite, dropped otherwise).

Suggested lr: the point of steepest descent of the smoothed curve, i.e. the lr where
`d s / d log10(lr)` (numpy.gradient over the recorded points) is most negative, searched
only up to the minimum of the smoothed loss (beyond it the curve rises). None when fewer
than 3 points were recorded.

Afterwards the model's weights and train/eval modes, the optimizer's state and
hyperparameters (lrs included), the package RNG and, if it has a `state_dict`, the loader's
position are exactly what they were before, and gradients are cleared: the test leaves no
trace on a run that follows.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass, field

import numpy as np

from .. import random as package_random
from .batch import loss_value, split_batch


@dataclass
class LRFinderResult:
    """`lrs[i]` is the lr of iteration i, `losses[i]` the smoothed loss and `raw_losses[i]`
    the batch loss there; `suggested_lr` as in the module docstring (None if undetermined)."""

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    raw_losses: list[float] = field(default_factory=list)
    suggested_lr: float | None = None
    diverged: bool = False

    def plot(self, path: str | os.PathLike | None = None, *, log_x: bool = True):
        """Draw smoothed loss against lr (log scale), marking the suggestion; return the Figure.

        Saved to `path` when given. Needs matplotlib (`pip install 'tinygrad-opt[plot]'`);
        uses `matplotlib.figure.Figure` directly, so no GUI backend is touched.
        """
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise RuntimeError(
                "LRFinderResult.plot needs matplotlib, which is not installed; install it with "
                "pip install 'tinygrad-opt[plot]' (or pip install matplotlib)"
            ) from None
        if not self.lrs:
            raise ValueError("LRFinderResult.plot: no points were recorded")
        figure = Figure(figsize=(6, 4))
        axes = figure.add_subplot()
        axes.plot(self.lrs, self.losses, label="smoothed loss")
        if log_x:
            axes.set_xscale("log")
        if self.suggested_lr is not None:
            axes.axvline(
                self.suggested_lr, color="tab:red", linestyle="--",
                label=f"suggested lr {self.suggested_lr:.2e}",
            )
        axes.set_xlabel("learning rate")
        axes.set_ylabel("loss")
        axes.set_title("LR range test")
        axes.legend()
        figure.tight_layout()
        if path is not None:
            figure.savefig(os.fspath(path))
        return figure


def suggest_lr(lrs, losses) -> float | None:
    """Steepest descent of `losses` against log10(lrs), up to the minimum (module docstring)."""
    lrs = np.asarray(lrs, dtype=np.float64)
    losses = np.asarray(losses, dtype=np.float64)
    if lrs.size < 3:
        return None
    end = int(np.argmin(losses)) + 1
    if end < 2:
        return None
    slopes = np.gradient(losses[:end], np.log10(lrs[:end]))
    return float(lrs[int(np.argmin(slopes))])


def _check(start_lr, end_lr, num_iter, smooth_f, diverge_th) -> None:
    def number(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    if not number(start_lr) or not start_lr > 0:
        raise ValueError(f"lr_find: start_lr must be a number > 0, got {start_lr!r}")
    if not number(end_lr) or not end_lr > start_lr:
        raise ValueError(f"lr_find: end_lr must be a number > start_lr={start_lr}, got {end_lr!r}")
    if isinstance(num_iter, bool) or not isinstance(num_iter, int) or num_iter < 2:
        raise ValueError(f"lr_find: num_iter must be an int >= 2, got {num_iter!r}")
    if not number(smooth_f) or not 0 < smooth_f <= 1:
        raise ValueError(f"lr_find: smooth_f must be in (0, 1], got {smooth_f!r}")
    if not number(diverge_th) or not diverge_th > 1:
        raise ValueError(f"lr_find: diverge_th must be a number > 1, got {diverge_th!r}")


def _batches(loader):
    """Cycle through the loader for as long as needed."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("lr_find: the loader yielded no batches")


def lr_find(
    model,
    loss_fn,
    optimizer,
    loader,
    start_lr: float = 1e-7,
    end_lr: float = 10,
    num_iter: int = 100,
    smooth_f: float = 0.05,
    diverge_th: float = 5,
) -> LRFinderResult:
    """Run the LR range test and restore everything afterwards (see the module docstring).

    The loader is cycled if it has fewer than `num_iter` batches. Defaults follow
    torch-lr-finder (`smooth_f=0.05`, `diverge_th=5`) and fastai (`start_lr=1e-7`,
    `end_lr=10`, `num_iter=100`).
    """
    _check(start_lr, end_lr, num_iter, smooth_f, diverge_th)
    saved_model = model.state_dict()
    saved_modes = [(module, module.training) for module in model.modules()]
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    # not in state_dict: the steps skip_nonfinite=True skipped during the test must not count
    saved_skipped = getattr(optimizer, "skipped_steps", None)
    saved_rng = package_random.get_rng_state()
    loader_has_state = callable(getattr(loader, "state_dict", None))
    saved_loader = copy.deepcopy(loader.state_dict()) if loader_has_state else None
    result = LRFinderResult()
    ratio = end_lr / start_lr
    try:
        model.train()
        optimizer.zero_grad()
        best = math.inf
        batches = _batches(loader)
        for i in range(num_iter):
            lr = start_lr * ratio ** (i / (num_iter - 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            inputs, target = split_batch(next(batches))
            loss = loss_fn(model(*inputs), target)
            value = loss_value(loss, "lr_find")
            if not math.isfinite(value):
                result.diverged = True
                break
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            smoothed = value if i == 0 else smooth_f * value + (1 - smooth_f) * result.losses[-1]
            result.lrs.append(lr)
            result.raw_losses.append(value)
            result.losses.append(smoothed)
            best = min(best, smoothed)
            if smoothed > diverge_th * best:
                result.diverged = True
                break
        batches.close()
    finally:
        model.load_state_dict(saved_model)
        for module, training in saved_modes:
            module.training = training
        optimizer.load_state_dict(saved_optimizer)
        optimizer.zero_grad()
        if saved_skipped is not None:
            optimizer.skipped_steps = saved_skipped
        package_random.set_rng_state(saved_rng)
        if loader_has_state:
            loader.load_state_dict(saved_loader)
    result.suggested_lr = suggest_lr(result.lrs, result.losses)
    return result
