"""The normal distribution N(loc, scale^2), as torch.distributions.Normal."""

from __future__ import annotations

import math

import numpy as np

from ..random import generator
from ..tensor import Tensor
from .exp_family import ExponentialFamily
from .location_scale import LocationScale

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class Normal(LocationScale, ExponentialFamily):
    """N(loc, scale^2). rsample is loc + scale * eps with eps ~ N(0, 1), so gradients reach
    loc (1) and scale (eps). cdf uses erf, icdf erfinv."""

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale * self.scale

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dtype = np.result_type(self.loc.data.dtype, self.scale.data.dtype)
        eps = generator().standard_normal(shape, dtype=dtype)
        return self.loc + Tensor(eps) * self.scale

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        z = (value - self.loc) / self.scale
        return -0.5 * z * z - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def icdf(self, value) -> Tensor:
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)

    def entropy(self) -> Tensor:
        return 0.5 + _LOG_SQRT_2PI + self.scale.log()

    # exponential-family form: eta = (loc / scale^2, -1 / (2 scale^2)), T(x) = (x, x^2),
    # h = 1, A = -eta1^2 / (4 eta2) + log(pi / -eta2) / 2
    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        var = self.scale * self.scale
        return self.loc / var, -0.5 / var

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return -0.25 * x * x / y + 0.5 * (-math.pi / y).log()

    @property
    def _mean_carrier_measure(self) -> float:
        return 0.0
