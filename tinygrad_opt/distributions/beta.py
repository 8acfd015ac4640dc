"""The beta distribution on [0, 1], as torch.distributions.Beta."""

from __future__ import annotations

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .gamma_sampler import standard_gamma
from .utils import broadcast_params


class Beta(ExponentialFamily):
    """Density x^(a-1) (1-x)^(b-1) / B(a, b) with a = concentration1, b = concentration0.
    rsample draws g1 ~ Gamma(a), g0 ~ Gamma(b) and returns g1 / (g1 + g0), with gradients
    through both gamma draws (implicit reparameterisation, gamma_sampler.py)."""

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None) -> None:
        self.concentration1, self.concentration0 = broadcast_params(
            "Beta", concentration1=concentration1, concentration0=concentration0
        )
        super().__init__(self.concentration1.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> Beta:
        shape = self._checked_batch_shape(batch_shape)
        return Beta(self.concentration1.expand(*shape), self.concentration0.expand(*shape),
                    validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """(a - 1) / (a + b - 2), defined for a, b > 1."""
        return (self.concentration1 - 1) / (self.concentration1 + self.concentration0 - 2)

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total * total * (total + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        g1 = standard_gamma(self.concentration1, shape, generator())
        g0 = standard_gamma(self.concentration0, shape, generator())
        x = g1 / (g1 + g0)
        # both draws underflowed (tiny concentrations): keep the value inside [0, 1]
        return x.nan_to_num(nan=0.5)

    def _log_beta(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return a.lgamma() + b.lgamma() - (a + b).lgamma()

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        a, b = self.concentration1, self.concentration0
        return (a - 1).xlogy(value) + (b - 1).xlogy(1 - value) - self._log_beta()

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return (self._log_beta() - (a - 1) * a.digamma() - (b - 1) * b.digamma()
                + (a + b - 2) * (a + b).digamma())

    # exponential-family form: eta = (a, b), T(x) = (log x, log(1 - x)), h = 1 / (x (1 - x)),
    # A = log B(a, b). torch has no carrier measure for Beta (its generic entropy raises);
    # E[log h] = -E[log x] - E[log(1 - x)] is given here
    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return x.lgamma() + y.lgamma() - (x + y).lgamma()

    @property
    def _mean_carrier_measure(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return 2 * (a + b).digamma() - a.digamma() - b.digamma()
