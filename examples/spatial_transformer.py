"""The "Spatial Transformer Networks" tutorial of PyTorch on MNIST, running on tinygrad_opt.

A spatial transformer (Jaderberg et al., 2015) learns to crop, zoom and rotate each digit
before the classifier sees it: a small localisation network predicts an affine map theta
(initialised to the identity), F.affine_grid turns it into a sampling grid and
F.grid_sample resamples the image, with gradients flowing back into theta. The model and
the train/test functions are the tutorial's; the differences are the imports, the data
loading, the identity initialisation written with `torch.no_grad()` instead of `.data`,
`argmax` for the tutorial's `max(1, keepdim=True)[1]`, `reduction="sum"` for its
deprecated `size_average=False`, and f-strings for its format calls.

    python examples/spatial_transformer.py            # 20 epochs, as the tutorial
    python examples/spatial_transformer.py --quick    # 2,000 images, for tests

MNIST is read from --data-root / $TINYGRAD_OPT_DATA; without the files the example says how
to download them (`tinygrad-opt download mnist`) and exits cleanly.
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_opt as torch
import tinygrad_opt.nn.functional as F
from tinygrad_opt import nn, optim
from tinygrad_opt.data import DataLoader, TensorDataset
from tinygrad_opt.datasets import load_mnist


# ---------------------------------------------------------------- as in the PyTorch tutorial
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

        # Spatial transformer localization-network
        self.localization = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=7),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
            nn.Conv2d(8, 10, kernel_size=5),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
        )

        # Regressor for the 3 * 2 affine matrix
        self.fc_loc = nn.Sequential(
            nn.Linear(10 * 3 * 3, 32),
            nn.ReLU(True),
            nn.Linear(32, 3 * 2),
        )

        # Initialize the weights/bias with identity transformation
        with torch.no_grad():
            self.fc_loc[2].weight.zero_()
            self.fc_loc[2].bias.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    # Spatial transformer network forward function
    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 10 * 3 * 3)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)

        grid = F.affine_grid(theta, x.size(), align_corners=False)
        x = F.grid_sample(x, grid, align_corners=False)

        return x

    def forward(self, x):
        # transform the input
        x = self.stn(x)

        # Perform the usual forward pass
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def train(epoch, model, optimizer, train_loader, size):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % 500 == 0:
            done = 100.0 * batch_idx / len(train_loader)
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{size} ({done:.0f}%)]\t"
                  f"Loss: {loss.item():.6f}")


def test(model, test_loader, size):
    with torch.no_grad():
        model.eval()
        test_loss = 0
        correct = 0
        for data, target in test_loader:
            output = model(data)

            # sum up batch loss
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            # get the index of the max log-probability
            pred = output.argmax(1, keepdim=True)
            correct += (pred == target.view_as(pred)).sum().item()

        test_loss /= size
        print(f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{size} "
              f"({100.0 * correct / size:.0f}%)\n")
    return correct / size


# ---------------------------------------------------------------- tinygrad_opt specifics
def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--limit", type=int, default=None, help="use at most N images")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--quick", action="store_true", help="tiny budget (for tests)")
    args = parser.parse_args(argv)
    if args.quick:
        # a larger step than the tutorial's 0.01 so one short epoch learns something
        args.epochs, args.limit, args.lr = 1, args.limit or 2000, 0.05
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
    # the tutorial's Normalize((0.1307,), (0.3081,))
    train_x, test_x = ((a - 0.1307) / 0.3081 for a in (train_x, test_x))

    torch.manual_seed(0)
    train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=64, shuffle=True,
                              seed=0)
    test_loader = DataLoader(TensorDataset(test_x, test_y), batch_size=64)
    model = Net()
    optimizer = optim.SGD(model.parameters(), lr=args.lr)
    # at initialisation the transformer is the identity: it passes the digits unchanged
    sample = torch.tensor(test_x[:8])
    identity_error = float(np.abs(model.stn(sample).numpy() - sample.numpy()).max())
    accuracy = None
    for epoch in range(1, args.epochs + 1):
        train(epoch, model, optimizer, train_loader, len(train_y))
        accuracy = test(model, test_loader, len(test_y))
    return {"accuracy": accuracy, "identity_error": identity_error}


if __name__ == "__main__":
    main()
