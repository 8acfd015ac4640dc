"""The categorical distribution over {0, ..., K-1}, parameterised by `probs` or `logits`
along the last dimension, as torch.distributions.Categorical."""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import ProbsOrLogits, as_param


class Categorical(ProbsOrLogits, Distribution):
    """Probabilities along the last dimension: `probs` (non-negative, normalised to sum 1)
    or `logits` (normalised so logsumexp is 0); give exactly one. batch_shape is the shape
    without the last dimension, event_shape is (). Samples are int64 indices (inverse cdf,
    one uniform per draw); mean and variance are NaN, as torch."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True
    _IS_BINARY = False  # probs and logits are rows: softmax / log

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError(f"{type(self).__name__}: give either probs or logits, but not both")
        name = "probs" if probs is not None else "logits"
        param = as_param(type(self).__name__, name, probs if probs is not None else logits)
        if param.ndim < 1:
            raise ValueError(
                f"{type(self).__name__}: {name} must be at least one-dimensional (categories "
                f"along the last dimension), got shape {param.shape}"
            )
        if probs is not None:
            self.probs = param / param.sum(dim=-1, keepdim=True)
        else:
            self.logits = param - param.logsumexp(dim=-1, keepdim=True)
        self._given = (name,)
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], (), validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    def expand(self, batch_shape, _instance=None) -> Categorical:
        shape = self._checked_batch_shape(batch_shape) + (self._num_events,)
        if "probs" in self.__dict__:
            return type(self)(probs=self.probs.expand(*shape), validate_args=self._validate_args)
        return type(self)(logits=self.logits.expand(*shape), validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.nan, self.param.data.dtype))

    @property
    def mode(self) -> Tensor:
        return Tensor(self.probs.data.argmax(-1))

    @property
    def variance(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.nan, self.param.data.dtype))

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        cdf = np.cumsum(self.probs.data.astype(np.float64), axis=-1)
        # u in [0, total): category k where cdf[k-1] <= u < cdf[k]; empty ones never win
        u = generator().random(shape + (1,)) * cdf[..., -1:]
        index = np.minimum((cdf <= u).sum(-1), self._num_events - 1)
        return Tensor(index.astype(np.int64))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        try:
            shape = np.broadcast_shapes(value.shape, self.batch_shape)
        except ValueError:
            raise ValueError(
                f"{type(self).__name__}: value of shape {value.shape} does not broadcast with "
                f"batch_shape {tuple(self.batch_shape)}"
            ) from None
        index = np.broadcast_to(value.data.astype(np.int64), shape)[..., None]
        logits = self.logits.expand(*shape, self._num_events)
        return logits.gather(-1, index).squeeze(-1)

    def entropy(self) -> Tensor:
        # logits of empty categories are -inf: clamp them so 0 * logit is 0, not NaN
        lowest = float(np.finfo(self.logits.data.dtype).min)
        return -(self.logits.clamp(min=lowest) * self.probs).sum(dim=-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = len(self.batch_shape)
        values = np.arange(self._num_events, dtype=np.int64).reshape((-1,) + (1,) * n)
        if expand:
            values = np.broadcast_to(values, (self._num_events,) + self.batch_shape).copy()
        return Tensor(values)
