"""The Cauchy distribution with location `loc` and scale `scale`, as
torch.distributions.Cauchy."""

from __future__ import annotations

import math

import numpy as np

from ..random import generator
from ..tensor import Tensor
from .location_scale import LocationScale


class Cauchy(LocationScale):
    """Density 1 / (pi scale (1 + z^2)), z = (x - loc) / scale. rsample is loc + scale c
    with c a standard Cauchy draw. mean is NaN and variance +inf (undefined), as torch."""

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.nan, self.loc.data.dtype))

    @property
    def variance(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.inf, self.loc.data.dtype))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dtype = np.result_type(self.loc.data.dtype, self.scale.data.dtype)
        c = generator().standard_cauchy(shape).astype(dtype)
        return self.loc + Tensor(c) * self.scale

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - (z * z).log1p()

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value) -> Tensor:
        return self.loc + self.scale * (math.pi * (value - 0.5)).tan()

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()
