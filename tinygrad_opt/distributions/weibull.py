"""The Weibull distribution with `scale` and shape `concentration`, as
torch.distributions.Weibull."""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .exponential import Exponential
from .gumbel import EULER_GAMMA
from .transforms import AffineTransform, PowerTransform
from .utils import broadcast_params


class Weibull(Distribution):
    """Density (k / s) (x / s)^(k-1) exp(-(x / s)^k), s = scale, k = concentration.
    rsample is s e^(1/k), e ~ Exp(1), so gradients reach both parameters. torch builds it
    as a TransformedDistribution of an Exponential; here it is a plain family whose
    `base_dist` (Exponential(1)) and `transforms` (PowerTransform(1/k), AffineTransform(0, s))
    say the same, as torch."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale, concentration, validate_args=None) -> None:
        self.scale, self.concentration = broadcast_params(
            "Weibull", scale=scale, concentration=concentration
        )
        super().__init__(self.scale.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> Weibull:
        shape = self._checked_batch_shape(batch_shape)
        return Weibull(self.scale.expand(*shape), self.concentration.expand(*shape),
                       validate_args=self._validate_args)

    @property
    def base_dist(self) -> Exponential:
        ones = Tensor(np.ones(self.batch_shape, self.scale.data.dtype))
        return Exponential(ones, validate_args=False)

    @property
    def transforms(self) -> list:
        return [PowerTransform(self.concentration.reciprocal()),
                AffineTransform(0, self.scale)]

    @property
    def mean(self) -> Tensor:
        return self.scale * (1 + self.concentration.reciprocal()).lgamma().exp()

    @property
    def mode(self) -> Tensor:
        """s ((k - 1) / k)^(1/k): 0 at k = 1 and NaN below (no interior mode), as torch."""
        k = self.concentration
        with np.errstate(invalid="ignore"):  # a negative base below k = 1: NaN, no warning
            return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self) -> Tensor:
        k = self.concentration
        return self.scale * self.scale * ((1 + 2 / k).lgamma().exp()
                                          - (2 * (1 + 1 / k).lgamma()).exp())

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dtype = np.result_type(self.scale.data.dtype, self.concentration.data.dtype)
        e = generator().standard_exponential(shape, dtype=dtype)
        return self.scale * Tensor(e) ** self.concentration.reciprocal()

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        k, s = self.concentration, self.scale
        z = value / s
        return (k / s).log() + (k - 1) * z.log() - z**k

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return -(-((value / self.scale) ** self.concentration)).expm1()

    def icdf(self, value) -> Tensor:
        return self.scale * (-(-value).log1p()) ** self.concentration.reciprocal()

    def entropy(self) -> Tensor:
        k = self.concentration
        return EULER_GAMMA * (1 - k.reciprocal()) + (self.scale / k).log() + 1
