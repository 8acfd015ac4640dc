"""The Poisson distribution with rate `rate`, as torch.distributions.Poisson."""

from __future__ import annotations

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_params


class Poisson(ExponentialFamily):
    """P(k) = rate^k exp(-rate) / k! on k = 0, 1, ...; log_prob is k log(rate) - rate -
    lgamma(k + 1) (0 log 0 = 0, so rate 0 is allowed). Samples come from numpy's Poisson
    sampler, as floats of the parameter's dtype (as torch). No rsample, no entropy (as
    torch)."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None) -> None:
        (self.rate,) = broadcast_params("Poisson", rate=rate)
        super().__init__(self.rate.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> Poisson:
        shape = self._checked_batch_shape(batch_shape)
        return Poisson(self.rate.expand(*shape), validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rate = self.rate.data
        return Tensor(generator().poisson(rate, shape).astype(rate.dtype))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return value.xlogy(self.rate) - self.rate - (value + 1).lgamma()

    # exponential-family form: eta = log rate, T(k) = k, h = 1 / k!, A = exp(eta); E[log k!]
    # has no closed form, so there is no carrier measure and no generic entropy (as torch)
    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.rate.log(),)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.exp()
