"""`tinygrad-opt lr-find`: the learning-rate range test (Smith, "Cyclical Learning Rates for
Training Neural Networks", 2017, as popularised by fastai).

The lr grows exponentially from --start-lr to --end-lr over --num-iter mini-batches while
the smoothed loss is recorded; the run stops early once the loss diverges. Model and
optimizer are restored afterwards. Prints the suggested lr (where the loss falls fastest)
and draws the curve to OUT/lr_find.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from . import plotting, workloads
from .common import CLIError, add_seed, create_optimizer, format_table
from .train import add_optimizer_arguments, optimizer_spec


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "lr-find", help="the LR range test: find a good learning rate",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    workloads.add_data_arguments(parser, default_dataset="spirals", default_model="mlp")
    add_optimizer_arguments(parser)
    parser.add_argument("--start-lr", type=float, default=1e-7, help="first lr (1e-7)")
    parser.add_argument("--end-lr", type=float, default=10.0, help="last lr (10)")
    parser.add_argument("--num-iter", type=int, default=100, help="mini-batches (100)")
    parser.add_argument("--out", type=Path, default=Path("runs"), help="folder for the PNG")
    add_seed(parser)
    return parser


def unpack(result) -> tuple[np.ndarray, np.ndarray, float | None]:
    """(lrs, losses, suggestion) from train.lr_find's result (a tuple, dict or object)."""
    if isinstance(result, dict):
        lrs, losses = result["lrs"], result["losses"]
        suggestion = result.get("suggestion", result.get("suggested_lr"))
    elif isinstance(result, tuple) and len(result) == 3:
        lrs, losses, suggestion = result
    else:
        lrs, losses = result.lrs, result.losses
        suggestion = getattr(result, "suggestion", getattr(result, "suggested_lr", None))
    suggestion = None if suggestion is None else float(suggestion)
    return np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64), suggestion


def run(args: argparse.Namespace) -> int:
    from ..train import lr_find

    if not 0 < args.start_lr < args.end_lr:
        raise CLIError(f"need 0 < --start-lr < --end-lr, got {args.start_lr} and {args.end_lr}")
    if args.num_iter < 2:
        raise CLIError(f"--num-iter must be at least 2, got {args.num_iter}")
    spec = optimizer_spec(args)
    data = workloads.load_data(args.dataset, args.data_root, args.limit, args.seed)
    model = workloads.build_model(args.model, data)
    optimizer = create_optimizer(spec, model.parameters(), defaults={"lr": args.start_lr})
    train_loader, _ = workloads.loaders(data, args.batch_size, args.seed)
    result = lr_find(model, workloads.loss_function(), optimizer, train_loader,
                     start_lr=args.start_lr, end_lr=args.end_lr, num_iter=args.num_iter)
    lrs, losses, suggestion = unpack(result)
    print(f"LR range test: {args.model} on {args.dataset} with {spec.label}, "
          f"{len(lrs)} mini-batches from {args.start_lr:g} to {lrs[-1]:.3g}\n")
    picks = np.unique(np.linspace(0, len(lrs) - 1, min(len(lrs), 12)).round().astype(int))
    print(format_table(["lr", "loss (smoothed)"], [[lrs[i], losses[i]] for i in picks]))
    if suggestion is None:
        print("\nno suggestion: the loss never fell; try a wider --start-lr/--end-lr range")
    else:
        print(f"\nsuggested lr: {suggestion:.3g}")
    plt = plotting.pyplot()
    if plt is None:
        print(f"\n{plotting.PLOT_HINT}")
        return 0
    path = plotting.lr_curve(plt, lrs, losses, suggestion, args.out / "lr_find.png")
    print(f"wrote {path}")
    return 0
