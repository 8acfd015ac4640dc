"""The log-normal distribution: exp of N(loc, scale^2), as torch.distributions.LogNormal."""

from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .location_scale import LocationScale
from .normal import Normal
from .transforms import ExpTransform


class LogNormal(LocationScale):
    """x = exp(y), y ~ N(loc, scale^2): log_prob is the normal's at log x minus log x, and
    rsample exp(loc + scale eps). torch builds it as a TransformedDistribution of a Normal;
    here `base_dist` is that Normal and `transforms` is [ExpTransform()], as torch, but the
    methods are written out (not a TransformedDistribution subclass)."""

    support = constraints.positive

    def __init__(self, loc, scale, validate_args=None) -> None:
        super().__init__(loc, scale, validate_args)
        self.base_dist = Normal(self.loc, self.scale, validate_args=False)

    @property
    def transforms(self) -> list:
        return [ExpTransform()]

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale * self.scale / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale * self.scale).exp()

    @property
    def variance(self) -> Tensor:
        s2 = self.scale * self.scale
        return s2.expm1() * (2 * self.loc + s2).exp()

    def rsample(self, sample_shape=()) -> Tensor:
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        log_value = value.log()
        return self.base_dist.log_prob(log_value) - log_value

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return self.base_dist.cdf(value.log())

    def icdf(self, value) -> Tensor:
        return self.base_dist.icdf(value).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc
