"""`tinygrad-opt schedules`: what each learning-rate schedule does to the lr, step by step.

Every schedule drives a one-parameter SGD optimizer for --steps steps from --lr, the way a
training loop would (scheduler.step() after each optimizer step); the table gives the lr at
a few points and the PNG draws each schedule's whole curve in a panel of its own.

  step           StepLR: lr x 0.5 every quarter of the run
  multistep      MultiStepLR: lr x 0.1 at 50% and again at 75%
  exponential    ExponentialLR: lr x gamma each step, down to lr / 100 at the end
  cosine         CosineAnnealingLR: half a cosine from lr to 0 (Loshchilov & Hutter, 2017)
  warm-restarts  CosineAnnealingWarmRestarts: cosine periods of 1/15 of the run, each
                 twice as long as the last (SGDR)
  warmup-linear  get_linear_schedule_with_warmup: 10% linear warmup, then linear to 0
  warmup-cosine  get_cosine_schedule_with_warmup: 10% linear warmup, then cosine to 0
  onecycle       OneCycleLR: Smith's 1cycle, up to lr over 30% and far down again
  cyclic         CyclicLR (triangular2): between lr / 10 and lr, the swing halving each cycle
  plateau        ReduceLROnPlateau (patience 10, factor 0.5) fed a loss that flattens out,
                 1 + 4 exp(-step / (steps / 8)): the lr halves each time it stalls
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from . import plotting
from .common import CLIError, format_table

SCHEDULES = ("step", "multistep", "exponential", "cosine", "warm-restarts", "warmup-linear",
             "warmup-cosine", "onecycle", "cyclic", "plateau")


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "schedules",
        help="learning-rate schedules side by side (table and picture)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--schedules", "-s", nargs="+", default=list(SCHEDULES),
                        choices=SCHEDULES, metavar="NAME",
                        help="schedules to show (default: all of " + ", ".join(SCHEDULES) + ")")
    parser.add_argument("--steps", type=int, default=300, help="optimizer steps (300)")
    parser.add_argument("--lr", type=float, default=0.1, help="the optimizer's lr (0.1)")
    parser.add_argument("--out", type=Path, default=Path("runs"), help="folder for the PNG")
    return parser


def plateau_loss(step: int, steps: int) -> float:
    """The made-up validation loss the plateau schedule watches: fast progress, then a
    floor, so it stalls again and again towards the end."""
    return 1.0 + 4.0 * math.exp(-step / (steps / 8))


def build(name: str, optimizer, steps: int, lr: float):
    """The named schedule on `optimizer`, sized for a run of `steps` steps."""
    from ..optim import lr_scheduler as sched

    quarter = max(1, steps // 4)
    warmup = max(1, steps // 10)
    last = steps - 1  # the last step's lr is the schedule's end point
    if name == "step":
        return sched.StepLR(optimizer, step_size=quarter, gamma=0.5)
    if name == "multistep":
        return sched.MultiStepLR(optimizer, milestones=[steps // 2, 3 * steps // 4], gamma=0.1)
    if name == "exponential":
        return sched.ExponentialLR(optimizer, gamma=0.01 ** (1.0 / last))
    if name == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=last)
    if name == "warm-restarts":
        # periods of 1, 2, 4 and 8 fifteenths: four restarts fit the run
        return sched.CosineAnnealingWarmRestarts(optimizer, T_0=max(1, steps // 15), T_mult=2)
    if name == "warmup-linear":
        return sched.get_linear_schedule_with_warmup(optimizer, warmup, last)
    if name == "warmup-cosine":
        return sched.get_cosine_schedule_with_warmup(optimizer, warmup, last)
    if name == "onecycle":
        return sched.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    if name == "cyclic":
        return sched.CyclicLR(optimizer, base_lr=lr / 10, max_lr=lr,
                              step_size_up=max(1, steps // 8), mode="triangular2",
                              cycle_momentum=False)
    if name == "plateau":
        return sched.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=10,
                                       threshold=1e-2)
    raise CLIError(f"unknown schedule {name!r}; expected one of {', '.join(SCHEDULES)}")


def lr_curve(name: str, steps: int, lr: float) -> np.ndarray:
    """The lr of each of `steps` optimizer steps (the lr in use when it runs) under `name`."""
    from ..optim import SGD
    from ..tensor import Tensor

    param = Tensor(np.zeros(1, dtype=np.float32), requires_grad=True)
    optimizer = SGD([param], lr=lr)
    scheduler = build(name, optimizer, steps, lr)
    lrs = np.empty(steps)
    for step in range(steps):
        lrs[step] = optimizer.param_groups[0]["lr"]
        param.grad = np.zeros(1, dtype=np.float32)
        optimizer.step()
        if name == "plateau":
            scheduler.step(plateau_loss(step, steps))
        else:
            scheduler.step()
    return lrs


def curves_table(curves: dict[str, np.ndarray]) -> str:
    steps = len(next(iter(curves.values())))
    points = [0, steps // 10, steps // 4, steps // 2, 3 * steps // 4, steps - 1]
    headers = ["schedule"] + [f"step {p}" for p in points] + ["min", "max"]
    rows = [[name] + [float(lrs[p]) for p in points] + [float(lrs.min()), float(lrs.max())]
            for name, lrs in curves.items()]
    return format_table(headers, rows)


def run(args: argparse.Namespace) -> int:
    if args.steps < 20:
        raise CLIError(f"--steps must be at least 20 (to fit each schedule's phases), got "
                       f"{args.steps}")
    if not (args.lr > 0 and math.isfinite(args.lr)):
        raise CLIError(f"--lr must be a positive number, got {args.lr}")
    names = list(dict.fromkeys(args.schedules))
    curves = {name: lr_curve(name, args.steps, args.lr) for name in names}
    print(f"Learning rate at each step: {len(names)} schedules over {args.steps} steps from "
          f"lr {args.lr:g}.\n")
    print(curves_table(curves))
    plt = plotting.pyplot()
    if plt is None:
        print(f"\n{plotting.PLOT_HINT}")
        return 0
    loss = np.array([plateau_loss(step, args.steps) for step in range(args.steps)])
    written = plotting.schedule_panels(plt, curves, args.out / "schedules.png",
                                       plateau_loss=loss if "plateau" in curves else None)
    print(f"\nwrote {written}")
    return 0
