"""Datasets and models by name, as the train / compare / lr-find commands offer them."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .common import CLIError

REAL_DATASETS = {"mnist": "load_mnist", "fashion-mnist": "load_fashion_mnist"}
IMAGE_DATASETS = ("mnist", "fashion-mnist", "shapes")
POINT_DATASETS = ("spirals", "moons", "blobs")
DATASETS = IMAGE_DATASETS + POINT_DATASETS
MODELS = ("mlp", "lenet", "cnn")

# How many examples a generated dataset has (train + test), and the share kept for testing.
GENERATED_SIZE = {"shapes": 2400, "spirals": 1500, "moons": 1500, "blobs": 1500}
TEST_SHARE = 0.2


@dataclass
class Data:
    """A train/test split as numpy arrays, with what a model needs to know about it."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    @property
    def is_image(self) -> bool:
        return self.x_train.ndim == 4


def add_data_arguments(parser: argparse.ArgumentParser, default_dataset: str,
                       default_model: str) -> None:
    parser.add_argument("--model", default=default_model, choices=MODELS,
                        help=f"network to train (default {default_model}); lenet and cnn need "
                        "an image dataset")
    parser.add_argument("--dataset", default=default_dataset, choices=DATASETS,
                        help=f"dataset (default {default_dataset}); mnist and fashion-mnist "
                        "need their files (see `tinygrad-opt download`), the others are "
                        "generated")
    parser.add_argument("--data-root", type=Path, default=None,
                        help="folder holding mnist/ and fashion-mnist/ (default "
                        "$TINYGRAD_OPT_DATA, then a per-user cache)")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="use at most N training and N test examples (quick runs)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size (64)")


def load_data(name: str, root: Path | None, limit: int | None, seed: int,
              size: int | None = None) -> Data:
    """The named dataset, split into train and test, cut to `limit` examples each.

    A generated dataset has `size` examples in all (default GENERATED_SIZE, and at least
    enough for `limit` training examples).
    """
    if limit is not None and limit < 1:
        raise CLIError(f"--limit must be a positive integer, got {limit}")
    from .. import datasets

    if name in REAL_DATASETS:
        load = getattr(datasets, REAL_DATASETS[name])
        root_text = None if root is None else str(root)
        try:
            x_train, y_train = load(root=root_text, train=True)
            x_test, y_test = load(root=root_text, train=False)
        except (OSError, ValueError, RuntimeError) as error:
            where = root or os.environ.get("TINYGRAD_OPT_DATA") or "the default cache folder"
            raise CLIError(
                f"could not load {name} from {where}: {' '.join(str(error).split())}. "
                f"Download it with `tinygrad-opt download {name}` (add --data-root DIR to "
                "choose the folder), or point --data-root / $TINYGRAD_OPT_DATA at a folder "
                f"holding {name}/ with the four IDX .gz files"
            ) from None
    else:
        if size is None:
            size = GENERATED_SIZE[name]
            if limit is not None:  # enough examples that --limit N gives N to train on
                size = max(size, int(np.ceil(limit / (1 - TEST_SHARE))))
        x, y = generate(name, size, seed)
        order = np.random.default_rng(seed).permutation(len(y))
        n_test = int(len(y) * TEST_SHARE)
        test, train = order[:n_test], order[n_test:]
        x_train, y_train, x_test, y_test = x[train], y[train], x[test], y[test]
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
        x_test, y_test = x_test[:limit], y_test[:limit]
    return Data(name, np.ascontiguousarray(x_train, dtype=np.float32),
                np.asarray(y_train, dtype=np.int64),
                np.ascontiguousarray(x_test, dtype=np.float32), np.asarray(y_test, dtype=np.int64))


def generate(name: str, n: int, seed: int, **options) -> tuple[np.ndarray, np.ndarray]:
    """A generated dataset of `n` examples (options go to its make_* function)."""
    from .. import datasets

    make = getattr(datasets, f"make_{name}")
    return make(n, seed=seed, **options)


def build_model(name: str, data: Data):
    """The named network, sized for `data`'s inputs and classes.

    - mlp: Flatten, then two hidden ReLU layers (256-128 for images, 64-64 for points).
    - lenet: LeNet-5 (LeCun et al. 1998) with ReLU and max pooling, padding 2 on the first
      convolution so 28x28 inputs fit its 32x32 design.
    - cnn: a small, fast CNN: two 3x3 convolutions (8 and 16 channels), each followed by
      batch norm, ReLU and 2x2 max pooling, then a 32-unit hidden layer. Batch norm lets it
      learn in a hundred steps, which keeps `make run` to about a minute.
    """
    from .. import nn

    classes = data.num_classes
    if name == "mlp":
        in_features = int(np.prod(data.x_train.shape[1:]))
        hidden = (256, 128) if data.is_image else (64, 64)
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, hidden[0]), nn.ReLU(),
            nn.Linear(hidden[0], hidden[1]), nn.ReLU(),
            nn.Linear(hidden[1], classes),
        )
    if not data.is_image:
        raise CLIError(
            f"--model {name} needs an image dataset ({', '.join(IMAGE_DATASETS)}); "
            f"{data.name} holds 2-D points: use --model mlp"
        )
    channels, height, width = data.x_train.shape[1:]
    if name == "lenet":
        return nn.Sequential(
            nn.Conv2d(channels, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * ((height // 2 - 4) // 2) * ((width // 2 - 4) // 2), 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, classes),
        )
    return nn.Sequential(
        nn.Conv2d(channels, 8, kernel_size=3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * (height // 4) * (width // 4), 32), nn.ReLU(),
        nn.Linear(32, classes),
    )


def loaders(data: Data, batch_size: int, seed: int, epoch: int = 0):
    """(train loader, test loader); the train order depends only on (seed, epoch)."""
    if batch_size < 1:
        raise CLIError(f"--batch-size must be a positive integer, got {batch_size}")
    from ..data import DataLoader, TensorDataset

    train = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=batch_size,
                       shuffle=True, seed=seed * 100_003 + epoch)
    test = DataLoader(TensorDataset(data.x_test, data.y_test), batch_size=max(batch_size, 256))
    return train, test


def loss_function():
    """Cross-entropy, the loss of every classification workload here."""
    from .. import nn  # noqa: F401  (imported first: tinygrad_opt.loss depends on nn)
    from ..loss import cross_entropy

    return cross_entropy
