"""Memory-layout helpers shared by the conv, pooling and normalisation ops.

Convolution outputs are NCHW-shaped views of channels-last (NHWC) memory (see conv.py), so
the next layer can read them channels-last without a copy. These helpers get the layout an
op wants, copying only when the memory is not already arranged that way.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def channels_last(a: np.ndarray) -> np.ndarray:
    """The (N, H, W, C) C-contiguous form of an (N, C, H, W) array; no copy if it already is."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


def channels_last_2d(a: np.ndarray) -> np.ndarray:
    """An (N, C, *spatial) array as a contiguous (N * prod(spatial), C) matrix."""
    if a.ndim == 2:
        return np.ascontiguousarray(a)
    moved = np.moveaxis(a, 1, -1)
    return np.ascontiguousarray(moved).reshape(-1, a.shape[1])


def from_channels_last_2d(m: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of `channels_last_2d`: an (N, C, *spatial)-shaped view of the matrix `m`."""
    if len(shape) == 2:
        return m
    moved_shape = (shape[0], *shape[2:], shape[1])
    return np.moveaxis(m.reshape(moved_shape), -1, 1)


def flat_view(a: np.ndarray) -> np.ndarray:
    """A 1-D view of `a` in memory order; `a` must be contiguous in some axis order."""
    flat = a.ravel(order="K")
    if not np.shares_memory(flat, a):
        raise RuntimeError("flat_view: array is not contiguous in any axis order")
    return flat


def float_data(t: Tensor, who: str) -> np.ndarray:
    """The float array of a Tensor input, or a TypeError naming the op."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{who}: expected a Tensor input, got {type(t).__name__}")
    if t.data.dtype.kind != "f":
        raise TypeError(
            f"{who}: expected a floating-point input, got {t.data.dtype}; convert it with "
            "Tensor(x, dtype=np.float32)"
        )
    return t.data


def pair(value, name: str, who: str) -> tuple[int, int]:
    """An int or a pair of ints as (h, w)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        return int(value[0]), int(value[1])
    raise TypeError(f"{who}: {name} must be an int or a pair of ints, got {value!r}")
