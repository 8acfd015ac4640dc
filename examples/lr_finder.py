"""The LR range test on MNIST, then a short training run at the suggested learning rate.

The range test (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017) trains
for a few hundred mini-batches while the lr grows exponentially and records the smoothed
loss; `train.lr_find` restores the model and optimizer afterwards, so the same objects then
train for real at the suggested rate (where the loss fell fastest).

    python examples/lr_finder.py                 # 100 mini-batches, then 1 epoch
    python examples/lr_finder.py --quick         # 2,000 images, for tests

Writes runs/lr_finder.png when matplotlib is installed. MNIST is read from --data-root /
$TINYGRAD_OPT_DATA; without the files the example says how to download them and exits.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import tinygrad_opt as tg
from tinygrad_opt import loss, nn, optim
from tinygrad_opt.data import DataLoader, TensorDataset
from tinygrad_opt.datasets import load_mnist
from tinygrad_opt.train import evaluate, fit, lr_find


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-iter", type=int, default=100)
    parser.add_argument("--limit", type=int, default=None, help="use at most N images")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--out", type=Path, default=Path("runs"))
    parser.add_argument("--quick", action="store_true", help="tiny budget (for tests)")
    args = parser.parse_args(argv)
    if args.quick:
        args.limit, args.num_iter = args.limit or 2000, min(args.num_iter, 40)
    try:
        train_x, train_y = load_mnist(root=args.data_root, train=True)
        test_x, test_y = load_mnist(root=args.data_root, train=False)
    except (OSError, ValueError) as error:
        print(f"MNIST is not available ({error}).\nDownload it with "
              "`tinygrad-opt download mnist` or set TINYGRAD_OPT_DATA; skipping.")
        return None
    if args.limit:
        train_x, train_y = train_x[: args.limit], train_y[: args.limit]
        test_x, test_y = test_x[: args.limit], test_y[: args.limit]

    tg.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=64, shuffle=True, seed=0)
    result = lr_find(model, loss.cross_entropy, optimizer, loader, start_lr=1e-5, end_lr=10,
                     num_iter=args.num_iter)
    suggestion = result.suggested_lr
    print(f"tried {len(result.lrs)} learning rates from {result.lrs[0]:.1e} to "
          f"{result.lrs[-1]:.1e}; suggested lr: {suggestion}")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        result.plot(args.out / "lr_finder.png")
        print(f"wrote {args.out / 'lr_finder.png'}")
    except RuntimeError as error:  # matplotlib is the optional `plot` extra
        print(f"no picture: {error}")

    if suggestion is not None:
        for group in optimizer.param_groups:
            group["lr"] = suggestion
    fit(model, loss.cross_entropy, optimizer, loader, epochs=1, progress=not args.quick)
    test_loader = DataLoader(TensorDataset(test_x, test_y), batch_size=1000)
    metrics = evaluate(model, test_loader, loss.cross_entropy)
    used = optimizer.param_groups[0]["lr"]  # the suggestion, or the original lr without one
    print(f"one epoch at lr {used:.3g}: test accuracy {metrics['accuracy']:.2%}, "
          f"loss {metrics['loss']:.4f}")
    return {"suggestion": suggestion, "metrics": metrics}


if __name__ == "__main__":
    main()
