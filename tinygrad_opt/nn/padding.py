"""`pad` as torch.nn.functional.pad: constant padding (Tensor.pad) and the reflect,
replicate and circular modes.

The non-constant modes gather with one index map per padded axis (a reflected, clamped or
wrapped range of positions; negative amounts crop): the kept middle is copied as one slice
and only the border goes through the map, so the backward scatter-adds (np.add.at) the
border's gradient only: positions copied several times receive every copy's share. Conv2d's
padding modes pad through here too (conv_padding.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..ops.movement import pad as constant_pad
from ..tensor import Tensor
from ._layout import float_data

_MODES = ("constant", "reflect", "replicate", "circular")
# torch pads 1, 2 or 3 trailing dimensions in the non-constant modes, each with or
# without a batch axis in front of the channel axis
_NON_CONSTANT_DIMS = {2: (2, 3), 4: (3, 4), 6: (4, 5)}


def _index_map(mode: str, n: int, lo: int, hi: int) -> np.ndarray:
    """The source position of each output position along one axis of size n."""
    j = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        # as torch: crop first, then wrap around what is left
        start = max(-lo, 0)
        kept = n - start - max(-hi, 0)
        return start + np.arange(-max(lo, 0), kept + max(hi, 0)) % kept
    j = np.abs(j)  # reflect (no edge repeat); |amounts| < n, so one fold is enough
    return np.where(j > n - 1, 2 * (n - 1) - j, j)


def _centre(index: np.ndarray) -> tuple[int, int, int]:
    """(first, stop, source): output positions [first, stop) copy the input run starting at
    `source` in order (the longest such run: the kept middle of the axis); the rest is the
    border."""
    if not index.size:
        return 0, 0, 0
    breaks = np.flatnonzero(np.diff(index) != 1) + 1
    starts, stops = np.r_[0, breaks], np.r_[breaks, index.size]
    best = int(np.argmax(stops - starts))
    return int(starts[best]), int(stops[best]), int(index[starts[best]])


def _gather(x: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
    """np.take(x, index, axis), with the kept middle copied as one slice and only the
    (small) border gathered."""
    first, stop, source = _centre(index)
    out = np.empty((*x.shape[:axis], index.size, *x.shape[axis + 1 :]), dtype=x.dtype)
    at = (slice(None),) * axis
    out[(*at, slice(first, stop))] = x[(*at, slice(source, source + stop - first))]
    border = np.r_[0:first, stop : index.size]
    if border.size:
        out[(*at, border)] = np.take(x, index[border], axis=axis)
    return out


def _fold(g: np.ndarray, index: np.ndarray, axis: int, size: int) -> np.ndarray:
    """The adjoint of _gather: each input position gets the sum of the gradients of the
    output positions that copied it (np.add.at on the border only, where replicate and
    circular copy one position several times)."""
    first, stop, source = _centre(index)
    out = np.zeros((*g.shape[:axis], size, *g.shape[axis + 1 :]), dtype=g.dtype)
    at = (slice(None),) * axis
    out[(*at, slice(source, source + stop - first))] = g[(*at, slice(first, stop))]
    border = np.r_[0:first, stop : index.size]
    if border.size:
        np.add.at(out, (*at, index[border]), g[(*at, border)])
    return out


def _check_amounts(mode: str, shape: tuple[int, ...], amounts: tuple[int, ...]) -> None:
    for i in range(len(amounts) // 2):
        lo, hi = amounts[2 * i], amounts[2 * i + 1]
        axis = len(shape) - 1 - i
        n = shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ValueError(
                f"pad: reflect padding must be less than the input size along its dimension, "
                f"got padding ({lo}, {hi}) for dimension {axis} of size {n}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise ValueError(
                f"pad: circular padding of ({lo}, {hi}) wraps around dimension {axis} of size "
                f"{n} more than once"
            )
        size = n + lo + hi
        if mode == "circular" and size > 0 and n - max(-lo, 0) - max(-hi, 0) < 1:
            raise ValueError(
                f"pad: circular padding ({lo}, {hi}) crops all of dimension {axis} of size {n}"
                " and then wraps around nothing"
            )
        if size < (0 if mode == "circular" else 1):
            raise ValueError(
                f"pad: padding ({lo}, {hi}) leaves dimension {axis} of size {n} with size {size}"
            )


def pad(  # noqa: A002
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = 0.0
) -> Tensor:
    """Pad `input` by the flat tuple `pad` = (left, right) of the last dimension, then the
    one before, ...; negative amounts crop.

    mode='constant' fills with `value` (any dimensions). 'reflect' mirrors without repeating
    the edge (amounts < the dimension's size), 'replicate' repeats the edge, 'circular' wraps
    around (amounts <= the size); these pad the last 1, 2 or 3 dimensions of a 2-3, 3-4 or
    4-5 dimensional input and take no `value`, as torch. ValueError where torch raises
    NotImplementedError or RuntimeError.
    """
    if mode not in _MODES:
        raise ValueError(f"pad: mode must be one of {_MODES}, got {mode!r}")
    if mode == "constant":
        return constant_pad(input, pad, 0.0 if value is None else value)
    x = float_data(input, "pad")
    try:
        amounts = tuple(int(a) for a in pad)
    except (TypeError, ValueError):
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}") from None
    if value is not None and value != 0:
        raise ValueError(f"pad: mode {mode!r} takes no value argument, got value={value}")
    if len(amounts) not in _NON_CONSTANT_DIMS or x.ndim not in _NON_CONSTANT_DIMS[len(amounts)]:
        raise ValueError(
            f"pad: mode {mode!r} pads 2, 4 or 6 amounts on 2-3, 3-4 or 4-5 dimensional input "
            f"respectively, got {len(amounts)} amounts for input of shape {x.shape}"
        )
    _check_amounts(mode, x.shape, amounts)
    maps = {}
    for i in range(len(amounts) // 2):
        axis = x.ndim - 1 - i
        maps[axis] = _index_map(mode, x.shape[axis], amounts[2 * i], amounts[2 * i + 1])
    out = x
    for axis, index in maps.items():
        out = _gather(out, index, axis)

    def backward(g):
        for axis, index in reversed(maps.items()):
            g = _fold(g, index, axis, x.shape[axis])
        return (g,)

    return Tensor.make(out, (input,), backward)
