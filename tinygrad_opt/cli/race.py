"""`tinygrad-opt race`: optimizers side by side on 2-D test functions.

Each optimizer starts from the function's start point and takes `--steps` steps on the
point (x, y), a Tensor whose gradient comes from autograd through the function's formula.
The table gives the first step at which the point is within the function's tolerance of a
minimum ("not reached" otherwise); a PNG per function shows the contour plot with the paths.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import testfunctions
from . import plotting
from .common import (
    CLIError,
    OptimizerSpec,
    add_seed,
    create_optimizer,
    format_table,
    parse_optimizer_spec,
)

DEFAULT_OPTIMIZERS = ("sgd", "sgd+momentum", "adagrad", "rmsprop", "adam", "lion")

# Learning rates that make each optimizer show its character on each function without
# diverging (found by hand); any optimizer not listed falls back to FALLBACK_LR.
DEFAULT_LRS: dict[str, dict[str, float]] = {
    "rosenbrock": {"sgd": 1e-3, "sgd+momentum": 1e-3, "nesterov": 1e-3, "adagrad": 0.5,
                   "rmsprop": 1e-2, "adam": 5e-2, "adamw": 5e-2, "lion": 1e-2},
    "beale": {"sgd": 1e-2, "sgd+momentum": 2e-3, "nesterov": 2e-3, "adagrad": 0.5,
              "rmsprop": 1e-2, "adam": 5e-2, "adamw": 5e-2, "lion": 1e-2},
    "saddle": {"sgd": 1e-2, "sgd+momentum": 1e-2, "nesterov": 1e-2, "adagrad": 0.5,
               "rmsprop": 1e-2, "adam": 5e-2, "adamw": 5e-2, "lion": 1e-2},
    "ravine": {"sgd": 0.19, "sgd+momentum": 0.05, "nesterov": 0.05, "adagrad": 1.0,
               "rmsprop": 5e-2, "adam": 0.3, "adamw": 0.3, "lion": 5e-2},
}
FALLBACK_LR = 1e-2
LR_FOR_ALL_FUNCTIONS = {"lbfgs": 1.0}  # quasi-Newton steps are already well scaled


@dataclass
class RaceResult:
    label: str
    lr: float
    path: np.ndarray  # (steps + 1, 2): the start point, then the point after each step
    steps_to_min: int | None
    final_value: float
    diverged: bool


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "race",
        help="optimizers side by side on 2-D test functions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--function", "-f", nargs="+", default=["rosenbrock"],
        choices=[*testfunctions.FUNCTIONS, "all"],
        help="test functions to race on (default rosenbrock; 'all' for every one)",
    )
    parser.add_argument(
        "--optimizers", "-o", nargs="+", default=list(DEFAULT_OPTIMIZERS), metavar="SPEC",
        help="optimizers as NAME or NAME:key=value,... (e.g. adam:lr=0.1); default: "
        + " ".join(DEFAULT_OPTIMIZERS),
    )
    parser.add_argument("--steps", type=int, default=2000, help="steps per optimizer (2000)")
    parser.add_argument(
        "--tolerance", type=float, default=None,
        help="distance to a minimum that counts as reached (default: per function, 0.05)",
    )
    parser.add_argument("--out", type=Path, default=Path("runs"), help="folder for the PNGs")
    add_seed(parser)
    return parser


def race_one(function, spec: OptimizerSpec, steps: int, tolerance: float) -> RaceResult:
    """Run one optimizer on one function; stops early only if the point stops being finite."""
    from ..tensor import Tensor

    lr = spec.hyperparameters.get("lr")
    if lr is None:
        lr = DEFAULT_LRS.get(function.name, {}).get(
            spec.key, LR_FOR_ALL_FUNCTIONS.get(spec.key, FALLBACK_LR))
    point = Tensor(np.array(function.start, dtype=np.float32), requires_grad=True)
    optimizer = create_optimizer(spec, [point], defaults={"lr": lr})
    path = [point.data.astype(np.float64).copy()]
    reached = None
    diverged = False
    def closure():
        optimizer.zero_grad()
        value = function(point[0], point[1])
        value.backward()
        return value

    for step in range(1, steps + 1):
        optimizer.step(closure)  # a closure, so line-search methods (lbfgs) race too
        xy = point.data.astype(np.float64).copy()
        if not np.all(np.isfinite(xy)) or np.abs(xy).max() > 1e6:
            diverged = True
            break
        path.append(xy)
        if reached is None and function.distance_to_minimum(*xy) <= tolerance:
            reached = step
    final = float(function(*path[-1]))
    return RaceResult(spec.label, float(lr), np.array(path), reached, final, diverged)


def race(function_names: list[str], specs: list[OptimizerSpec], steps: int,
         tolerance: float | None) -> dict[str, list[RaceResult]]:
    """Every optimizer on every function; results keyed by function name."""
    results = {}
    for name in function_names:
        function = testfunctions.get(name)
        tol = function.tolerance if tolerance is None else tolerance
        results[name] = [race_one(function, spec, steps, tol) for spec in specs]
    return results


def results_table(results: dict[str, list[RaceResult]]) -> str:
    rows = []
    for name, entries in results.items():
        for r in entries:
            if r.diverged:
                outcome = "diverged"
            elif r.steps_to_min is None:
                outcome = "not reached"
            else:
                outcome = r.steps_to_min
            x, y = r.path[-1]
            rows.append([name, r.label, r.lr, outcome, r.final_value, f"({x:.3f}, {y:.3f})"])
    headers = ["function", "optimizer", "lr", "steps to minimum", "final f", "final (x, y)"]
    return format_table(headers, rows)


def run(args: argparse.Namespace) -> int:
    if args.steps < 1:
        raise CLIError(f"--steps must be a positive integer, got {args.steps}")
    if args.tolerance is not None and not args.tolerance > 0:
        raise CLIError(f"--tolerance must be positive, got {args.tolerance}")
    names = list(testfunctions.FUNCTIONS) if "all" in args.function else args.function
    names = list(dict.fromkeys(names))
    specs = [parse_optimizer_spec(s) for s in args.optimizers]
    started = time.perf_counter()
    results = race(names, specs, args.steps, args.tolerance)
    tolerance = "each function's tolerance (0.05)" if args.tolerance is None else args.tolerance
    print(f"Race: {len(specs)} optimizers, {args.steps} steps on "
          f"{', '.join(names)} ({time.perf_counter() - started:.1f} s). Steps to minimum: the "
          f"first step within {tolerance} of a minimum.\n")
    print(results_table(results))
    plt = plotting.pyplot()
    if plt is None:
        print(f"\n{plotting.PLOT_HINT}")
        return 0
    print()
    for name, entries in results.items():
        paths = {r.label: r.path for r in entries}
        written = plotting.race_paths(plt, testfunctions.get(name), paths,
                                      args.out / f"race_{name}.png")
        print(f"wrote {written}")
    return 0
