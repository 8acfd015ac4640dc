"""The relaxed (concrete / Gumbel-softmax) Bernoulli: `LogitRelaxedBernoulli` over the
reals and `RelaxedBernoulli`, its sigmoid on (0, 1), as torch.distributions."""

from __future__ import annotations

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from .utils import ProbsOrLogits, as_param, broadcast_params, clamp_probs


class LogitRelaxedBernoulli(ProbsOrLogits, Distribution):
    """Maddison et al. (2017), "The Concrete Distribution": y = (logit u + logits) / t,
    u ~ U(0, 1) clamped away from 0 and 1, t = temperature (a Tensor, not validated, as
    torch). log p(y) = log t + d - 2 log(1 + e^d), d = logits - t y."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None) -> None:
        name = type(self).__name__
        if (probs is None) == (logits is None):
            raise ValueError(f"{name}: give either probs or logits, but not both")
        self.temperature = as_param(name, "temperature", temperature)
        if probs is not None:
            (self.probs,) = broadcast_params(name, probs=probs)
            shape = self.probs.shape
        else:
            (self.logits,) = broadcast_params(name, logits=logits)
            shape = self.logits.shape
        self._given = ("probs",) if probs is not None else ("logits",)
        super().__init__(shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> LogitRelaxedBernoulli:
        shape = self._checked_batch_shape(batch_shape)
        key = self._given[0]
        return type(self)(self.temperature, **{key: self.param.expand(*shape)},
                          validate_args=self._validate_args)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs)
        u = clamp_probs(Tensor(generator().random(shape).astype(probs.data.dtype)))
        logistic = u.log() - (-u).log1p()
        return (logistic + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        diff = self.logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    """sigmoid of a LogitRelaxedBernoulli: a differentiable stand-in for Bernoulli draws
    that approaches them as temperature -> 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None) -> None:
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> RelaxedBernoulli:
        base = self.base_dist.expand(self._checked_batch_shape(batch_shape))
        key = base._given[0]
        return RelaxedBernoulli(base.temperature, **{key: base.param},
                                validate_args=self._validate_args)

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits


__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]
