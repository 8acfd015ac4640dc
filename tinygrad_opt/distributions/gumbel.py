"""The Gumbel (type-I extreme value) distribution with location `loc` and scale `scale`,
as torch.distributions.Gumbel."""

from __future__ import annotations

import math

import numpy as np

from ..random import generator
from ..tensor import Tensor
from .location_scale import LocationScale
from .transforms import AffineTransform, ExpTransform
from .uniform import Uniform

EULER_GAMMA = 0.57721566490153286061


class Gumbel(LocationScale):
    """Density exp(-(z + exp(-z))) / scale, z = (x - loc) / scale. rsample inverts the cdf:
    loc - scale log(-log u), u ~ U(tiny, 1 - eps), as torch (the bounds keep it finite).
    torch builds it as a TransformedDistribution of a Uniform; here it is a plain family
    whose `base_dist` (that Uniform) and `transforms` (-log, then loc - scale log) say the
    same, as torch."""

    @property
    def base_dist(self) -> Uniform:
        info = np.finfo(self.loc.data.dtype)
        shape = self.batch_shape
        return Uniform(Tensor(np.full(shape, info.tiny, info.dtype)),
                       Tensor(np.full(shape, 1 - info.eps, info.dtype)), validate_args=False)

    @property
    def transforms(self) -> list:
        minus_one = Tensor(-np.ones(self.batch_shape, self.loc.data.dtype))
        return [ExpTransform().inv, AffineTransform(0, minus_one), ExpTransform().inv,
                AffineTransform(self.loc, -self.scale)]

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * EULER_GAMMA

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return (math.pi**2 / 6) * self.scale * self.scale

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dtype = np.result_type(self.loc.data.dtype, self.scale.data.dtype)
        info = np.finfo(dtype)
        u = generator().uniform(info.tiny, 1 - info.eps, shape).astype(dtype)
        return self.loc - self.scale * Tensor(np.log(-np.log(u)))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        z = (self.loc - value) / self.scale
        return z - z.exp() - self.scale.log()

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value) -> Tensor:
        return self.loc - self.scale * (-value.log()).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + EULER_GAMMA)
