"""The multinomial distribution: counts of `total_count` categorical draws over the last
dimension of `probs` (or `logits`), as torch.distributions.Multinomial."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution
from .utils import ViaCategorical


class Multinomial(ViaCategorical, Distribution):
    """P(x) = n! / prod x_k! prod p_k^x_k with n = total_count (one int for the whole batch,
    as torch; log_prob uses the value's own sum, as torch, so total_count only matters for
    sampling and the moments). event_shape is (K,). Samples come from numpy's multinomial
    sampler, as floats. entropy is n H(p) - log n! + sum_k E[log x_k!], the expectation
    over each count's Binomial(n, p_k) marginal."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None) -> None:
        if not isinstance(total_count, numbers.Integral) or isinstance(total_count, bool):
            raise NotImplementedError(
                f"Multinomial: total_count must be one int (an inhomogeneous total_count is not "
                f"supported, as torch), got {total_count!r}"
            )
        if total_count < 0:
            raise ValueError(f"Multinomial: total_count must be >= 0, got {total_count}")
        self.total_count = int(total_count)
        # validated here rather than by the Categorical, so errors name Multinomial
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=False)
        self._given = self._categorical._given
        param = self._categorical.param
        super().__init__(param.shape[:-1], param.shape[-1:], validate_args)
        if self._validate_args:
            name = self._given[0]
            self._check_param(name, param, self.arg_constraints[name])

    def __repr__(self) -> str:
        name = self._given[0]
        return f"Multinomial(total_count: {self.total_count}, {name}: {getattr(self, name).shape})"

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    def expand(self, batch_shape, _instance=None) -> Multinomial:
        shape = self._checked_batch_shape(batch_shape) + tuple(self.event_shape)
        name = self._given[0]
        return Multinomial(self.total_count, validate_args=self._validate_args,
                           **{name: getattr(self, name).expand(*shape)})

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = self.probs.data
        pvals = p.astype(np.float64)
        pvals = pvals / pvals.sum(-1, keepdims=True)
        counts = generator().multinomial(self.total_count, pvals, shape[:-1])
        return Tensor(counts.astype(p.dtype))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        # x_k log p_k is 0 where x_k = 0, even for a category of probability 0 (logit -inf)
        powers = (value * self.logits).masked_fill(Tensor(value.data == 0), 0.0).sum(dim=-1)
        return (value.sum(dim=-1) + 1).lgamma() - (value + 1).lgamma().sum(dim=-1) + powers

    def entropy(self) -> Tensor:
        n = self.total_count
        marginals = Binomial(n, probs=self.probs, validate_args=False)
        support = marginals.enumerate_support(expand=False)
        expected_log_factorials = (marginals.log_prob(support).exp() * (support + 1).lgamma())
        return (n * self._categorical.entropy() - math.lgamma(n + 1)
                + expected_log_factorials.sum(dim=(0, -1)))
