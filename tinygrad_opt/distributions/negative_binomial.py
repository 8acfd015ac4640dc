"""The negative binomial distribution: failures before `total_count` successes, as
torch.distributions.NegativeBinomial."""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import ProbsOrLogits, broadcast_params, softplus


class NegativeBinomial(ProbsOrLogits, Distribution):
    """P(k) = C(k + r - 1, k) (1 - p)^r p^k, r = total_count, p = probs (torch's convention:
    p is the probability of each counted event). log_prob is written in logits:
    r logsigmoid(-l) + k logsigmoid(l) - log C. Draws are Poisson(Gamma(r, e^-l)), the
    gamma-Poisson mixture, from the package generator."""

    arg_constraints = {"total_count": constraints.nonnegative,
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("NegativeBinomial: give either probs or logits, but not both")
        name = "probs" if probs is not None else "logits"
        self.total_count, param = broadcast_params(
            "NegativeBinomial", total_count=total_count,
            **{name: probs if probs is not None else logits})
        setattr(self, name, param)
        self._given = ("total_count", name)
        super().__init__(param.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> NegativeBinomial:
        shape = self._checked_batch_shape(batch_shape)
        name = self._given[1]
        return NegativeBinomial(self.total_count.expand(*shape),
                                **{name: self.param.expand(*shape)},
                                validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rate = Gamma(self.total_count, (-self.logits).exp(), validate_args=False).sample(
            sample_shape).data
        counts = generator().poisson(np.broadcast_to(rate, shape))
        return Tensor(counts.astype(self.logits.data.dtype))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        r, logits = self.total_count, self.logits
        unnormalised = -r * softplus(logits) - value * softplus(-logits)
        with np.errstate(invalid="ignore"):  # inf - inf at r = k = 0, replaced below
            log_norm = (r + value).lgamma() - (1 + value).lgamma() - r.lgamma()
        # r = 0 and k = 0: C(-1, 0) is 1, lgamma(0) would make it NaN
        zero = np.broadcast_to((r.data + value.data) == 0, log_norm.shape)
        return unnormalised + log_norm.masked_fill(Tensor(np.asarray(zero)), 0.0)
