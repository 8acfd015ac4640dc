"""Synthetic datasets that need no files: spirals, moons, blobs and drawn shapes.

Each function takes `n_samples`, `noise` and `seed` and returns `(x, y)` numpy arrays with
float32 features and int64 labels, the dtypes the rest of the package trains in (scikit-
learn's generators return float64). `seed=None` draws from `tinygrad_opt.random.generator()`,
so `manual_seed` makes the data repeat; an int seed uses its own generator. Samples are
shuffled and classes are balanced (sizes differ by at most one).
"""

from __future__ import annotations

import numpy as np

from .. import random as _random

SHAPE_CLASSES = ("square", "circle", "triangle", "cross")


def _rng(seed: int | None) -> np.random.Generator:
    if seed is None:
        return _random.generator()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")
    return np.random.default_rng(int(seed))


def _check(n_samples: int, noise: float, min_samples: int = 1) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"n_samples must be an int, got {n_samples!r}")
    if n_samples < min_samples:
        raise ValueError(f"n_samples must be at least {min_samples}, got {n_samples}")
    if not (isinstance(noise, (int, float, np.floating, np.integer)) and noise >= 0):
        raise ValueError(f"noise must be a non-negative number, got {noise!r}")


def _balanced_labels(n_samples: int, n_classes: int) -> np.ndarray:
    return np.arange(n_samples, dtype=np.int64) % n_classes


def _shuffled(rng: np.random.Generator, x: np.ndarray, y: np.ndarray):
    order = rng.permutation(len(y))
    return np.ascontiguousarray(x[order], dtype=np.float32), y[order]


def make_spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved 2-D spiral arms (the CS231n toy set), x of shape (n_samples, 2).

    Arm k's point at fraction t in [0, 1] has radius t and angle 4t + 2*pi*k/n_classes
    (plus Gaussian noise of standard deviation `noise` on the angle), i.e. each arm turns
    4 radians.
    """
    _check(n_samples, noise)
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TypeError(f"n_classes must be an int, got {n_classes!r}")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    rng = _rng(seed)
    y = _balanced_labels(n_samples, n_classes)
    t = rng.uniform(0.0, 1.0, n_samples)
    angle = 4.0 * t + 2.0 * np.pi * y / n_classes + noise * rng.standard_normal(n_samples)
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return _shuffled(rng, x, y)


def make_moons(
    n_samples: int = 100, noise: float = 0.0, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's make_moons layout), x (n_samples, 2).

    Class 0: (cos a, sin a); class 1: (1 - cos a, 0.5 - sin a), a evenly spaced in [0, pi],
    then Gaussian noise of standard deviation `noise` on each coordinate.
    """
    _check(n_samples, noise, min_samples=2)
    rng = _rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    a_outer = np.linspace(0.0, np.pi, n_outer)
    a_inner = np.linspace(0.0, np.pi, n_inner)
    x = np.concatenate(
        [
            np.stack([np.cos(a_outer), np.sin(a_outer)], axis=1),
            np.stack([1.0 - np.cos(a_inner), 0.5 - np.sin(a_inner)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    x = x + noise * rng.standard_normal(x.shape)
    return _shuffled(rng, x, y)


def make_blobs(
    n_samples: int = 100,
    centers: int = 3,
    n_features: int = 2,
    noise: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters, x of shape (n_samples, n_features).

    Centres are drawn uniformly in `center_box` per coordinate; `noise` is the clusters'
    standard deviation (scikit-learn's `cluster_std`).
    """
    _check(n_samples, noise)
    for name, value in (("centers", centers), ("n_features", n_features)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    low, high = center_box
    if not low < high:
        raise ValueError(f"center_box must be (low, high) with low < high, got {center_box}")
    rng = _rng(seed)
    means = rng.uniform(low, high, (centers, n_features))
    y = _balanced_labels(n_samples, centers)
    x = means[y] + noise * rng.standard_normal((n_samples, n_features))
    return _shuffled(rng, x, y)


def make_shapes(
    n_samples: int = 1000, noise: float = 0.1, seed: int | None = None, image_size: int = 28
) -> tuple[np.ndarray, np.ndarray]:
    """Grey images of drawn shapes for CNNs: x (n_samples, 1, S, S) float32 in [0, 1].

    Labels index `SHAPE_CLASSES`: 0 filled square, 1 filled disc, 2 filled upward triangle,
    3 plus-shaped cross. Each image gets a random half-size r in [0.15 S, 0.3 S], a random
    centre keeping the shape inside the image, a random brightness in [0.6, 1], anti-aliased
    edges (one pixel of ramp), then Gaussian pixel noise of standard deviation `noise`, and
    is clipped to [0, 1].
    """
    _check(n_samples, noise)
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)):
        raise TypeError(f"image_size must be an int, got {image_size!r}")
    if image_size < 8:
        raise ValueError(f"image_size must be at least 8, got {image_size}")
    rng = _rng(seed)
    size = int(image_size)
    y = _balanced_labels(n_samples, len(SHAPE_CLASSES))
    r = rng.uniform(0.15 * size, 0.3 * size, n_samples)
    cx = rng.uniform(r, size - 1 - r)
    cy = rng.uniform(r, size - 1 - r)
    brightness = rng.uniform(0.6, 1.0, n_samples)
    x = np.empty((n_samples, 1, size, size), dtype=np.float32)
    for start in range(0, n_samples, _SHAPES_CHUNK):  # bounded memory for large n_samples
        part = slice(start, min(start + _SHAPES_CHUNK, n_samples))
        ink = _draw_shapes(y[part], r[part], cx[part], cy[part], size)
        ink *= brightness[part, None, None]
        ink += noise * rng.standard_normal(ink.shape)
        x[part, 0] = np.clip(ink, 0.0, 1.0)
    return _shuffled(rng, x, y)


_SHAPES_CHUNK = 4096


def _draw_shapes(y, r, cx, cy, size: int) -> np.ndarray:
    """Anti-aliased ink in [0, 1] of shape (len(y), size, size)."""
    grid = np.arange(size, dtype=np.float64)
    dx = grid[None, None, :] - cx[:, None, None]  # column offset, (n, 1, S)
    dy = grid[None, :, None] - cy[:, None, None]  # row offset (down is positive), (n, S, 1)
    rr = r[:, None, None]
    # A signed distance-like field per class: negative inside, positive outside.
    field = np.empty((len(y), size, size))
    for label, draw in enumerate((_square, _disc, _triangle, _cross)):
        chosen = y == label
        if chosen.any():
            field[chosen] = draw(dx[chosen], dy[chosen], rr[chosen])
    return np.clip(0.5 - field, 0.0, 1.0)


def _square(dx, dy, r):
    return np.maximum(np.abs(dx), np.abs(dy)) - r


def _disc(dx, dy, r):
    return np.sqrt(dx * dx + dy * dy) - r


def _triangle(dx, dy, r):
    # apex at (0, -r), base from (-r, r) to (r, r): half-width at row dy is (dy + r) / 2
    return np.maximum(np.maximum(dy - r, -r - dy), np.abs(dx) - (dy + r) / 2)


def _cross(dx, dy, r):
    arm = r / 3.0  # half-thickness of each bar
    horizontal = np.maximum(np.abs(dx) - r, np.abs(dy) - arm)
    vertical = np.maximum(np.abs(dy) - r, np.abs(dx) - arm)
    return np.minimum(horizontal, vertical)
