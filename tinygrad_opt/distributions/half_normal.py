"""The half-normal distribution, |X| for X ~ Normal(0, scale), as
torch.distributions.HalfNormal; `_Folded` is what it shares with HalfCauchy."""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .normal import Normal
from .transforms import AbsTransform
from .utils import broadcast_params


class _Folded(Distribution):
    """|X| for X of a zero-location `_base` family: density twice the base's on x >= 0 and
    log_prob -inf below 0 (when not validating), as torch. torch builds these as
    TransformedDistributions (AbsTransform); here `base_dist` is the base and `transforms`
    is [AbsTransform()], as torch, with the methods written out."""

    _base: type
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None) -> None:
        (self.scale,) = broadcast_params(type(self).__name__, scale=scale)
        zero = Tensor(np.zeros((), self.scale.data.dtype))
        self.base_dist = self._base(zero, self.scale, validate_args=False)
        super().__init__(self.scale.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> _Folded:
        shape = self._checked_batch_shape(batch_shape)
        return type(self)(self.scale.expand(*shape), validate_args=self._validate_args)

    @property
    def transforms(self) -> list:
        return [AbsTransform()]

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros(self.batch_shape, self.scale.data.dtype))

    def rsample(self, sample_shape=()) -> Tensor:
        return self.base_dist.rsample(sample_shape).abs()

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        out = self.base_dist.log_prob(value) + math.log(2)
        below = np.asarray(value.data < 0)
        if below.any():
            out = out + Tensor(np.where(below, -np.inf, 0.0).astype(out.data.dtype))
        return out

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value) -> Tensor:
        return self.base_dist.icdf((value + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)


class HalfNormal(_Folded):
    """|X|, X ~ N(0, scale^2): mean scale sqrt(2/pi), variance scale^2 (1 - 2/pi), mode 0."""

    _base = Normal

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> Tensor:
        return self.scale * self.scale * (1 - 2 / math.pi)
