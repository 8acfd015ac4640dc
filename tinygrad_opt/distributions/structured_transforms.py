"""Transforms applied piecewise along one dimension, as torch.distributions.transforms:
`CatTransform` (a transform per slice) and `StackTransform` (a transform per index). Also
importable from transforms.py.
"""

from __future__ import annotations

from ..ops.join import cat, stack
from ..tensor import Tensor
from . import constraints
from .transforms import Transform
from .utils import sum_rightmost


def _transforms(owner: str, tseq, cache_size: int) -> list[Transform]:
    tseq = list(tseq) if isinstance(tseq, (list, tuple)) else tseq
    if not isinstance(tseq, list) or not tseq or not all(isinstance(t, Transform) for t in tseq):
        raise TypeError(f"{owner}: tseq must be a non-empty list of Transforms, got {tseq!r}")
    return [t.with_cache(cache_size) for t in tseq] if cache_size else tseq


def _check_dim(owner: str, dim: int, x: Tensor, size: int, what: str) -> None:
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{owner}: dim {dim} is out of range for an input of shape {x.shape}")
    if x.shape[dim] != size:
        raise ValueError(f"{owner}: the input has size {x.shape[dim]} along dim {dim}, "
                         f"expected {size} ({what})")


class CatTransform(Transform):
    """tseq[i] applied to the i-th slice of x along `dim` (slices of `lengths[i]`, default 1
    each), the results concatenated. log|det J| applies the same split: each part is summed
    over the events of the widest transform (`event_dim`, the largest of the parts'); the
    parts are concatenated along `dim` when it lies left of the event dimensions, else
    added (as torch). Bad input raises ValueError (torch asserts)."""

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0) -> None:
        transforms = _transforms("CatTransform", tseq, cache_size)
        lengths = [1] * len(transforms) if lengths is None else list(lengths)
        if len(lengths) != len(transforms) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in lengths):
            raise ValueError(f"CatTransform: lengths must be {len(transforms)} ints >= 0 (one "
                             f"per transform), got {lengths!r}")
        super().__init__(cache_size=cache_size)
        self.transforms = transforms
        self.lengths = lengths
        self.dim = dim

    @property
    def length(self) -> int:
        return sum(self.lengths)

    @property
    def event_dim(self) -> int:
        return max(t.event_dim for t in self.transforms)

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size=cache_size)

    @property
    def bijective(self) -> bool:
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    def _slices(self, x: Tensor) -> list[Tensor]:
        _check_dim("CatTransform", self.dim, x, self.length, "sum(lengths)")
        starts = [sum(self.lengths[:i]) for i in range(len(self.lengths))]
        return [x.narrow(self.dim, s, n) for s, n in zip(starts, self.lengths)]

    def _call(self, x):
        return cat([t(part) for t, part in zip(self.transforms, self._slices(x))], self.dim)

    def _inverse(self, y):
        return cat([t.inv(part) for t, part in zip(self.transforms, self._slices(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        event_dim = self.event_dim
        parts = [sum_rightmost(t.log_abs_det_jacobian(xs, ys), event_dim - t.event_dim)
                 for t, xs, ys in zip(self.transforms, self._slices(x), self._slices(y))]
        dim = (self.dim - x.ndim if self.dim >= 0 else self.dim) + event_dim
        if dim < 0:  # dim is a batch dimension of the log-determinants: keep the pieces apart
            return cat(parts, dim)
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total

    def __repr__(self) -> str:
        return f"CatTransform({self.transforms!r}, dim={self.dim}, lengths={self.lengths})"


class StackTransform(Transform):
    """tseq[i] applied to x.select(dim, i), the results stacked along `dim`; the parts'
    log|det J| are stacked along `dim` too (as torch)."""

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0) -> None:
        transforms = _transforms("StackTransform", tseq, cache_size)
        super().__init__(cache_size=cache_size)
        self.transforms = transforms
        self.dim = dim

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size=cache_size)

    @property
    def bijective(self) -> bool:
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    def _slices(self, x: Tensor) -> list[Tensor]:
        _check_dim("StackTransform", self.dim, x, len(self.transforms), "one per transform")
        return [x.select(self.dim, i) for i in range(len(self.transforms))]

    def _call(self, x):
        return stack([t(part) for t, part in zip(self.transforms, self._slices(x))], self.dim)

    def _inverse(self, y):
        return stack([t.inv(part) for t, part in zip(self.transforms, self._slices(y))],
                     self.dim)

    def log_abs_det_jacobian(self, x, y):
        return stack([t.log_abs_det_jacobian(xs, ys)
                      for t, xs, ys in zip(self.transforms, self._slices(x), self._slices(y))],
                     self.dim)

    def __repr__(self) -> str:
        return f"StackTransform({self.transforms!r}, dim={self.dim})"
