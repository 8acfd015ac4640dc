"""The binomial distribution: successes in `total_count` trials of probability `probs`
(or `logits`), as torch.distributions.Binomial."""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import ProbsOrLogits, broadcast_params, softplus


class Binomial(ProbsOrLogits, Distribution):
    """P(k) = C(n, k) p^k (1 - p)^(n - k), n = total_count (default 1, broadcast with the
    probabilities), p = probs = sigmoid(logits); give exactly one of probs and logits.
    log_prob is log C(n, k) + k l - n softplus(l) in the logits l. Samples come from numpy's
    binomial sampler as floats (as torch). entropy sums over the support, so, as torch, it
    needs one total_count for the whole batch. Deviation: total_count is detached, so no
    gradient reaches it (torch's log_prob and KL pass one through lgamma)."""

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Binomial: give either probs or logits, but not both")
        name = "probs" if probs is not None else "logits"
        self.total_count, param = broadcast_params(
            "Binomial", total_count=total_count, **{name: probs if probs is not None else logits}
        )
        self.total_count = self.total_count.detach()
        setattr(self, name, param)
        self._given = ("total_count", name)
        super().__init__(param.shape, (), validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count.data)

    def expand(self, batch_shape, _instance=None) -> Binomial:
        shape = self._checked_batch_shape(batch_shape)
        n = self.total_count.expand(*shape)
        if "probs" in self.__dict__:
            return Binomial(n, probs=self.probs.expand(*shape), validate_args=self._validate_args)
        return Binomial(n, logits=self.logits.expand(*shape), validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = self.probs.data
        n = self.total_count.data.astype(np.int64)
        return Tensor(generator().binomial(n, p.astype(np.float64), shape).astype(p.dtype))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        n, logits = self.total_count, self.logits
        log_choose = (n + 1).lgamma() - (value + 1).lgamma() - (n - value + 1).lgamma()
        return log_choose + value * logits - n * softplus(logits)

    def entropy(self) -> Tensor:
        counts = self.total_count.data
        if counts.size and counts.min() != counts.max():
            raise NotImplementedError(
                "Binomial.entropy: needs one total_count for the whole batch (as torch), got "
                f"values from {counts.min()} to {counts.max()}"
            )
        log_p = self.log_prob(self.enumerate_support(expand=False))
        return -(log_p.exp() * log_p).sum(dim=0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        counts = self.total_count.data
        if counts.size and counts.min() != counts.max():
            raise NotImplementedError(
                "Binomial.enumerate_support: needs one total_count for the whole batch (as "
                f"torch), got values from {counts.min()} to {counts.max()}"
            )
        n = int(counts.max()) if counts.size else 0
        dtype = self.param.data.dtype
        values = np.arange(n + 1, dtype=dtype).reshape((-1,) + (1,) * len(self.batch_shape))
        if expand:
            values = np.broadcast_to(values, (n + 1,) + self.batch_shape).copy()
        return Tensor(values)
