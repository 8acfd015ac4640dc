"""The relaxed one-hot categorical (concrete / Gumbel-softmax): `ExpRelaxedCategorical`
(log-simplex points) and `RelaxedOneHotCategorical` (their exp, on the simplex), as
torch.distributions."""

from __future__ import annotations

import math

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform
from .utils import ViaCategorical, as_param, clamp_probs


class ExpRelaxedCategorical(ViaCategorical, Distribution):
    """Maddison et al. (2017), "The Concrete Distribution", in log space: y = log_softmax(
    (logits + g) / t), g standard Gumbel, t = temperature. log p(y) = lgamma(K) + (K - 1)
    log t + sum_k s_k, s = log_softmax(logits - t y) (Jang et al. 2017 in log form)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        self.temperature = as_param(type(self).__name__, "temperature", temperature)
        batch = self._categorical.batch_shape
        super().__init__(batch, (self._categorical._num_events,), validate_args)

    def expand(self, batch_shape, _instance=None) -> ExpRelaxedCategorical:
        shape = self._checked_batch_shape(batch_shape) + tuple(self.event_shape)
        key = self._categorical._given[0]
        return type(self)(self.temperature, **{key: self.param.expand(*shape)},
                          validate_args=self._validate_args)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dtype = self.logits.data.dtype
        u = clamp_probs(Tensor(generator().random(shape).astype(dtype)))
        gumbels = -((-(u.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        k = self.event_shape[-1]
        log_scale = math.lgamma(k) + (k - 1) * self.temperature.log()
        score = self.logits - value * self.temperature
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    """exp of an ExpRelaxedCategorical: a differentiable stand-in for one-hot draws, on the
    simplex, that approaches them as temperature -> 0."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None) -> None:
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> RelaxedOneHotCategorical:
        base = self.base_dist.expand(self._checked_batch_shape(batch_shape))
        key = base._categorical._given[0]
        return RelaxedOneHotCategorical(base.temperature, **{key: base.param},
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


__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]
