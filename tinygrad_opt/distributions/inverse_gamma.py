"""The inverse-gamma distribution, 1 / X for X ~ Gamma(concentration, rate), as
torch.distributions.InverseGamma."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import constraints
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import PowerTransform
from .utils import broadcast_params


def _where(mask: np.ndarray, value: Tensor, fill: float) -> Tensor:
    return value.masked_fill(Tensor(~mask), fill)


class InverseGamma(TransformedDistribution):
    """Density rate^a x^(-a-1) exp(-rate / x) / Gamma(a), a = concentration: a Gamma pushed
    through PowerTransform(-1), as torch, so rsample has the Gamma's implicit gradients.
    Mean is +inf for a <= 1, variance +inf for a <= 2. No cdf (Gamma has none here)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive

    def __init__(self, concentration, rate, validate_args=None) -> None:
        self.concentration, self.rate = broadcast_params(
            "InverseGamma", concentration=concentration, rate=rate)
        base = Gamma(self.concentration, self.rate, validate_args=False)
        minus_one = Tensor(np.asarray(-1.0, self.rate.data.dtype))
        super().__init__(base, PowerTransform(minus_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> InverseGamma:
        shape = self._checked_batch_shape(batch_shape)
        return InverseGamma(self.concentration.expand(*shape), self.rate.expand(*shape),
                            validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        a = self.concentration
        with np.errstate(divide="ignore", invalid="ignore"):
            return _where(a.data > 1, self.rate / (a - 1), np.inf)

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        a = self.concentration
        with np.errstate(divide="ignore", invalid="ignore"):
            return _where(a.data > 2, self.rate * self.rate / ((a - 1) * (a - 1) * (a - 2)),
                          np.inf)

    def entropy(self) -> Tensor:
        a = self.concentration
        return a + self.rate.log() + a.lgamma() - (1 + a) * a.digamma()
