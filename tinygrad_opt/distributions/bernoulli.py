"""The Bernoulli distribution over {0, 1}, parameterised by `probs` or `logits`, as
torch.distributions.Bernoulli."""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .utils import ProbsOrLogits, broadcast_params, softplus


class Bernoulli(ProbsOrLogits, ExponentialFamily):
    """P(1) = probs = sigmoid(logits); give exactly one of them (the other is derived, with
    probs clamped to [eps, 1 - eps] for logits). log_prob is -BCE with logits:
    x l - softplus(l); entropy softplus(l) - p l. No rsample (discrete)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Bernoulli: give either probs or logits, but not both")
        if probs is not None:
            (self.probs,) = broadcast_params("Bernoulli", probs=probs)
            shape = self.probs.shape
        else:
            (self.logits,) = broadcast_params("Bernoulli", logits=logits)
            shape = self.logits.shape
        self._given = ("probs",) if probs is not None else ("logits",)
        super().__init__(shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> Bernoulli:
        shape = self._checked_batch_shape(batch_shape)
        if "probs" in self.__dict__:
            return Bernoulli(probs=self.probs.expand(*shape), validate_args=self._validate_args)
        return Bernoulli(logits=self.logits.expand(*shape), validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where probs > 1/2, 0 below, NaN at exactly 1/2 (two modes), as torch."""
        p = self.probs.data
        return Tensor(np.where(p == 0.5, np.nan, (p >= 0.5)).astype(p.dtype))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = self.probs.data
        return Tensor((generator().random(shape) < p).astype(p.dtype))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return value * self.logits - softplus(self.logits)

    def entropy(self) -> Tensor:
        return softplus(self.logits) - self.probs * self.logits

    def enumerate_support(self, expand: bool = True) -> Tensor:
        dtype = self.param.data.dtype
        values = np.arange(2, dtype=dtype).reshape((2,) + (1,) * len(self.batch_shape))
        if expand:
            values = np.broadcast_to(values, (2,) + self.batch_shape).copy()
        return Tensor(values)

    # exponential-family form: eta = logits, T(x) = x, h = 1, A = softplus(eta)
    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.logits,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return softplus(x)

    @property
    def _mean_carrier_measure(self) -> float:
        return 0.0
