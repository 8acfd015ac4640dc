"""Shared helpers for the train tests (small data, small models, numpy references)."""

from __future__ import annotations

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.data import DataLoader, TensorDataset


def blobs(n: int = 96, features: int = 4, classes: int = 3, seed: int = 0):
    """Gaussian clusters: float32 inputs (n, features), int64 labels (n,)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 3.0, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    x = centres[y] + rng.normal(0.0, 1.0, size=(n, features))
    return x.astype(np.float32), y.astype(np.int64)


def regression(n: int = 128, features: int = 3, seed: int = 0):
    """Linear targets with noise: float32 x (n, features), y (n, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    y = x @ rng.normal(size=(features, 1)) + 0.1 * rng.normal(size=(n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def loader(x, y, batch_size: int, shuffle: bool = False, seed=None) -> DataLoader:
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, seed=seed)


def mlp(features: int = 4, hidden: int = 8, classes: int = 3, dropout: float = 0.0):
    layers = [nn.Linear(features, hidden), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, classes))
    return nn.Sequential(*layers)


def parameters(model) -> dict[str, np.ndarray]:
    return {name: p.data.copy() for name, p in model.named_parameters()}


def assert_same_parameters(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def linear_sgd_reference(weight, bias, x, y, windows, lr, max_norm=None):
    """Plain-numpy SGD on mean((x W^T + b - y)^2), float64, one step per window of rows.

    `lr` is one rate for every step or a sequence with one rate per step. Returns the final
    (weight, bias), and per step the loss before it and the gradient norm.
    """
    rates = list(lr) if np.ndim(lr) else [lr] * len(windows)
    w = weight.astype(np.float64)
    b = bias.astype(np.float64)
    losses, norms = [], []
    for rows, rate in zip(windows, rates, strict=True):
        xs, ys = x[rows].astype(np.float64), y[rows].astype(np.float64)
        residual = xs @ w.T + b - ys
        losses.append(float(np.mean(residual**2)))
        g_out = 2.0 * residual / residual.size
        grad_w, grad_b = g_out.T @ xs, g_out.sum(axis=0)
        norm = float(np.sqrt(np.sum(grad_w**2) + np.sum(grad_b**2)))
        norms.append(norm)
        if max_norm is not None:
            scale = min(1.0, max_norm / (norm + 1e-6))  # PyTorch's clip_grad_norm_ rule
            grad_w, grad_b = grad_w * scale, grad_b * scale
        w, b = w - rate * grad_w, b - rate * grad_b
    return w, b, losses, norms


def seeded_linear(features: int, outputs: int, seed: int = 0) -> nn.Linear:
    tg.manual_seed(seed)
    return nn.Linear(features, outputs)
