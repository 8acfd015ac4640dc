"""The geometric distribution (failures before the first success), parameterised by
`probs` or `logits`, as torch.distributions.Geometric."""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import ProbsOrLogits, broadcast_params, softplus


class Geometric(ProbsOrLogits, Distribution):
    """P(k) = (1 - p)^k p on k = 0, 1, ... with p = probs = sigmoid(logits) > 0; give
    exactly one. sample is floor(log(u) / log(1 - p)), u ~ U(tiny, 1) (inverse cdf);
    entropy is the Bernoulli entropy divided by p. No rsample (discrete)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Geometric: give either probs or logits, but not both")
        if probs is not None:
            (self.probs,) = broadcast_params("Geometric", probs=probs)
            shape = self.probs.shape
        else:
            (self.logits,) = broadcast_params("Geometric", logits=logits)
            shape = self.logits.shape
        self._given = ("probs",) if probs is not None else ("logits",)
        super().__init__(shape, (), validate_args)
        # unit_interval admits 0, where there is no success to wait for (torch checks too)
        if self._validate_args and probs is not None and not np.all(self.probs.data > 0):
            raise ValueError(
                f"Geometric: parameter probs must be in (0, 1], but found invalid values: "
                f"{self.probs.data[~(self.probs.data > 0)]}"
            )

    def expand(self, batch_shape, _instance=None) -> Geometric:
        shape = self._checked_batch_shape(batch_shape)
        if "probs" in self.__dict__:
            return Geometric(probs=self.probs.expand(*shape), validate_args=self._validate_args)
        return Geometric(logits=self.logits.expand(*shape), validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.probs.reciprocal() - 1

    @property
    def mode(self) -> Tensor:
        return Tensor(np.zeros(self.batch_shape, self.param.data.dtype))

    @property
    def variance(self) -> Tensor:
        return (self.probs.reciprocal() - 1) / self.probs

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = self.probs.data
        u = np.maximum(generator().random(shape), np.finfo(p.dtype).tiny)
        with np.errstate(divide="ignore"):
            return Tensor(np.floor(np.log(u) / np.log1p(-p)).astype(p.dtype))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        # k log1p(-p) (log(1 - p) loses the digits of a small p), with p taken as 0 where
        # p = 1 and k = 0 so that log P(0) = 0 there (as torch)
        p = self.probs.masked_fill(Tensor((self.probs.data == 1) & (value.data == 0)), 0.0)
        return value * (-p).log1p() + self.probs.log()

    def entropy(self) -> Tensor:
        return (softplus(self.logits) - self.probs * self.logits) / self.probs
