"""LeNet-5 on MNIST with AdamW and a linear-warmup + cosine schedule: about 99% in 3 epochs.

LeNet-5 as in LeCun et al., "Gradient-based learning applied to document recognition"
(1998), with today's habits: ReLU instead of scaled tanh, max pooling instead of trainable
subsampling, and padding 2 on the first convolution so 28x28 MNIST digits fit its 32x32 input.

    python examples/mnist_lenet.py               # 3 epochs on the full training set
    python examples/mnist_lenet.py --quick       # 2,000 images, for tests

MNIST is read from --data-root / $TINYGRAD_OPT_DATA; without the files the example says how
to download them (`tinygrad-opt download mnist`) and exits cleanly.
"""

from __future__ import annotations

import argparse

import tinygrad_opt as tg
from tinygrad_opt import loss, nn, optim
from tinygrad_opt.data import DataLoader, TensorDataset
from tinygrad_opt.datasets import load_mnist
from tinygrad_opt.optim.lr_scheduler import get_cosine_schedule_with_warmup
from tinygrad_opt.train import evaluate, fit


class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--limit", type=int, default=None, help="use at most N images")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--quick", action="store_true", help="tiny budget (for tests)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.limit, args.batch_size = 1, args.limit or 2000, 64
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
    model = LeNet5()
    train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=args.batch_size,
                              shuffle=True, seed=0)
    test_loader = DataLoader(TensorDataset(test_x, test_y), batch_size=1000)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    total_steps = args.epochs * len(train_loader)
    # Warm up over the first 5% of steps, then follow a half cosine down to 0 (stepped per batch).
    scheduler = get_cosine_schedule_with_warmup(optimizer, max(1, total_steps // 20),
                                                total_steps)
    history = fit(model, loss.cross_entropy, optimizer, train_loader, epochs=args.epochs,
                  scheduler=scheduler, val_loader=test_loader, progress=not args.quick)
    metrics = evaluate(model, test_loader, loss.cross_entropy)
    per_epoch = ", ".join(f"{a:.2%}" for a in history.val_accuracy)
    print(f"LeNet-5, {sum(p.size for p in model.parameters()):,} parameters: test accuracy "
          f"after each epoch {per_epoch}; final {metrics['accuracy']:.2%}, "
          f"loss {metrics['loss']:.4f}")
    return metrics


if __name__ == "__main__":
    main()
