"""Learning-rate schedules by name for `tinygrad-opt train`, all counted in optimizer steps.

- none: constant lr.
- step: lr times 0.1 after each third of training (StepLR).
- cosine: cosine annealing from lr to 0 over training (CosineAnnealingLR).
- exponential: lr times gamma each step, gamma chosen so the last step is at lr / 100.
- onecycle: Smith's 1cycle up to lr and down again (OneCycleLR; --warmup sets its rise).
- plateau: lr times 0.1 when the validation loss stops improving for 2 epochs.
- cosine-warm-restarts: SGDR with a first period of one epoch, doubling each restart.

--warmup W (not with onecycle or plateau) puts a linear ramp from lr / (W + 1) up to lr in
front of the schedule over the first W optimizer steps (LinearLR then SequentialLR).
"""

from __future__ import annotations

from .common import CLIError

SCHEDULES = ("none", "step", "cosine", "exponential", "onecycle", "plateau",
             "cosine-warm-restarts")


def build(name: str, optimizer, lr: float, total_steps: int, steps_per_epoch: int,
          warmup: int):
    """(scheduler or None, fit's scheduler_interval) for the named schedule."""
    from ..optim import lr_scheduler as sched

    if warmup < 0:
        raise CLIError(f"--warmup must be a non-negative number of steps, got {warmup}")
    if warmup and warmup >= total_steps:
        raise CLIError(
            f"--warmup {warmup} must be shorter than training ({total_steps} optimizer steps)"
        )
    if name == "plateau":
        if warmup:
            raise CLIError("--warmup cannot be combined with --schedule plateau (it is "
                           "stepped per epoch on the validation loss); use another schedule")
        return sched.ReduceLROnPlateau(optimizer, mode="min", factor=0.1, patience=2), "epoch"
    if name == "onecycle":
        pct_start = warmup / total_steps if warmup else 0.3
        return sched.OneCycleLR(optimizer, max_lr=lr, total_steps=total_steps,
                                pct_start=pct_start), "step"
    remaining = total_steps - warmup
    if name == "none":
        main = None
    elif name == "step":
        # rounded up: floor would decay a third time for the last remaining % 3 steps
        main = sched.StepLR(optimizer, step_size=max(1, -(-remaining // 3)), gamma=0.1)
    elif name == "cosine":
        main = sched.CosineAnnealingLR(optimizer, T_max=max(1, remaining))
    elif name == "exponential":
        main = sched.ExponentialLR(optimizer, gamma=0.01 ** (1.0 / max(1, remaining)))
    elif name == "cosine-warm-restarts":
        main = sched.CosineAnnealingWarmRestarts(optimizer, T_0=max(1, steps_per_epoch),
                                                 T_mult=2)
    else:
        raise CLIError(f"unknown schedule {name!r}; expected one of {', '.join(SCHEDULES)}")
    if not warmup:
        return main, ("step" if main is not None else None)
    ramp = sched.LinearLR(optimizer, start_factor=1.0 / (warmup + 1), end_factor=1.0,
                          total_iters=warmup)
    if main is None:
        return ramp, "step"
    return sched.SequentialLR(optimizer, schedulers=[ramp, main], milestones=[warmup]), "step"
