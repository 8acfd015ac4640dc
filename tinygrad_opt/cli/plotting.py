"""Pictures for the subcommands, drawn with matplotlib's Agg backend (no display needed).

matplotlib is the optional `plot` extra: without it `pyplot()` returns None, the commands
print their tables anyway and tell the user how to get the pictures.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

PLOT_HINT = "install tinygrad-opt[plot] for the pictures (pip install 'tinygrad-opt[plot]')"


def pyplot():
    """matplotlib.pyplot on the Agg backend, or None when matplotlib is not installed."""
    if os.environ.get("TINYGRAD_OPT_NO_PLOT"):  # lets tests exercise the no-matplotlib path
        return None
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def smooth(values, beta: float = 0.9) -> np.ndarray:
    """Bias-corrected exponential moving average, as loss curves are usually shown."""
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values)
    average = 0.0
    for i, v in enumerate(values):
        average = beta * average + (1 - beta) * v
        out[i] = average / (1 - beta ** (i + 1))
    return out


def save(fig, path: Path) -> Path:
    """Write `fig` as a PNG to `path` (creating its folder) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def loss_curves(plt, curves: dict[str, np.ndarray], title: str, path: Path) -> Path:
    """Per-step training loss (smoothed; log scale if it spans a decade) per optimizer."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, losses in curves.items():
        losses = np.asarray(losses, dtype=np.float64)
        finite = np.isfinite(losses)
        if not finite.any():
            continue
        steps = np.arange(1, len(losses) + 1)[finite]
        ax.plot(steps, smooth(losses[finite]), label=label, linewidth=1.6)
    finite = np.concatenate([np.asarray(v, dtype=np.float64) for v in curves.values()])
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size and finite.max() > 10 * finite.min():  # log only when it spans a decade
        from matplotlib import ticker

        ax.set_yscale("log")
        ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        # 0.5, not 5x10^-1
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (smoothed)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return save(fig, path)


def race_paths(plt, function, paths: dict[str, np.ndarray], path: Path) -> Path:
    """Contour plot of a 2-D test function with each optimizer's path drawn over it."""
    from matplotlib import colors

    grid_x, grid_y, grid_z = function.grid(300)
    # Log-spaced levels of f - min: valleys stay visible next to steep walls.
    height = np.maximum(grid_z - function.min_value, 0.0) + 1e-3
    levels = np.logspace(np.log10(height.min()), np.log10(height.max()), 30)
    fig, ax = plt.subplots(figsize=(7, 5.5))
    ax.contourf(grid_x, grid_y, height, levels=levels, norm=colors.LogNorm(), cmap="Blues_r",
                alpha=0.35)
    ax.contour(grid_x, grid_y, height, levels=levels, norm=colors.LogNorm(), cmap="Blues_r",
               linewidths=0.5)
    for label, points in paths.items():
        points = np.asarray(points, dtype=np.float64)
        points = points[np.all(np.isfinite(points), axis=1)]
        ax.plot(points[:, 0], points[:, 1], label=label, linewidth=1.5, marker=".",
                markersize=2)
    ax.plot(*function.start, "ko", markersize=6, label="start")
    for i, (mx, my) in enumerate(function.minima):
        ax.plot(mx, my, "r*", markersize=14, label="minimum" if i == 0 else None)
    ax.set_xlim(*function.xlim)
    ax.set_ylim(*function.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{function.name}: {function.description}")
    ax.legend(loc="best", fontsize=8)
    return save(fig, path)


def lr_curve(plt, lrs, losses, suggestion: float | None, path: Path) -> Path:
    """Loss against learning rate (log x axis) with the suggested rate marked."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(lrs, losses, linewidth=1.6)
    if suggestion is not None and np.isfinite(suggestion):
        ax.axvline(suggestion, color="red", linestyle="--", label=f"suggested lr {suggestion:.2g}")
        ax.legend()
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss (smoothed)")
    ax.set_title("LR range test")
    ax.grid(True, which="both", alpha=0.3)
    return save(fig, path)


def schedule_panels(plt, curves: dict[str, np.ndarray], path: Path,
                    plateau_loss: np.ndarray | None = None) -> Path:
    """One small panel per learning-rate schedule (lr against step, shared axes); the
    plateau panel also draws the loss it watches, on an axis of its own."""
    columns = min(5, len(curves))
    rows = -(-len(curves) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.9 * columns, 2.3 * rows),
                             sharex=True, sharey=True, squeeze=False)
    for ax, (name, lrs) in zip(axes.flat, curves.items()):
        ax.plot(np.arange(len(lrs)), lrs, linewidth=1.6)
        ax.set_title(name, fontsize=10)
        ax.grid(True, alpha=0.3)
        if name == "plateau" and plateau_loss is not None:
            loss_ax = ax.twinx()
            loss_ax.plot(plateau_loss, color="gray", linewidth=1, linestyle="--")
            loss_ax.set_yticks([])
            ax.plot([], [], color="gray", linewidth=1, linestyle="--", label="loss it watches")
            ax.legend(fontsize=7, loc="upper right")
    for ax in axes.flat[len(curves):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("step")
    for ax in axes[:, 0]:
        ax.set_ylabel("lr")
    fig.suptitle("learning-rate schedules", fontsize=12)
    fig.tight_layout()
    return save(fig, path)
