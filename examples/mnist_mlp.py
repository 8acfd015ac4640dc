"""An MLP (784-256-128-10) on MNIST with AdamW and the `fit` loop: about 97-98% in one epoch.

    python examples/mnist_mlp.py                 # 1 epoch on the full training set
    python examples/mnist_mlp.py --quick         # 2,000 images, for tests

MNIST is read from --data-root / $TINYGRAD_OPT_DATA; without the files the example says how
to download them (`tinygrad-opt download mnist`) and exits cleanly.
"""

from __future__ import annotations

import argparse

import tinygrad_opt as tg
from tinygrad_opt import loss, nn, optim
from tinygrad_opt.data import DataLoader, TensorDataset
from tinygrad_opt.datasets import load_mnist
from tinygrad_opt.train import evaluate, fit


def load(root: str | None, limit: int | None):
    """((train_x, train_y), (test_x, test_y)) or None when the files are missing."""
    try:
        train = load_mnist(root=root, train=True)
        test = load_mnist(root=root, train=False)
    except (OSError, ValueError) as error:
        print(f"MNIST is not available ({error}).\nDownload it with "
              "`tinygrad-opt download mnist` or set TINYGRAD_OPT_DATA; skipping.")
        return None
    if limit:
        train = (train[0][:limit], train[1][:limit])
        test = (test[0][:limit], test[1][:limit])
    return train, test


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--limit", type=int, default=None, help="use at most N images")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--quick", action="store_true", help="tiny budget (for tests)")
    args = parser.parse_args(argv)
    if args.quick:
        args.limit = args.limit or 2000
    data = load(args.data_root, args.limit)
    if data is None:
        return None
    (train_x, train_y), (test_x, test_y) = data

    tg.manual_seed(0)
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )
    optimizer = optim.AdamW(model.parameters(), lr=args.lr)  # weight_decay=0.01 as PyTorch
    train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=args.batch_size,
                              shuffle=True, seed=0)
    test_loader = DataLoader(TensorDataset(test_x, test_y), batch_size=1000)

    fit(model, loss.cross_entropy, optimizer, train_loader, epochs=args.epochs,
        progress=not args.quick)
    metrics = evaluate(model, test_loader, loss.cross_entropy)
    print(f"test accuracy {metrics['accuracy']:.2%}, loss {metrics['loss']:.4f}")
    return metrics


if __name__ == "__main__":
    main()
