"""Seconds per training epoch on MNIST through `train.fit`, for the MLP and LeNet-5.

    python -m benchmarks.epoch_time            # one full epoch (60,000 images) per model
    python -m benchmarks.epoch_time --quick    # the first 6,400 images, scaled to 60,000

The recipes are those of tests/test_mnist_training.py: MLP 784-256-128-10 with AdamW(lr=1e-3)
and LeNet-5 with AdamW and a warmup-cosine schedule, batch 128, inputs standardised, the
loader shuffling, progress bar off. Reported per model: wall seconds for the epoch (the
whole fit call: batching, forward, backward, optimizer, scheduler, History), the same
scaled to 60,000 images, samples per second, the time of `evaluate` on the 10,000 test
images, and the test accuracy reached (only meaningful for a full epoch). A warm-up fit on
a few batches first loads or compiles the Numba kernels. MNIST is read from
$TINYGRAD_OPT_DATA (or the cache folder of `datasets.load_mnist`); without it the
benchmark prints how to get it and exits.
"""

from __future__ import annotations

import argparse
import time

TRAIN_IMAGES = 60_000
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # the usual MNIST standardisation (torchvision)


def _load():
    from tinygrad_opt.datasets import load_mnist

    try:
        train = load_mnist(train=True)
        test = load_mnist(train=False)
    except (FileNotFoundError, OSError, ValueError, RuntimeError) as error:
        return None, error
    standardise = lambda images: (images - MNIST_MEAN) / MNIST_STD  # noqa: E731
    return ((standardise(train[0]), train[1]), (standardise(test[0]), test[1])), None


def _recipe(name: str, batches: int):
    import tinygrad_opt as tg
    from tinygrad_opt import models, optim
    from tinygrad_opt.optim import lr_scheduler

    tg.manual_seed(0)
    if name == "mlp":
        model = models.mlp()
        return model, optim.AdamW(model.parameters(), lr=1e-3), None
    model = models.lenet5()
    optimizer = optim.AdamW(model.parameters(), lr=3e-3)
    scheduler = lr_scheduler.get_cosine_schedule_with_warmup(
        optimizer, max(1, batches // 20), batches
    )
    return model, optimizer, scheduler


def _time_epoch(name: str, train, test, limit: int | None) -> list:
    from tinygrad_opt.data import DataLoader, TensorDataset
    from tinygrad_opt.loss import cross_entropy
    from tinygrad_opt.train import evaluate, fit

    x, y = train
    if limit is not None:
        x, y = x[:limit], y[:limit]
    loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, seed=0)
    warm_model, warm_optimizer, _ = _recipe(name, 4)
    warm_loader = DataLoader(TensorDataset(x[:256], y[:256]), batch_size=128)
    fit(warm_model, cross_entropy, warm_optimizer, warm_loader, progress=False)

    model, optimizer, scheduler = _recipe(name, len(loader))
    started = time.perf_counter()
    fit(model, cross_entropy, optimizer, loader, scheduler=scheduler, progress=False)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    metrics = evaluate(model, DataLoader(TensorDataset(*test), batch_size=1000), cross_entropy)
    eval_seconds = time.perf_counter() - started
    return [
        name,
        len(x),
        f"{seconds:.1f}",
        f"{seconds * TRAIN_IMAGES / len(x):.1f}",
        f"{len(x) / seconds:,.0f}",
        f"{eval_seconds:.2f}",
        f"{metrics['accuracy']:.4f}",
    ]


def _table(header: list[str], rows: list[list]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).rjust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time 6,400 images, not 60,000")
    parser.add_argument("--models", nargs="+", default=["mlp", "lenet5"],
                        choices=["mlp", "lenet5"], help="which models to time")
    args = parser.parse_args(argv)
    data, error = _load()
    if data is None:
        print(f"epoch_time: MNIST is not available ({error}).\nSet TINYGRAD_OPT_DATA to a "
              "folder holding mnist/ with the four IDX .gz files (e.g. ../shared/data), or "
              "run `tinygrad-opt download mnist`. Skipped.")
        return 0
    train, test = data
    limit = 6_400 if args.quick else None
    rows = [_time_epoch(name, train, test, limit) for name in args.models]
    header = ["model", "images", "seconds", "s / 60k epoch", "images/s", "eval s", "test acc"]
    print(f"One epoch of train.fit on MNIST, batch 128 ({'quick' if args.quick else 'full'})")
    print(_table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
