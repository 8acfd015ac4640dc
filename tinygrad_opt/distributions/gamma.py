"""The gamma distribution with shape `concentration` and `rate`, as
torch.distributions.Gamma."""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .gamma_sampler import standard_gamma
from .utils import broadcast_params


class Gamma(ExponentialFamily):
    """Density rate^a x^(a-1) exp(-rate x) / Gamma(a), a = concentration. Draws come from
    numpy's standard gamma sampler, divided by rate and kept at least the dtype's smallest
    normal number (as torch). rsample's gradient reaches rate through x = g / rate and
    concentration through implicit reparameterisation (gamma_sampler.py). Deviation from
    torch: no cdf."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None) -> None:
        self.concentration, self.rate = broadcast_params(
            "Gamma", concentration=concentration, rate=rate
        )
        super().__init__(self.rate.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> Gamma:
        shape = self._checked_batch_shape(batch_shape)
        return Gamma(self.concentration.expand(*shape), self.rate.expand(*shape),
                     validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / (self.rate * self.rate)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        x = standard_gamma(self.concentration, shape, generator()) / self.rate
        # a draw that underflowed to 0 is kept at the smallest normal number, as torch
        tiny = np.finfo(x.data.dtype).tiny
        return x + Tensor(np.where(x.data < tiny, tiny - x.data, 0).astype(x.data.dtype))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        a, rate = self.concentration, self.rate
        return a.xlogy(rate) + (a - 1).xlogy(value) - rate * value - a.lgamma()

    def entropy(self) -> Tensor:
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1 - a) * a.digamma()

    # exponential-family form: eta = (a - 1, -rate), T(x) = (log x, x), h = 1,
    # A = lgamma(eta1 + 1) - (eta1 + 1) log(-eta2)
    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return (x + 1).lgamma() - (x + 1) * (-y).log()

    @property
    def _mean_carrier_measure(self) -> float:
        return 0.0
