"""What the location-scale families (Normal, Laplace) share: `loc` and `scale` broadcast
together, a batch shape from them, `expand`, and loc as both mean and mode."""

from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_params


class LocationScale(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_params(type(self).__name__, loc=loc, scale=scale)
        super().__init__(self.loc.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> LocationScale:
        shape = self._checked_batch_shape(batch_shape)
        return type(self)(self.loc.expand(*shape), self.scale.expand(*shape),
                          validate_args=self._validate_args)  # fmt: skip

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc
