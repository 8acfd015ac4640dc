"""The reference models of the benchmarks, training loop and command line (28x28x1 input,
10 classes). Each function builds a fresh model with PyTorch's default initialisation."""

from __future__ import annotations

from . import nn


def mlp() -> nn.Sequential:
    """784-256-128-10 with ReLU; expects (N, 784) or (N, 1, 28, 28) input (flattened first)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256),
        nn.ReLU(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def lenet5() -> nn.Sequential:
    """LeNet-5 with ReLU and max pooling: conv 1->6 5x5 pad 2, pool, conv 6->16 5x5, pool,
    400-120-84-10."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def keras_cnn() -> nn.Sequential:
    """The Keras MNIST example's CNN without its dropouts: conv 1->32 3x3, conv 32->64 3x3,
    max pool 2, 9216-128-10, ReLU throughout."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(9216, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def bn_cnn() -> nn.Sequential:
    """conv 1->16 3x3 pad 1, BN, ReLU, pool, conv 16->32 3x3 pad 1, BN, ReLU, pool,
    dropout 0.25, 1568-10."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(1568, 10),
    )


MODELS = {"mlp": mlp, "lenet5": lenet5, "keras_cnn": keras_cnn, "bn_cnn": bn_cnn}


def create(name: str) -> nn.Sequential:
    """A model by name: one of MODELS."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    return MODELS[name]()
