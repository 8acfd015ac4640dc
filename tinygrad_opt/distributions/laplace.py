"""The Laplace distribution with location `loc` and scale `scale`, as
torch.distributions.Laplace."""

from __future__ import annotations

import math

import numpy as np

from ..random import generator
from ..tensor import Tensor
from .location_scale import LocationScale


class Laplace(LocationScale):
    """Density exp(-|x - loc| / scale) / (2 scale). rsample inverts the cdf at
    u ~ U(eps - 1, 1): loc - scale sign(u) log(1 - |u|), as torch (eps keeps it finite)."""

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale * self.scale

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dtype = np.result_type(self.loc.data.dtype, self.scale.data.dtype)
        eps = np.finfo(dtype).eps
        u = generator().uniform(eps - 1, 1, shape).astype(dtype)
        return self.loc - self.scale * Tensor(np.sign(u) * np.log1p(-np.abs(u)))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * (-d.abs() / self.scale).expm1()

    def icdf(self, value) -> Tensor:
        t = value - 0.5
        return self.loc - self.scale * t.sign() * (-2 * t.abs()).log1p()

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()
