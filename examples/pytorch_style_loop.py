"""The training loop of PyTorch's "Quickstart" tutorial, running on tinygrad_opt.

Only the imports and the data loading differ from the PyTorch version: the model class, the
train/test functions, `optimizer.zero_grad()`, `loss.backward()`, `optimizer.step()`,
`model.train()`/`model.eval()` and `with torch.no_grad()` are written exactly as there.
Fashion-MNIST is read from --data-root / $TINYGRAD_OPT_DATA; without the files the example
says how to download them and exits cleanly.

    python examples/pytorch_style_loop.py            # 5 epochs on Fashion-MNIST
    python examples/pytorch_style_loop.py --quick    # a few hundred images, for tests
"""

from __future__ import annotations

import argparse

import tinygrad_opt as torch
from tinygrad_opt import nn, optim
from tinygrad_opt.data import DataLoader, TensorDataset
from tinygrad_opt.datasets import load_fashion_mnist


# ---------------------------------------------------------------- as in the PyTorch tutorial
class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


def train(dataloader, model, loss_fn, optimizer, size):
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        # Compute prediction error
        pred = model(X)
        loss = loss_fn(pred, y)

        # Backpropagation
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        if batch % 100 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn, size):
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return correct


# ---------------------------------------------------------------- tinygrad_opt specifics
def main(argv: list[str] | None = None) -> float | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="use at most N images")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--quick", action="store_true", help="tiny budget (for tests)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.limit = 1, args.limit or 512

    try:
        train_x, train_y = load_fashion_mnist(root=args.data_root, train=True)
        test_x, test_y = load_fashion_mnist(root=args.data_root, train=False)
    except (OSError, ValueError) as error:
        print(f"Fashion-MNIST is not available ({error}).\nDownload it with "
              "`tinygrad-opt download fashion-mnist` or set TINYGRAD_OPT_DATA; skipping.")
        return None
    if args.limit:
        train_x, train_y = train_x[: args.limit], train_y[: args.limit]
        test_x, test_y = test_x[: args.limit], test_y[: args.limit]

    torch.manual_seed(0)
    batch_size = 64
    train_dataloader = DataLoader(TensorDataset(train_x, train_y), batch_size=batch_size,
                                  shuffle=True, seed=0)
    test_dataloader = DataLoader(TensorDataset(test_x, test_y), batch_size=batch_size)

    model = NeuralNetwork()
    print(model)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=1e-3 if not args.quick else 1e-1)

    accuracy = None
    for t in range(args.epochs):
        print(f"Epoch {t+1}\n-------------------------------")
        train(train_dataloader, model, loss_fn, optimizer, len(train_y))
        accuracy = test(test_dataloader, model, loss_fn, len(test_y))
    print("Done!")
    return accuracy


if __name__ == "__main__":
    main()
