"""`tinygrad-opt train`: train one model on one dataset with any optimizer and schedule.

Examples:
  tinygrad-opt train --dataset spirals --model mlp --optimizer adam --lr 3e-3 --epochs 20
  tinygrad-opt train --dataset mnist --model lenet --optimizer adamw --schedule cosine \\
      --warmup 200 --epochs 3 --stop-after 1 --checkpoint runs/lenet.ckpt
  tinygrad-opt train ... --epochs 3 --resume runs/lenet.ckpt     # then epochs 2 and 3

Hyperparameters: --lr, --weight-decay, --momentum and --betas set the usual ones; any other
goes through --opt KEY=VALUE (repeatable), e.g. --opt nesterov=True --opt eps=1e-8.
--checkpoint PATH saves model, optimizer, schedule and progress after every epoch;
--resume PATH continues such a run up to --epochs (saving back to PATH), with the same
results as an uninterrupted run (each epoch's shuffling depends only on --seed and the epoch).
A schedule spans --epochs, so a scheduled run resumes with the same --epochs; --stop-after N
ends a session early after N epochs. Without a schedule, --epochs may grow on resume.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from . import schedules, workloads
from .common import (
    CLIError,
    OptimizerSpec,
    add_seed,
    create_optimizer,
    format_table,
    parse_key_values,
)

CHECKPOINT_KIND = "tinygrad-opt train checkpoint"
# Settings a resumed run must share with the run that wrote the checkpoint.
RESUME_KEYS = ("model", "dataset", "optimizer", "schedule", "batch_size", "grad_accum",
               "warmup", "limit", "seed", "hyperparameters", "max_grad_norm")
# Keys checkpoints of earlier versions lack: checked only when the checkpoint has them.
_NEWER_KEYS = ("hyperparameters", "max_grad_norm")


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train", help="train a model on a dataset", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    workloads.add_data_arguments(parser, default_dataset="spirals", default_model="mlp")
    add_optimizer_arguments(parser)
    parser.add_argument("--schedule", default="none", choices=schedules.SCHEDULES,
                        help="learning-rate schedule (default none)")
    parser.add_argument("--warmup", type=int, default=0, metavar="STEPS",
                        help="linear warmup over the first STEPS optimizer steps")
    parser.add_argument("--epochs", type=int, default=5, help="epochs to train (5)")
    parser.add_argument("--max-grad-norm", type=float, default=None,
                        help="clip the global gradient norm to this value")
    parser.add_argument("--grad-accum", type=int, default=1, metavar="N",
                        help="accumulate gradients over N batches per optimizer step")
    parser.add_argument("--checkpoint", type=Path, default=None, metavar="PATH",
                        help="save a checkpoint here after every epoch")
    parser.add_argument("--resume", type=Path, default=None, metavar="PATH",
                        help="continue the run saved in this checkpoint")
    parser.add_argument("--stop-after", type=int, default=None, metavar="EPOCHS",
                        help="stop after this many epochs in all (the schedule still spans "
                        "--epochs): split a long run into sessions with --checkpoint/--resume")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_seed(parser)
    return parser


def add_optimizer_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--optimizer", default="adam",
                        help="optimizer by name: sgd, adam, adamw, rmsprop, lion, ... (adam)")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default: the optimizer's own)")
    parser.add_argument("--weight-decay", type=float, default=None)
    parser.add_argument("--momentum", type=float, default=None)
    parser.add_argument("--betas", type=float, nargs=2, default=None, metavar=("B1", "B2"))
    parser.add_argument("--opt", action="append", default=[], metavar="KEY=VALUE",
                        help="any other optimizer hyperparameter (repeatable)")


def optimizer_spec(args: argparse.Namespace) -> OptimizerSpec:
    """The optimizer named on the command line with every hyperparameter given."""
    hyperparameters = parse_key_values(args.opt)
    named = {"lr": args.lr, "weight_decay": args.weight_decay, "momentum": args.momentum,
             "betas": None if args.betas is None else tuple(args.betas)}
    for key, value in named.items():
        if value is not None:
            if key in hyperparameters:
                raise CLIError(f"{key} given twice: as --{key.replace('_', '-')} and --opt")
            hyperparameters[key] = value
    return OptimizerSpec(args.optimizer.lower(), args.optimizer.lower(), hyperparameters)


def _check_positive(args: argparse.Namespace) -> None:
    if args.stop_after is not None and not 1 <= args.stop_after <= args.epochs:
        raise CLIError(f"--stop-after must be between 1 and --epochs ({args.epochs}), got "
                       f"{args.stop_after}")
    for option in ("epochs", "grad_accum"):
        if getattr(args, option) < 1:
            raise CLIError(f"--{option.replace('_', '-')} must be a positive integer, got "
                           f"{getattr(args, option)}")
    if args.max_grad_norm is not None and not args.max_grad_norm > 0:
        raise CLIError(f"--max-grad-norm must be positive, got {args.max_grad_norm}")


def _config(args: argparse.Namespace, spec: OptimizerSpec) -> dict:
    # hyperparameters: the optimizer's state would silently override a changed --lr on resume
    return {"model": args.model, "dataset": args.dataset, "optimizer": args.optimizer.lower(),
            "hyperparameters": spec.hyperparameters, "max_grad_norm": args.max_grad_norm,
            "schedule": args.schedule, "batch_size": args.batch_size,
            "grad_accum": args.grad_accum, "warmup": args.warmup,
            "limit": -1 if args.limit is None else args.limit, "seed": args.seed,
            "epochs": args.epochs}


def _load_checkpoint(path: Path, config: dict) -> dict:
    from .. import load

    if not path.is_file():
        raise CLIError(f"--resume: no checkpoint at {path}")
    checkpoint = load(str(path))
    if not isinstance(checkpoint, dict) or checkpoint.get("kind") != CHECKPOINT_KIND:
        raise CLIError(f"--resume: {path} is not a checkpoint written by tinygrad-opt train")
    saved = checkpoint["config"]
    keys = RESUME_KEYS + (("epochs",) if config["schedule"] != "none" else ())
    for key in keys:
        if key in _NEWER_KEYS and key not in saved:
            continue
        if saved.get(key) != config[key]:
            raise CLIError(
                f"--resume: the checkpoint was trained with {key}={saved.get(key)!r}, this run "
                f"asks for {config[key]!r}; use the same settings to continue it"
            )
    return checkpoint


def run(args: argparse.Namespace) -> int:
    from .. import random, save
    from ..train import fit

    _check_positive(args)
    spec = optimizer_spec(args)
    config = _config(args, spec)
    checkpoint = None if args.resume is None else _load_checkpoint(args.resume, config)
    if args.resume is not None and args.checkpoint is None:
        args.checkpoint = args.resume  # a resumed run keeps its checkpoint up to date
    if args.checkpoint is not None:  # now, not after the first epoch's training is done
        args.checkpoint.parent.mkdir(parents=True, exist_ok=True)

    data = workloads.load_data(args.dataset, args.data_root, args.limit, args.seed)
    model = workloads.build_model(args.model, data)
    optimizer = create_optimizer(spec, model.parameters())
    lr = optimizer.param_groups[0]["lr"]
    train_loader, test_loader = workloads.loaders(data, args.batch_size, args.seed)
    batches = len(train_loader)
    steps_per_epoch = -(-batches // args.grad_accum)
    scheduler, interval = schedules.build(args.schedule, optimizer, lr,
                                          steps_per_epoch * args.epochs, steps_per_epoch,
                                          args.warmup)

    losses: list[float] = []
    epoch_rows: list[list] = []
    start_epoch = 0
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(checkpoint["scheduler"])
        random.set_rng_state(_decode_rng(checkpoint["rng"]))
        start_epoch = int(checkpoint["epoch"])
        losses = [float(v) for v in np.asarray(checkpoint["losses"]).ravel()]
        epoch_rows = [list(map(float, row)) for row in np.asarray(checkpoint["epoch_rows"])]
        if start_epoch >= args.epochs:
            more = ("ask for more with --epochs" if args.schedule == "none" else
                    "its schedule is complete (a scheduled run cannot be extended)")
            raise CLIError(f"--resume: {args.resume} has already trained {start_epoch} of "
                           f"{args.epochs} epochs; {more}")
        print(f"resuming {args.resume} after epoch {start_epoch}")

    n_params = sum(p.size for p in model.parameters())
    print(f"{args.model} on {args.dataset}: {len(data.y_train)} train / {len(data.y_test)} test "
          f"examples, {n_params:,} parameters, {spec.label} "
          f"({', '.join(f'{k}={v}' for k, v in spec.hyperparameters.items()) or 'defaults'}), "
          f"schedule {args.schedule}")
    loss_fn = workloads.loss_function()
    started = time.perf_counter()
    last_epoch = args.epochs if args.stop_after is None else args.stop_after
    if start_epoch >= last_epoch:
        raise CLIError(f"--stop-after {last_epoch}: the checkpoint already has {start_epoch} "
                       "epochs")
    for epoch in range(start_epoch, last_epoch):
        train_loader, test_loader = workloads.loaders(data, args.batch_size, args.seed, epoch)
        history = fit(model, loss_fn, optimizer, train_loader, epochs=1, scheduler=scheduler,
                      scheduler_interval=interval, val_loader=test_loader,
                      grad_accum_steps=args.grad_accum, max_grad_norm=args.max_grad_norm,
                      progress=not args.no_progress)
        losses.extend(history.loss)
        epoch_rows.append([epoch + 1, history.train_loss[-1], history.val_loss[-1],
                           history.val_accuracy[-1], history.lr[-1]])
        if args.checkpoint is not None:
            save({"kind": CHECKPOINT_KIND, "config": config, "epoch": epoch + 1,
                  "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "scheduler": {} if scheduler is None else scheduler.state_dict(),
                  "rng": _encode_rng(random.get_rng_state()),
                  "losses": np.asarray(losses, dtype=np.float64),
                  "epoch_rows": np.asarray(epoch_rows, dtype=np.float64)},
                 str(args.checkpoint))
    seconds = time.perf_counter() - started

    print()
    rows = [[int(r[0]), r[1], r[2], f"{100 * r[3]:.2f}%", r[4]] for r in epoch_rows]
    print(format_table(["epoch", "train loss", "test loss", "test accuracy", "lr"], rows))
    final = epoch_rows[-1]
    print(f"\nfinal: train loss {final[1]:.4f}, test loss {final[2]:.4f}, test accuracy "
          f"{100 * final[3]:.2f}% after {int(final[0])} of {args.epochs} epochs "
          f"({seconds:.1f} s this run)")
    if args.checkpoint is not None:
        print(f"checkpoint: {args.checkpoint}")
    return 0


def _encode_rng(state: dict) -> dict:
    # PCG64's state holds 128-bit integers, which a checkpoint stores as decimal strings.
    return {k: (_encode_rng(v) if isinstance(v, dict) else str(v)) for k, v in state.items()}


def _decode_rng(state: dict) -> dict:
    out = {}
    for key, value in state.items():
        if isinstance(value, dict):
            out[key] = _decode_rng(value)
        else:
            text = str(value)
            out[key] = int(text) if text.lstrip("-").isdigit() else text
    return out
