"""The tqdm progress bar of `fit`: one bar per epoch showing loss, lr and throughput."""

from __future__ import annotations

from tqdm.auto import tqdm


def format_postfix(
    loss: float, lr: float, samples_per_second: float, extra: dict | None = None
) -> str:
    """The text after the bar, e.g. "loss=0.2345, lr=0.001, 5,120 samples/s, val_loss=0.1".

    `loss` is the running mean of the epoch so far; `extra` (validation metrics at the end
    of an epoch) is appended with 4 significant digits.
    """
    text = f"loss={loss:.4f}, lr={lr:.3g}, {samples_per_second:,.0f} samples/s"
    for key, value in (extra or {}).items():
        text += f", {key}={value:.4g}"
    return text


def epoch_bar(total: int | None, epoch: int, epochs: int, initial: int, enabled: bool):
    """A bar over the batches of one epoch (disabled: a no-op object with the same methods)."""
    return tqdm(
        total=total,
        initial=initial,
        desc=f"epoch {epoch}/{epochs}",
        unit="batch",
        disable=not enabled,
        leave=True,
        dynamic_ncols=True,
    )
