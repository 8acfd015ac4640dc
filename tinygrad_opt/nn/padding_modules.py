"""Padding layers with torch.nn's names (ZeroPad1d/2d, ConstantPad1d/2d, ReflectionPad1d/2d,
ReplicationPad1d/2d, CircularPad1d/2d), each a thin Module over `F.pad` (padding.py).

`padding` is an int (the same on every side) or a tuple (left, right) for 1d, (left, right,
top, bottom) for 2d, stored as a tuple as torch stores it.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .module import Module
from .padding import pad


def _amounts(padding, sides: int, who: str) -> tuple[int, ...]:
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        return (int(padding),) * sides
    if (
        isinstance(padding, (tuple, list))
        and len(padding) == sides
        and all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in padding)
    ):
        return tuple(int(p) for p in padding)
    raise TypeError(f"{who}: padding must be an int or a tuple of {sides} ints, got {padding!r}")


class _PadNd(Module):
    """Pads the last `sides // 2` dimensions with F.pad in `mode`."""

    sides = 2
    mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _amounts(padding, self.sides, type(self).__name__)

    def forward(self, x: Tensor) -> Tensor:
        if self.mode == "constant":
            return pad(x, self.padding, "constant", getattr(self, "value", 0.0))
        return pad(x, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """ConstantPad1d(padding, value): fill the last dimension's new positions with value."""


class ConstantPad2d(_ConstantPadNd):
    """ConstantPad2d(padding, value): fill the last two dimensions' new positions with value."""

    sides = 4


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Mirror without repeating the edge; each amount must be below the dimension's size."""

    mode = "reflect"


class ReflectionPad2d(_PadNd):
    mode = "reflect"
    sides = 4


class ReplicationPad1d(_PadNd):
    """Repeat the edge value."""

    mode = "replicate"


class ReplicationPad2d(_PadNd):
    mode = "replicate"
    sides = 4


class CircularPad1d(_PadNd):
    """Wrap around; each amount must be at most the dimension's size."""

    mode = "circular"


class CircularPad2d(_PadNd):
    mode = "circular"
    sides = 4


class ConstantPad3d(_ConstantPadNd):
    """ConstantPad3d(padding, value): fill the last three dimensions' new positions with
    value; padding is an int or (left, right, top, bottom, front, back)."""

    sides = 6


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad3d(_PadNd):
    mode = "reflect"
    sides = 6


class ReplicationPad3d(_PadNd):
    mode = "replicate"
    sides = 6


class CircularPad3d(_PadNd):
    mode = "circular"
    sides = 6
