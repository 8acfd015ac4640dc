"""The exponential distribution of rate `rate` (mean 1/rate), as
torch.distributions.Exponential."""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_params


class Exponential(ExponentialFamily):
    """Exp(rate): density rate exp(-rate x) on x >= 0. rsample is e / rate with e ~ Exp(1)."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None) -> None:
        (self.rate,) = broadcast_params("Exponential", rate=rate)
        super().__init__(self.rate.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> Exponential:
        shape = self._checked_batch_shape(batch_shape)
        return Exponential(self.rate.expand(*shape), validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros(self.rate.shape, self.rate.data.dtype))

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return (self.rate * self.rate).reciprocal()

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        e = generator().standard_exponential(shape, dtype=self.rate.data.dtype)
        return Tensor(e) / self.rate

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value) -> Tensor:
        return -(-value).log1p() / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()

    # exponential-family form: eta = -rate, T(x) = x, h = 1, A = -log(-eta)
    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (-self.rate,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return -(-x).log()

    @property
    def _mean_carrier_measure(self) -> float:
        return 0.0
