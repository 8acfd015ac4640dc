"""`tinygrad-opt compare`: one model and dataset, trained with several optimizers.

Every optimizer starts from the same initial weights and sees the batches in the same
order, so the differences come from the update rule alone. Prints a table of final training
loss, test accuracy and time, and draws the loss curves to OUT/compare_loss.png.

Optimizers are given as NAME or NAME:key=value,... ; `sgd+momentum` means SGD with
momentum 0.9 and `nesterov` adds Nesterov's correction. Without an lr, each one gets the
default of DEFAULT_LRS (a reasonable value for small networks), not its PyTorch default.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import plotting, workloads
from .common import (
    OptimizerSpec,
    add_seed,
    create_optimizer,
    format_table,
    parse_optimizer_spec,
)

DEFAULT_OPTIMIZERS = ("sgd", "sgd+momentum", "rmsprop", "adam", "adamw", "lion")
# Tuned by hand on the small CNN with shapes (make run's workload); sensible for small nets.
DEFAULT_LRS = {"sgd": 0.1, "sgd+momentum": 0.05, "nesterov": 0.05, "rmsprop": 1e-3,
               "adam": 3e-3, "adamw": 3e-3, "nadam": 3e-3, "radam": 3e-3, "adamax": 6e-3,
               "adabelief": 3e-3, "lion": 1e-3, "lamb": 5e-3, "adagrad": 1e-2,
               "adadelta": 1.0, "lars": 0.5, "asgd": 0.1, "rprop": 1e-3}
FALLBACK_LR = 1e-3


@dataclass
class CompareResult:
    label: str
    lr: float
    losses: np.ndarray  # per optimizer step
    train_loss: float  # mean over the last epoch
    test_loss: float
    test_accuracy: float
    seconds: float


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "compare", help="train the same model with several optimizers and compare them",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    workloads.add_data_arguments(parser, default_dataset="shapes", default_model="cnn")
    parser.add_argument(
        "--optimizers", "-o", nargs="+", default=list(DEFAULT_OPTIMIZERS), metavar="SPEC",
        help="optimizers as NAME or NAME:key=value,... (default: "
        + " ".join(DEFAULT_OPTIMIZERS) + ")",
    )
    parser.add_argument("--epochs", type=int, default=2, help="epochs per optimizer (2)")
    parser.add_argument("--out", type=Path, default=Path("runs"), help="folder for the PNG")
    parser.add_argument("--progress", action="store_true", help="show a progress bar per run")
    add_seed(parser)
    return parser


def compare(data: workloads.Data, model_name: str, specs: list[OptimizerSpec], epochs: int,
            batch_size: int, seed: int, progress: bool = False,
            log=print) -> list[CompareResult]:
    """Train a fresh copy of the model with each optimizer; results in the order given."""
    from ..random import manual_seed
    from ..train import fit

    results = []
    for spec in specs:
        manual_seed(seed)  # the same initial weights for every optimizer
        model = workloads.build_model(model_name, data)
        lr = DEFAULT_LRS.get(spec.key, FALLBACK_LR)
        optimizer = create_optimizer(spec, model.parameters(), defaults={"lr": lr})
        lr = optimizer.param_groups[0]["lr"]
        losses: list[float] = []
        started = time.perf_counter()
        for epoch in range(epochs):
            train_loader, test_loader = workloads.loaders(data, batch_size, seed, epoch)
            history = fit(model, workloads.loss_function(), optimizer, train_loader, epochs=1,
                          val_loader=test_loader if epoch == epochs - 1 else None,
                          progress=progress)
            losses.extend(history.loss)
        seconds = time.perf_counter() - started
        result = CompareResult(spec.label, float(lr), np.asarray(losses),
                               float(history.train_loss[-1]), float(history.val_loss[-1]),
                               float(history.val_accuracy[-1]), seconds)
        log(f"  {spec.label:<14} train loss {result.train_loss:.4f}  test accuracy "
            f"{100 * result.test_accuracy:6.2f}%  ({seconds:.1f} s)")
        results.append(result)
    return results


def results_table(results: list[CompareResult]) -> str:
    rows = [[r.label, r.lr, r.train_loss, r.test_loss, f"{100 * r.test_accuracy:.2f}%",
             round(r.seconds, 1)] for r in results]
    return format_table(["optimizer", "lr", "final train loss", "test loss", "test accuracy",
                         "time (s)"], rows)


def draw(results: list[CompareResult], title: str, out: Path) -> Path | None:
    """The loss-curve PNG, or None (after saying how to get it) without matplotlib."""
    plt = plotting.pyplot()
    if plt is None:
        print(f"\n{plotting.PLOT_HINT}")
        return None
    curves = {f"{r.label} ({100 * r.test_accuracy:.0f}% test accuracy)": r.losses
              for r in results}
    path = plotting.loss_curves(plt, curves, title, out / "compare_loss.png")
    print(f"\nwrote {path}")
    return path


def run(args: argparse.Namespace) -> int:
    from .common import CLIError

    if args.epochs < 1:
        raise CLIError(f"--epochs must be a positive integer, got {args.epochs}")
    specs = [parse_optimizer_spec(s) for s in args.optimizers]
    data = workloads.load_data(args.dataset, args.data_root, args.limit, args.seed)
    workloads.build_model(args.model, data)  # a bad model/dataset pair fails before training
    print(f"Comparing {len(specs)} optimizers: {args.model} on {args.dataset} "
          f"({len(data.y_train)} train / {len(data.y_test)} test), {args.epochs} epochs, "
          f"batch {args.batch_size}")
    results = compare(data, args.model, specs, args.epochs, args.batch_size, args.seed,
                      progress=args.progress)
    print()
    print(results_table(results))
    draw(results, f"{args.model} on {args.dataset}", args.out)
    return 0
